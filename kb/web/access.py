"""The one table that says which action (kb/permissions.py) every page and API endpoint performs.

A before_request hook looks the endpoint up here and asks the core whether the signed-in user or the
token's role may do it; an endpoint nobody listed is refused to all but admins (fail closed).
Per-article rules (team ownership, status moves) are checked again by the core when the change is made.
"""

from __future__ import annotations

from flask import Response, redirect, render_template, request, url_for

from kb.permissions import Principal, role_allows
from kb.web.errors import error_response

PUBLIC_ENDPOINTS = frozenset({"static", "healthz", "pages.login", "pages.logout", "api.api_health",
                              "api.openapi_json"})
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

ENDPOINT_ACTIONS: dict[str, str] = {
    # pages
    "pages.search": "search", "pages.search_results": "search", "pages.search_opened": "search",
    "pages.index": "read", "pages.article": "read", "pages.history": "read", "pages.diff": "read",
    "pages.helpful": "feedback", "pages.api_docs": "read",
    "pages.ticket_form": "suggest", "pages.ticket_suggest": "suggest", "pages.ticket_feedback": "feedback",
    "pages.new": "create", "pages.create": "create", "pages.preview": "preview",
    "pages.edit": "edit", "pages.save": "edit", "pages.restore": "edit", "pages.transition": "edit",
    "pages.request_review": "edit", "pages.my_articles": "edit",
    "pages.review_queue": "review", "pages.mark_reviewed": "review",
    "pages.change_request": "edit", "pages.approve_change": "publish", "pages.reject_change": "publish",
    "pages.withdraw_change": "edit",  # the core lets its author or a reviewer
    "pages.purge": "purge", "pages.audit": "view_audit", "pages.audit_csv": "view_audit",
    "pages.users": "manage_users", "pages.create_user": "manage_users", "pages.update_user": "manage_users",
    "pages.teams": "manage_users", "pages.settings": "manage_users",
    "pages.tokens": "manage_tokens", "pages.create_token": "manage_tokens", "pages.revoke_token": "manage_tokens",
    # API
    "api.list_articles": "read", "api.get_article": "read", "api.list_revisions": "read",
    "api.get_revision": "read", "api.diff_revisions": "read", "api.search": "search",
    "api.create_article": "create", "api.replace_article": "edit", "api.patch_article": "edit",
    "api.delete_article": "archive", "api.restore_revision": "edit", "api.create_article_from_ticket": "create",
    "api.request_review": "edit", "api.review_queue": "review", "api.mark_reviewed": "review",
    "api.stale_articles": "edit", "api.orphaned_articles": "review", "api.purge_article": "purge",
    "api.suggest": "suggest", "api.suggest_feedback": "feedback",
    "api.list_tokens": "manage_tokens", "api.create_token": "manage_tokens", "api.revoke_token": "manage_tokens",
    "api.list_users": "manage_users", "api.create_user": "manage_users", "api.update_user": "manage_users",
    "api.audit_log": "view_audit",
    "api.propose_change": "edit", "api.list_change_requests": "edit", "api.get_change_request": "edit",
    "api.approve_change_request": "publish", "api.reject_change_request": "publish",
    "api.withdraw_change_request": "edit",
}
# Whole families of endpoints that share one action.
PREFIX_ACTIONS = (("pages.analytics", "view_analytics"), ("api.analytics_", "view_analytics"))
MODULE_ACTIONS = {"kb.web.tokens_api": "manage_tokens"}


def required_action(endpoint: str, method: str, module: str = "") -> str:
    """The action an endpoint performs: the table, then families; unknown ones need an admin."""
    if endpoint in ENDPOINT_ACTIONS:
        return ENDPOINT_ACTIONS[endpoint]
    for prefix, action in PREFIX_ACTIONS:
        if endpoint.startswith(prefix):
            return action
    if module in MODULE_ACTIONS:
        return MODULE_ACTIONS[module]
    # Nobody classified it: reads need a reviewer, changes an admin; never the lowest role.
    return "publish" if method.upper() in SAFE_METHODS else "manage_users"


def page_denied(principal: Principal | None, action: str) -> Response | tuple[str, int] | None:
    """For pages: send anonymous visitors to the login page, refuse roles below the action's."""
    if principal is None:
        if request.method in SAFE_METHODS:
            return redirect(url_for("pages.login", next=request.full_path.rstrip("?")))
        return render_template("error.html", status=401, message="Please sign in again."), 401
    if not role_allows(principal.role, action):
        message = f"Your role ({principal.role}) does not allow this."
        return render_template("error.html", status=403, message=message), 403
    return None


def api_denied_for_user(principal: Principal, action: str) -> Response | None:
    """For the API called with a session cookie: the same role check, answered in the API's error shape."""
    if role_allows(principal.role, action):
        return None
    return error_response(403, "forbidden", f"your role '{principal.role}' may not "
                          f"{action.replace('_', ' ')}", action=action, role=principal.role)
