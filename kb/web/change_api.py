"""API for change requests: propose a change to a published article, list, approve, reject or withdraw it."""

from __future__ import annotations

from flask import Response, jsonify, request

from kb.errors import ValidationFailed
from kb.web.api import api, article_response
from kb.web.current import kb, principal
from kb.web.requests import base_revision, check_tag_list, id_arg, json_object, reject_unknown, text_field


@api.post("/articles/<ref>/change-requests")
def propose_change(ref: str) -> Response:
    """Propose a change to a published article; the live text stays until a reviewer approves it."""
    data = check_tag_list(json_object())
    base = base_revision(data)
    message = text_field(data, "message") or ""
    proposal = kb().change_requests.propose(principal(), ref, data, base_revision=base, message=message)
    response = jsonify(proposal.to_dict())
    response.status_code = 200 if proposal.repeated else 201  # sent again: the request already waiting
    return response


@api.get("/change-requests")
def list_change_requests() -> Response:
    """Open change requests, oldest first; ?article_id= narrows to one article."""
    found = kb().change_requests.open(id_arg("article_id"))
    return jsonify({"change_requests": [c.to_dict() for c in found], "total": len(found)})


@api.get("/change-requests/<int:request_id>")
def get_change_request(request_id: int) -> Response:
    """One change request, with the fields it changes."""
    proposal = kb().change_requests.get(request_id)
    kb().editing.readable(principal(), proposal.article_id)
    return jsonify(proposal.to_dict())


@api.post("/change-requests/<int:request_id>/approve")
def approve_change_request(request_id: int) -> Response:
    """Apply the change as a new revision (409 if the article changed since it was proposed)."""
    return article_response(kb().change_requests.approve(principal(), request_id))


@api.post("/change-requests/<int:request_id>/reject")
def reject_change_request(request_id: int) -> Response:
    """Decline the change, with a note for its author."""
    data = json_object() if request.get_data() else {}
    reject_unknown(data, {"note"})
    note = data.get("note", "")
    if not isinstance(note, str):
        raise ValidationFailed("'note' must be a string", field="note")
    return jsonify(kb().change_requests.reject(principal(), request_id, note).to_dict())


@api.post("/change-requests/<int:request_id>/withdraw")
def withdraw_change_request(request_id: int) -> Response:
    """Take back an open change (its author, or a reviewer); the live article stays as it is."""
    return jsonify(kb().change_requests.withdraw(principal(), request_id).to_dict())
