"""API for accounts, the audit log and the review workflow (/api/v1/users, /audit, /review, purge)."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import Response, jsonify, request

from kb.errors import ValidationFailed
from kb.validation import review_date
from kb.web.api import api, article_response
from kb.web.current import kb, principal
from kb.web.downloads import csv_download
from kb.web.requests import audit_query, format_arg, json_object, reject_unknown

USER_FIELDS = {"username", "password", "role", "team", "display_name"}
USER_CHANGES = {"password", "role", "team", "disabled"}


def _str(data: dict[str, Any], name: str, default: str | None = None) -> str | None:
    value = data.get(name, default)
    if value is not None and not isinstance(value, str):
        raise ValidationFailed(f"'{name}' must be a string", field=name)
    return value


@api.get("/users")
def list_users() -> Response:
    """Every account, with role, team and state; never a password hash."""
    users = kb().users.list()
    return jsonify({"users": [u.to_dict() for u in users], "total": len(users)})


@api.post("/users")
def create_user() -> Response:
    """Add an account; without a password it can only sign in through the SSO proxy header."""
    data = json_object()
    reject_unknown(data, USER_FIELDS)
    user = kb().users.create(_str(data, "username", "") or "", role=_str(data, "role", "reader") or "",
                             password=_str(data, "password"), team=_str(data, "team", "") or "",
                             display_name=_str(data, "display_name", "") or "", by=principal().actor)
    response = jsonify(user.to_dict())
    response.status_code = 201
    return response


@api.patch("/users/<int:user_id>")
def update_user(user_id: int) -> Response:
    """Change role, team, password, or disable an account (its sessions end at once)."""
    data = json_object()
    reject_unknown(data, USER_CHANGES)
    disabled = data.get("disabled")
    if disabled is not None and not isinstance(disabled, bool):
        raise ValidationFailed("'disabled' must be true or false", field="disabled")
    user = kb().users.update(user_id, by=principal().actor, role=_str(data, "role"), team=_str(data, "team"),
                             password=_str(data, "password"), disabled=disabled)
    return jsonify(user.to_dict())


@api.get("/audit")
def audit_log() -> Response:
    """The audit log, newest first; ?format=csv streams all matching entries as CSV, oldest first."""
    query = audit_query()
    if format_arg() == "csv":
        return csv_download(kb().audit.csv_rows(query), "audit-log.csv")
    entries, total = kb().audit.list(query)
    return jsonify({"entries": [e.to_dict() for e in entries], "total": total, "page": query.page,
                    "per_page": query.per_page})


@api.post("/articles/<ref>/purge")
def purge_article(ref: str) -> Response:
    """Delete an article and all its revisions for good (admins only); the audit log keeps the record."""
    return jsonify(kb().editing.purge(principal(), ref))


@api.post("/articles/<ref>/review-request")
def request_review(ref: str) -> Response:
    """Flag an article "needs review" with a reason."""
    data = json_object() if request.get_data() else {}
    reject_unknown(data, {"reason"})
    return article_response(kb().editing.request_review(principal(), ref, _str(data, "reason", "") or ""))


@api.post("/articles/<ref>/reviewed")
def mark_reviewed(ref: str) -> Response:
    """Clear "needs review", optionally setting the next review date."""
    data = json_object() if request.get_data() else {}
    reject_unknown(data, {"review_by"})
    return article_response(kb().editing.mark_reviewed(principal(), ref, review_date(_str(data, "review_by"))))


@api.get("/review/queue")
def review_queue() -> Response:
    """Articles waiting for a reviewer, oldest first."""
    queue = kb().workflow.queue()
    return jsonify({"articles": [a.to_dict(include_body=False) for a in queue], "total": len(queue)})


@api.get("/review/stale")
def stale_articles() -> Response:
    """Published articles that need review; ?owner= narrows to one owner's (e.g. your own)."""
    owner = request.args.get("owner") or None
    stale = kb().workflow.stale(date.today(), owner=owner, team=request.args.get("team") or None)
    return jsonify({"articles": [a.to_dict(include_body=False) for a in stale], "total": len(stale)})


@api.get("/review/orphaned")
def orphaned_articles() -> Response:
    """Articles whose owner's account was disabled, or lost the role or team to edit them: hand them over."""
    orphans = kb().workflow.orphaned()
    return jsonify({"articles": [o.to_dict() for o in orphans], "total": len(orphans)})
