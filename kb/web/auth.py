"""Bearer-token authentication, per-endpoint scopes and rate limits for the /api/v1 blueprint.

Rate limits are counted in KB_RATELIMIT_STORAGE_URI. The default, memory://, counts per process:
with several workers (gunicorn -w N) each would allow the full limit, so use a shared store such as
redis://host:6379 there. Behind a reverse proxy, apply werkzeug's ProxyFix so unauthenticated
requests are keyed by the client's address rather than the proxy's.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable

from flask import Flask, Response, current_app, g, make_response, render_template, request
from flask_limiter import Limiter, RateLimitExceeded
from flask_limiter.util import get_remote_address
from limits import parse_many

from kb.permissions import role_allows
from kb.tokens import SCOPE_ROLES, SCOPES, TokenView
from kb.web.access import required_action
from kb.web.errors import error_response
from kb.web.requests import safe_next

API_BLUEPRINT = "api"
DEFAULT_RATE_LIMIT = "600 per minute"
DEFAULT_STORAGE_URI = "memory://"

# Public by URL rather than endpoint name: the OpenAPI route is registered by another module.
PUBLIC_RULES = frozenset({"/api/v1/healthz", "/api/v1/openapi.json"})

def scope_for_action(action: str) -> str:
    """The weakest token scope whose role may do this action."""
    return next((s for s in SCOPES if role_allows(SCOPE_ROLES[s], action)), SCOPES[-1])


def required_scope(endpoint: str, method: str, module: str = "") -> str:
    """The weakest token scope whose role may call this endpoint (derived from kb/web/access.py)."""
    return scope_for_action(required_action(endpoint, method, module))


def _bearer_secret() -> str | None:
    scheme, _, secret = request.headers.get("Authorization", "").strip().partition(" ")
    if scheme.lower() != "bearer" or not secret.strip():
        return None
    return secret.strip()


def current_token() -> TokenView | None:
    """The token that authenticated this request; None when it sent no valid one."""
    if "token" not in g:
        secret = _bearer_secret()
        g.token = current_app.extensions["kb"].tokens.verify(secret) if secret else None
    return g.token


def unauthorized() -> Response:
    if "Authorization" not in request.headers:
        response = error_response(401, "unauthorized", "send 'Authorization: Bearer <token>'")
        response.headers["WWW-Authenticate"] = 'Bearer realm="kb"'
    else:
        # Never echo the presented credential: it may be a real secret with a typo.
        response = error_response(401, "unauthorized", "the bearer token is malformed, unknown or revoked")
        response.headers["WWW-Authenticate"] = 'Bearer realm="kb", error="invalid_token"'
    return response


def forbidden(have: str, need: str) -> Response:
    response = error_response(403, "forbidden", f"this token's scope '{have}' does not allow this; "
                              f"it needs '{need}' or higher", required_scope=need, token_scope=have)
    response.headers["WWW-Authenticate"] = f'Bearer realm="kb", error="insufficient_scope", scope="{need}"'
    return response


def _rate_limit_key() -> str:
    # The token id, not the secret: limiter keys end up in the store and in Flask-Limiter's log lines.
    token = current_token()
    return f"token:{token.id}" if token is not None else f"addr:{get_remote_address()}"


def _configured_limit() -> str:
    # Read per request so tests (and operators in a shell) can change app.config["KB_RATE_LIMIT"].
    return current_app.config["KB_RATE_LIMIT"]


def _outside_api() -> bool:
    return request.blueprint != API_BLUEPRINT


def _rate_limited_handler(limiter: Limiter) -> Callable[[RateLimitExceeded], Response]:
    def handle(exc: RateLimitExceeded) -> Response:
        current = limiter.current_limit
        reset_at = current.window.reset_time if current is not None else time.time() + 60
        response = error_response(429, "rate_limited", f"rate limit exceeded: at most {exc.description}",
                                  limit=exc.description)
        if request.endpoint == "pages.login":  # a person at the sign-in form reads a page, not JSON
            message = "Too many failed sign-ins from this address. Wait a minute, then try again."
            response = make_response(render_template("login.html", next=safe_next(request.values.get("next", "/")),
                                                      error=message, username=request.form.get("username", "")[:100]),
                                     429)
        response.headers["Retry-After"] = str(max(1, math.ceil(reset_at - time.time())))
        return response
    return handle


def init_auth(app: Flask) -> Limiter:
    """Protect the API blueprint: rate limit first (so floods of bad tokens are limited too), then auth."""
    app.config.setdefault("KB_RATE_LIMIT", DEFAULT_RATE_LIMIT)
    app.config.setdefault("KB_RATELIMIT_STORAGE_URI", DEFAULT_STORAGE_URI)
    parse_many(app.config["KB_RATE_LIMIT"])  # a typo in the setting fails at start, not on every request
    limiter = Limiter(
        _rate_limit_key,
        application_limits=[_configured_limit],
        application_limits_exempt_when=_outside_api,
        storage_uri=app.config["KB_RATELIMIT_STORAGE_URI"],
        headers_enabled=False,
        key_prefix="kb",
    )
    limiter.init_app(app)  # registers its before_request hook, which must run before the access guard
    app.register_error_handler(RateLimitExceeded, _rate_limited_handler(limiter))
    app.extensions["kb_limiter"] = limiter
    return limiter

