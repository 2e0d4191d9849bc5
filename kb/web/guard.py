"""The before_request hook that authorises every page and API request against kb/web/access.py."""

from __future__ import annotations

from flask import Flask, Response, current_app, request

from kb.permissions import role_allows, team_bound_token_refuses
from kb.web.access import PUBLIC_ENDPOINTS, api_denied_for_user, page_denied, required_action
from kb.web.auth import API_BLUEPRINT, current_token, forbidden, scope_for_action, unauthorized
from kb.web.errors import error_response
from kb.web.identity import current_principal

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def _action() -> str:
    endpoint = request.endpoint or ""
    view = current_app.view_functions.get(endpoint)
    return required_action(endpoint, request.method, getattr(view, "__module__", ""))


def _api_guard(action: str) -> Response | None:
    if "Authorization" in request.headers:
        token = current_token()
        if token is None:
            return unauthorized()
        principal = current_principal()
        if principal is None or not role_allows(principal.role, action):
            return forbidden(token.scope, scope_for_action(action))
        if why := team_bound_token_refuses(principal, action):
            return error_response(403, "forbidden", why, action=action, team=principal.team)
        return None
    principal = current_principal()  # a signed-in user calling the API from the browser
    if principal is None:
        return unauthorized()
    if request.method not in SAFE_METHODS and current_app.config.get("WTF_CSRF_ENABLED", True):
        # Cookies ride along with forged cross-site requests; bearer tokens do not, so only this path needs CSRF.
        current_app.extensions["csrf"].protect()
    return api_denied_for_user(principal, action)


def _guard() -> Response | tuple[str, int] | None:
    if request.url_rule is None or (request.endpoint or "") in PUBLIC_ENDPOINTS:
        return None  # 404s and 405s answer as such; public endpoints need nobody
    action = _action()
    if request.blueprint == API_BLUEPRINT:
        return _api_guard(action)
    return page_denied(current_principal(), action)


def init_guard(app: Flask) -> None:
    """Authorise every request; runs after the rate limiter's hook (and CSRFProtect's for pages)."""
    app.before_request(_guard)
