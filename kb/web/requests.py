"""Strict readers of request input: JSON bodies, query parameters and revision preconditions."""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import urlsplit

from flask import current_app, request, session, url_for
from werkzeug.exceptions import RequestEntityTooLarge, UnsupportedMediaType

from kb.audit import AuditQuery
from kb.errors import PreconditionRequired, ValidationFailed
from kb.store import MAX_ID, valid_id
from kb.validation import resolve_languages
from kb.web.errors import BadRequest

# W/ is accepted: nginx weakens the ETag of a response it compresses, and a client sends back what it got;
# the number is the revision either way.
_ETAG = re.compile(r'^(?:W/)?"?(\d+)"?$')


def json_object() -> dict[str, Any]:
    """The request body as a JSON object, or BadRequest (413 when it is over the size limit, 415 when not JSON)."""
    limit = current_app.config.get("MAX_CONTENT_LENGTH")
    # A chunked body has no length to refuse up front: werkzeug stops reading at the limit and hands on
    # the cut-off start, which would read as "bad JSON".
    if request.content_length is None and limit and len(request.get_data(cache=True)) >= limit:
        raise RequestEntityTooLarge()
    raw = request.get_data(cache=True)
    if raw and request.mimetype and not _is_json(request.mimetype):
        raise UnsupportedMediaType(f"send the body as application/json, not {request.mimetype}")
    data = _strict_json(raw)
    if not isinstance(data, dict):
        raise BadRequest("request body must be a JSON object")
    return data


def _is_json(mimetype: str) -> bool:
    return mimetype == "application/json" or mimetype.endswith("+json")


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _finite(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):  # 1e400 reads as infinity without ever saying "Infinity"
        raise ValueError(f"{text} is not a finite number")
    return value


def _strict_json(raw: bytes) -> Any:
    """RFC 8259 JSON: no NaN or Infinity (strict clients could not read them back), no lone surrogates."""
    try:
        data = json.loads(raw.decode("utf-8"), parse_constant=_no_constant, parse_float=_finite)
    except (ValueError, RecursionError):  # a 6 KB body of nested brackets exhausts the parser's stack
        raise BadRequest("request body must be valid JSON") from None
    if _has_lone_surrogate(data):  # a plugin that cut a ticket inside an emoji; nothing could store it
        raise BadRequest("request body holds a lone UTF-16 surrogate (\\ud800-\\udfff): not valid Unicode")
    return data


def _has_lone_surrogate(value: Any) -> bool:
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            try:
                item.encode("utf-8")
            except UnicodeEncodeError:
                return True
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return False


def format_arg(formats: tuple[str, ...] = ("json", "csv")) -> str:
    """?format=, one of `formats` (the first when absent), or BadRequest."""
    output = request.args.get("format") or formats[0]
    if output not in formats:
        raise BadRequest(f"'format' must be one of {', '.join(formats)}", parameter="format")
    return output


def int_arg(name: str, default: int, *, minimum: int = 1, maximum: int = 10_000) -> int:
    """An integer query parameter within bounds, or BadRequest."""
    raw = request.args.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise BadRequest(f"'{name}' must be an integer", parameter=name) from None
    if not minimum <= value <= maximum:
        raise BadRequest(f"'{name}' must be between {minimum} and {maximum}", parameter=name)
    return value


def id_arg(name: str) -> int | None:
    """An optional id in the query string: None when absent or empty, 400 when not a whole number."""
    raw = request.args.get(name) or ""
    if raw and not (raw.isascii() and raw.isdigit() and valid_id(int(raw))):
        raise BadRequest(f"'{name}' must be a number from 1 to {MAX_ID}", parameter=name)
    return int(raw) if raw else None


def list_arg(*names: str) -> tuple[str, ...]:
    """A filter's values, repeated or comma-separated, from the first of `names` the query string has."""
    for name in names:
        found = tuple(v.strip() for raw in request.args.getlist(name) for v in raw.split(",") if v.strip())
        if found:
            return found
    return ()


def languages_arg(known: Callable[[], Iterable[str]]) -> tuple[str, ...]:
    """The lang= (or language=) filter as the articles spell it ("EN", "da-DK" → en, da); 400 for a non-code.

    `known` lists the languages articles use; it is asked only when there is a filter (a query each time).
    """
    requested = list_arg("lang", "language")
    try:
        return resolve_languages(requested, known()) if requested else ()
    except ValidationFailed as exc:
        raise BadRequest(exc.message, parameter="lang") from None


def audit_query(per_page: int = 50) -> AuditQuery:
    """The audit log's filters and page from the query string: the API and the admin page read them alike."""
    return AuditQuery(actor=request.args.get("actor") or None, action=request.args.get("action") or None,
                      article_id=id_arg("article_id"), page=int_arg("page", 1),
                      per_page=int_arg("per_page", per_page, maximum=500))


def base_revision(data: dict[str, Any], *, required: bool = True) -> int | None:
    """The revision a save is based on: JSON 'base_revision' or an If-Match ETag (None if optional and absent)."""
    value = data.pop("base_revision", None)
    header = if_match_revision()
    if value is not None and header is not None and value != header:
        raise BadRequest(f"'base_revision' {value} and If-Match {header} disagree: send one", parameter="If-Match")
    value = header if value is None else value
    if value is None and not required:
        return None
    if value is None:
        raise PreconditionRequired(
            "say which revision this save is based on: 'base_revision' or an If-Match header"
        )
    if isinstance(value, bool) or not isinstance(value, int):
        raise BadRequest("'base_revision' must be an integer", parameter="base_revision")
    return value


def if_match_revision() -> int | None:
    """The revision an If-Match header names (None without one); 400 when it is not an ETag we give out."""
    raw = request.headers.get("If-Match", "").strip()
    if not raw:
        return None
    match = _ETAG.match(raw)
    if not match:
        raise BadRequest('If-Match must be an ETag like "3"', parameter="If-Match")
    return int(match.group(1))


def reject_unknown(data: dict[str, Any], allowed: set[str]) -> None:
    """ValidationFailed naming the first field the endpoint does not take."""
    unknown = sorted(set(data) - allowed)
    if unknown:
        raise ValidationFailed(f"unknown field(s): {', '.join(unknown)}", field=unknown[0])


def check_tag_list(data: dict[str, Any]) -> dict[str, Any]:
    """`data`, once its tags (if any) are a JSON array: the core splits a string on commas, as front matter and
    the editor's field send them, and a client's "tags": "abc" would quietly replace every tag."""
    if data.get("tags") is not None and not isinstance(data["tags"], list):  # null: the field's own rules
        raise ValidationFailed("'tags' must be an array of strings", field="tags")
    return data


def text_field(data: dict[str, Any], name: str, default: str = "", limit: int = 500) -> str:
    """Pop an optional short string field (a change message, an author)."""
    value = data.pop(name, default)
    if not isinstance(value, str):  # a body field, like every other: 422 naming it
        raise ValidationFailed(f"'{name}' must be a string", field=name)
    return value.strip()[:limit]


def safe_next(target: str) -> str:
    """`target` when it is a path on this site, else the search page: never an open redirect."""
    parts = urlsplit(target)
    if (not target.startswith("/") or target.startswith("//") or parts.scheme or parts.netloc or "\\" in target
            or not target.isprintable() or len(target) > 2000):
        return url_for("pages.search")
    return target


KEPT_FORMS = 20  # per kind of form: one sent again (Back, a reload) is recognised among the last this many


def sent_before(kind: str, form_id: str) -> Any:
    """What the form with this id did when this session sent it before (None if it never did)."""
    return dict(session.get(kind, {})).get(form_id) if form_id else None


def record_sent(kind: str, form_id: str, outcome: Any) -> None:
    """Remember what the form with this id did, for when it is sent again; the last KEPT_FORMS are kept."""
    if form_id:
        made = {key: value for key, value in session.get(kind, {}).items() if key != form_id}
        session[kind] = dict(list({**made, form_id: outcome}.items())[-KEPT_FORMS:])
