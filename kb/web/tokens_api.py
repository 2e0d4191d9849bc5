"""Token management on the API (admin scope): list, create (secret shown once) and revoke."""

from __future__ import annotations

from flask import Response, jsonify

from kb.web.api import api
from kb.web.current import kb, principal
from kb.web.requests import json_object, reject_unknown

TOKEN_FIELDS = ("name", "scope", "team")


@api.get("/tokens")
def list_tokens() -> Response:
    """Every token, revoked ones included; never a secret or its hash."""
    tokens = kb().tokens.list()
    return jsonify({"tokens": [t.to_dict() for t in tokens], "total": len(tokens)})


@api.post("/tokens")
def create_token() -> Response:
    """Create a token; the answer holds its secret, which is never shown again."""
    data = json_object()
    reject_unknown(data, set(TOKEN_FIELDS))
    token, secret = kb().tokens.create(data.get("name", ""), data.get("scope", ""), data.get("team", ""),
                                       by=principal().actor)
    response = jsonify({**token.to_dict(), "secret": secret})
    response.status_code = 201
    # The secret must not linger in browser or proxy caches.
    response.headers["Cache-Control"] = "no-store"
    return response


@api.delete("/tokens/<int:token_id>")
def revoke_token(token_id: int) -> Response:
    """Revoke a token: its next request is refused."""
    return jsonify(kb().tokens.revoke(token_id, by=principal().actor).to_dict())
