"""Checks and normalises article fields coming from the API, forms or content files."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from datetime import date, datetime
from typing import Any

from kb.errors import TooLarge, ValidationFailed
from kb.models import STATUSES
from kb.slugs import is_valid_slug

EDITABLE_FIELDS = ("title", "body", "tags", "status", "language", "owner", "team", "review_by", "meta")
CREATE_ONLY_FIELDS = ("slug",)
MAX_TITLE = 200
# Front-matter keys with a meaning of their own: extra metadata may not shadow them on export.
RESERVED_META = frozenset({*EDITABLE_FIELDS, *CREATE_ONLY_FIELDS, "created", "updated", "revision", "id",
                           "review_requested", "review_reason"})  # what an exported file holds besides
MAX_TAGS = 20
MAX_META_DEPTH = 20
_LINE_BREAKS = re.compile("[\n\r\x0b\x0c\x1c-\x1e\x85\u2028\u2029]+")
MAX_TAG_LENGTH = 40
_LANGUAGE = re.compile(r"^[a-z]{2,3}(-[A-Za-z]{2,4})?$")
_NAME = re.compile(r"^[\w.@+:-]{0,100}$", re.UNICODE)  # ":" for the "cli:<user>" an import without owner sets


_LANGUAGE_FILTER = re.compile(r"^[A-Za-z]{2,3}(?:[-_][A-Za-z0-9]{2,8})?$")


def base_language(code: str | None) -> str:
    """The language of a code without its region, lowercase: "en-GB", "EN" and "en_us" are all "en"."""
    return (code or "").lower().replace("_", "-").split("-")[0]


def resolve_languages(requested: Iterable[str], known: Iterable[str], field: str = "lang") -> tuple[str, ...]:
    """Language filters as the articles spell them ("EN" → en, "en-US" → en and en-GB); a non-code is refused."""
    # A helpdesk sends its locale; a code no article uses is kept and finds nothing, as a filter should.
    known = tuple(known)
    resolved: list[str] = []
    for value in (v.strip() for v in requested if v.strip()):
        if not _LANGUAGE_FILTER.fullmatch(value):
            raise ValidationFailed(f"'{field}' must be a language code like en, da or pt-BR", field=field)
        code, base = value.replace("_", "-").lower(), base_language(value)
        resolved += ([k for k in known if k.lower() == code]
                     or [k for k in known if base_language(k) == base] or [code])
    return tuple(dict.fromkeys(resolved))


def normalise_tag(tag: str) -> str:
    """Lowercase, trimmed, composed (NFC), inner spaces and commas as hyphens.

    "café" typed with a combining accent is the same tag as "café"; a comma would split the tag in the
    editor's field and in the keyword index's tag filter.
    """
    lowered = unicodedata.normalize("NFC", tag.strip().replace("İ", "I").lower())
    return re.sub(r"[\s,]+", "-", lowered).strip("-")


def _depth(value: Any) -> int:
    """How deeply lists and objects nest (1 for a flat one), without recursing."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, (dict, list)):
            deepest = max(deepest, level)
            stack.extend((child, level + 1) for child in (item.values() if isinstance(item, dict) else item))
    return deepest


def clean_text(name: str, value: Any, *, limit: int, required: bool = False) -> str:
    """A trimmed string field within `limit` characters, or ValidationFailed naming the field."""
    if not isinstance(value, str):
        raise ValidationFailed(f"'{name}' must be a string", field=name)
    if "\x00" in value:
        raise ValidationFailed(f"'{name}' must not contain NUL characters", field=name)
    # A one-line field: any line break (U+0085 and U+2028 too, which YAML and JSON Lines readers split at)
    # becomes a space, so the value reads back the same from an export.
    value = _LINE_BREAKS.sub(" ", value).strip()
    if required and not value:
        raise ValidationFailed(f"'{name}' must not be empty", field=name)
    if len(value) > limit:
        raise ValidationFailed(f"'{name}' is longer than {limit} characters", field=name)
    return value


def _tags(value: Any) -> list[str]:
    if isinstance(value, str):
        value = [part for part in value.split(",") if part.strip()]
    if not isinstance(value, list) or not all(isinstance(t, str) for t in value):
        raise ValidationFailed("'tags' must be a list of strings", field="tags")
    tags: list[str] = []
    for raw in value:
        tag = normalise_tag(raw)
        if not tag or len(tag) > MAX_TAG_LENGTH or "<" in tag or ">" in tag:
            raise ValidationFailed(f"tag {raw!r} is empty, too long or has < or >", field="tags")
        if tag not in tags:
            tags.append(tag)
    if len(tags) > MAX_TAGS:
        raise ValidationFailed(f"at most {MAX_TAGS} tags", field="tags")
    return tags


def review_date(value: Any) -> date | None:
    """A review date as an article takes it (a date, an ISO string, empty for none), or ValidationFailed."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):  # YAML reads "2027-01-01 10:00" as a datetime: the day is the date
        return value.date()
    if isinstance(value, date):
        return value
    if not isinstance(value, str):  # 20270101 as a number is no date
        raise ValidationFailed("'review_by' must be a date like 2027-03-31", field="review_by")
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ValidationFailed("'review_by' must be a date like 2027-03-31", field="review_by") from None


def clean_team(value: Any) -> str:
    """A team name as articles take it (letters, digits and . _ @ + : -): users and tokens must match them."""
    return _field("team", value, 0)


def _field(name: str, value: Any, max_body_bytes: int) -> Any:
    if name == "title":
        return clean_text(name, value, limit=MAX_TITLE, required=True)
    if name == "body":
        if not isinstance(value, str) or "\x00" in value:
            raise ValidationFailed("'body' must be a string without NUL characters", field="body")
        if len(value.encode("utf-8")) > max_body_bytes:
            raise TooLarge(f"'body' is larger than {max_body_bytes} bytes", field="body")
        return value.replace("\r\n", "\n")
    if name == "status":
        if value not in STATUSES:
            raise ValidationFailed(f"'status' must be one of {', '.join(STATUSES)}", field="status")
        return value
    if name == "language":
        if not isinstance(value, str) or not _LANGUAGE.fullmatch(value):
            raise ValidationFailed("'language' must be a language code like en or pt-BR", field=name)
        return value
    if name in ("owner", "team"):
        text = clean_text(name, value, limit=100)
        if not _NAME.fullmatch(text):
            raise ValidationFailed(f"'{name}' may hold letters, digits and . _ @ + : - only", field=name)
        return text
    if name == "tags":
        return _tags(value)
    if name == "review_by":
        return review_date(value)
    if name == "meta":
        if not isinstance(value, dict):
            raise ValidationFailed("'meta' must be an object", field="meta")
        clash = sorted(set(value) & RESERVED_META)
        if clash:
            raise ValidationFailed(f"'meta' must not hold article fields: {', '.join(clash)}", field="meta")
        if _depth(value) > MAX_META_DEPTH:  # every export writes it as YAML, which recurses
            raise ValidationFailed(f"'meta' is nested deeper than {MAX_META_DEPTH} levels", field="meta")
        return value
    if name == "slug":
        if not isinstance(value, str) or not is_valid_slug(value):
            raise ValidationFailed("'slug' must be lowercase letters, digits and hyphens", field="slug")
        return value
    raise ValidationFailed(f"unknown field '{name}'", field=name)


def validate_article_fields(
    data: Mapping[str, Any], *, creating: bool, max_body_bytes: int, ignore: tuple[str, ...] = ()
) -> dict[str, Any]:
    """Return the normalised fields of `data`, or raise ValidationFailed / TooLarge naming the field."""
    allowed = EDITABLE_FIELDS + (CREATE_ONLY_FIELDS if creating else ())
    unknown = sorted(set(data) - set(allowed) - set(ignore))
    if unknown:
        raise ValidationFailed(f"unknown field(s): {', '.join(unknown)}", field=unknown[0])
    if creating and "title" not in data:
        raise ValidationFailed("'title' is required", field="title")
    return {name: _field(name, value, max_body_bytes) for name, value in data.items() if name in allowed}
