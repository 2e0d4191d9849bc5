"""POST /api/v1/suggest and its feedback: the endpoints helpdesk plugins call."""

from __future__ import annotations

from typing import Any

from flask import Response, g, jsonify, request

from kb.errors import TooLarge, ValidationFailed
from kb.store import valid_id
from kb.validation import MAX_TAG_LENGTH, MAX_TAGS, normalise_tag, resolve_languages
from kb.web.api import api
from kb.web.current import kb, principal
from kb.web.query_logging import log_suggestion
from kb.web.requests import check_tag_list, json_object, reject_unknown
from kb.web.search_api import SearchUnavailable

MAX_SUGGEST_BYTES = 64 * 1024
CHANNELS = ("email", "chat", "phone", "social", "web")
FIELDS = {"text", "subject", "channel", "limit", "tags", "language", "min_score"}


def _check_size() -> None:
    if (request.content_length or 0) > MAX_SUGGEST_BYTES or len(request.get_data()) > MAX_SUGGEST_BYTES:
        raise TooLarge(f"request body is larger than {MAX_SUGGEST_BYTES // 1024} KB")


def _optional_str(data: dict[str, Any], name: str) -> str | None:
    value = data.get(name)
    if value is not None and not isinstance(value, str):
        raise ValidationFailed(f"'{name}' must be a string or null", field=name)
    return value or None


def parse_suggest_request(data: dict[str, Any]) -> dict[str, Any]:
    """Validated suggestion parameters, or ValidationFailed naming the field."""
    reject_unknown(data, FIELDS)
    text = data.get("text")
    if not isinstance(text, str) or not text.strip():
        raise ValidationFailed("'text' must be a non-empty string", field="text")
    channel = _optional_str(data, "channel")
    if channel is not None and channel not in CHANNELS:
        raise ValidationFailed(f"'channel' must be one of {', '.join(CHANNELS)}", field="channel")
    limit = data.get("limit", 5)
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= 20:
        raise ValidationFailed("'limit' must be an integer from 1 to 20", field="limit")
    tags = data.get("tags") or []
    if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
        raise ValidationFailed("'tags' must be a list of strings", field="tags")
    if len(tags) > MAX_TAGS or any(len(t) > MAX_TAG_LENGTH for t in tags):
        raise ValidationFailed(f"'tags' holds at most {MAX_TAGS} tags of at most {MAX_TAG_LENGTH} characters",
                               field="tags")
    language = _optional_str(data, "language")
    min_score = data.get("min_score")
    if min_score is not None and (isinstance(min_score, bool) or not isinstance(min_score, int | float)
                                  or not 0 <= min_score <= 1):
        raise ValidationFailed("'min_score' must be a number from 0 to 1 or null", field="min_score")
    return {"text": text, "subject": _optional_str(data, "subject"), "channel": channel, "limit": limit,
            "tags": [normalise_tag(t) for t in tags if t.strip()],
            "languages": resolve_languages([language], kb().store.languages(), "language") if language else (),
            "min_score": min_score}


@api.post("/suggest")
def suggest() -> Response:
    """Suggest articles for the text of a ticket."""
    _check_size()
    params = parse_suggest_request(json_object())
    if kb().suggester is None:
        raise SearchUnavailable("search is not enabled on this instance")
    token = getattr(g, "token", None)
    result = kb().suggester.suggest(params.pop("text"), token_id=token.id if token else None, **params)
    log_suggestion(result, {k: params[k] for k in ("channel", "tags", "languages", "min_score", "limit")})
    return jsonify({"query_id": result.query_id, "suggestions": [s.to_dict() for s in result.suggestions],
                    "abstained": result.abstained, "took_ms": result.took_ms,
                    "translation": result.translation.to_dict() if result.translation else None})


@api.post("/suggest/<query_id>/feedback")
def suggest_feedback(query_id: str) -> Response:
    """Record which suggested article helped (or not); returns the article's new counts."""
    data = json_object()
    reject_unknown(data, {"article_id", "outcome", "ticket_ref"})
    article_id = data.get("article_id")
    if isinstance(article_id, bool) or not isinstance(article_id, int) or not valid_id(article_id):
        raise ValidationFailed("'article_id' must be a positive integer", field="article_id")
    ticket_ref = data.get("ticket_ref") or ""
    if not isinstance(ticket_ref, str):
        raise ValidationFailed("'ticket_ref' must be a string", field="ticket_ref")
    stats = kb().feedback.add(query_id, article_id, str(data.get("outcome")), ticket_ref)
    response = jsonify({"query_id": query_id, "article_id": article_id, "stats": stats.to_dict()})
    response.status_code = 201
    return response


@api.post("/articles/from-ticket")
def create_article_from_ticket() -> Response:
    """Capture at resolution: a draft Troubleshooting article from the ticket and the agent's notes."""
    from flask import url_for

    from kb.article_templates import draft_from_ticket

    _check_size()
    data = check_tag_list(json_object())
    reject_unknown(data, {"text", "resolution", "subject", "title", "tags", "language", "customer_names", "owner"})
    for name in ("text", "resolution"):
        if not isinstance(data.get(name), str) or not data[name].strip():
            raise ValidationFailed(f"'{name}' must be a non-empty string", field=name)
    names = data.get("customer_names") or []
    if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
        raise ValidationFailed("'customer_names' must be a list of strings", field="customer_names")
    draft = draft_from_ticket(data["text"], data["resolution"], subject=_optional_str(data, "subject"),
                              title=_optional_str(data, "title"), known_names=tuple(names))
    fields = {**draft, "status": "draft", "tags": data.get("tags") or [], "language": data.get("language") or "en",
              **({"owner": data["owner"]} if data.get("owner") is not None else {})}
    article = kb().editing.create(principal(), fields, message="Drafted from a ticket")
    body = {**article.to_dict(), "edit_url": url_for("pages.edit", slug=article.slug)}
    response = jsonify(body)
    response.status_code = 201
    return response
