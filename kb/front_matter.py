"""One article <-> one Markdown file with YAML front matter: reading, checking and writing the format."""

from __future__ import annotations

import math
import re
from datetime import UTC, date, datetime
from typing import Any

import yaml

from kb.errors import ValidationFailed
from kb.slugs import is_valid_slug, slugify
from kb.views import ArticleView

FIELD_ORDER = ("title", "slug", "status", "language", "owner", "team", "tags")
TRAILING_FIELDS = ("review_by", "review_requested", "review_reason", "created", "updated")
TEXT_FIELDS = ("title", "slug", "status", "language", "owner", "team")
_OPENING = re.compile(r"---[ \t]*\n")
_CLOSING = re.compile(r"^---[ \t]*(?:\n|\Z)", re.MULTILINE)


class _Loader(yaml.SafeLoader):
    """SafeLoader with unique keys: a key written twice would silently lose the first value."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        """A mapping, refusing a repeated key."""
        seen: set[Any] = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if key in seen:
                raise ValidationFailed(f"front matter has the key {key!r} twice")
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


def parse_markdown_file(text: str) -> tuple[dict[str, Any], str]:
    """Split a file into its front matter mapping and its Markdown body."""
    text = text.replace("\r\n", "\n").removeprefix("\ufeff")
    opening = _OPENING.match(text)
    if not opening:
        return {}, text
    closing = _CLOSING.search(text, opening.end())
    if closing is None:
        raise ValueError("front matter is not closed by a '---' line")
    meta = yaml.load(text[opening.end():closing.start()], Loader=_Loader) or {}
    if not isinstance(meta, dict):
        raise ValueError("front matter must be a mapping")
    return meta, text[closing.end():].removeprefix("\n")


def _text(key: str, value: Any) -> str:
    # YAML 1.1 reads `title: On` as True, `title: 3.10` as 3.1 and `language: no` as False: converting
    # them back would change what was written, so only whole numbers (`slug: 2024`) are taken as text.
    if isinstance(value, str):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    raise ValidationFailed(f"'{key}' must be text, but YAML read it as {value!r}: put the value in quotes",
                           field=key)


def _json_safe(key: str, value: Any) -> Any:
    # Extra front-matter keys are stored as JSON; YAML dates become ISO strings, and what JSON cannot hold
    # (binary, sets, NaN) is refused rather than stored as something else.
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, list):
        return [_json_safe(key, v) for v in value]
    if isinstance(value, dict):
        return {_text(key, k): _json_safe(key, v) for k, v in value.items()}
    if isinstance(value, float) and not math.isfinite(value):
        raise ValidationFailed(f"'{key}' holds {value!r}, which JSON cannot store", field=key)
    if value is None or isinstance(value, (str, int, float)):
        return value
    raise ValidationFailed(f"'{key}' holds a {type(value).__name__}, which an article cannot store", field=key)


def fields_from_front_matter(meta: dict[str, Any], body: str, stem: str) -> dict[str, Any]:
    """Article fields from a parsed file; unknown keys are kept in `meta` so nothing is lost."""
    known = set(FIELD_ORDER) | set(TRAILING_FIELDS)
    fields: dict[str, Any] = {k: _text(k, meta[k]) for k in TEXT_FIELDS if meta.get(k) is not None}
    fields.setdefault("title", re.sub(r"[-_\s]+", " ", stem).strip().capitalize())
    fields.setdefault("slug", stem if is_valid_slug(stem) else slugify(stem))  # "Printer Setup.md" too
    if "review_by" in meta:
        fields["review_by"] = meta["review_by"]
    tags = meta.get("tags") or []
    fields["tags"] = [_text("tags", t) for t in tags] if isinstance(tags, list) else _text("tags", tags)
    fields["meta"] = {_text("front matter", k): _json_safe(str(k), v) for k, v in meta.items() if k not in known}
    fields["body"] = body
    return fields


def timestamp(value: Any, field: str) -> datetime | None:
    """A front-matter date and time in UTC (a date alone is its midnight; no zone is UTC)."""
    if value is None:
        return None
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, date):
        moment = datetime(value.year, value.month, value.day)
    else:
        try:
            moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
        except ValueError:
            raise ValidationFailed(f"'{field}' must be a date and time like 2026-11-23T09:30:00Z, not {value!r}",
                                   field=field) from None
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(UTC)


class _Stamp(str):
    """A UTC timestamp written unquoted, as people write it in front matter."""


class _Dumper(yaml.SafeDumper):
    """SafeDumper that writes _Stamp values as plain YAML timestamps."""


_Dumper.add_representer(
    _Stamp, lambda dumper, value: dumper.represent_scalar("tag:yaml.org,2002:timestamp", str(value))
)
_YAML_BREAKS = frozenset("\x85\u2028\u2029")


def _text_scalar(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    # YAML reads U+0085, U+2028 and U+2029 as line breaks, even quoted; double quotes write them as \N, \L, \P.
    style = '"' if _YAML_BREAKS & set(value) else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _text_scalar)


def _stamp(moment: datetime) -> _Stamp:
    return _Stamp(moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"))


def to_markdown_file(article: ArticleView) -> str:
    """The file an article exports to; importing it gives the same article back."""
    meta: dict[str, Any] = {
        "title": article.title, "slug": article.slug, "status": article.status,
        "language": article.language, "owner": article.owner, "team": article.team,
        "tags": list(article.tags),
    }
    meta.update({k: v for k, v in article.meta.items() if k not in meta})  # real fields always win
    meta["review_by"] = article.review_by
    if article.review_requested_at is not None:
        meta["review_requested"] = _stamp(article.review_requested_at)
        meta["review_reason"] = article.review_reason
    meta["created"] = _stamp(article.created_at)
    meta["updated"] = _stamp(article.updated_at)
    front = yaml.dump(meta, Dumper=_Dumper, sort_keys=False, allow_unicode=True,
                      default_flow_style=False, width=1000)
    return f"---\n{front}---\n\n{article.body}"
