"""Markdown files with YAML front matter <-> articles: the content/ folder round trip."""

from __future__ import annotations

import os
import re
import tempfile
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import yaml

from kb.errors import KBError, ValidationFailed
from kb.slugs import is_valid_slug, slugify
from kb.store import ArticleStore
from kb.views import ArticleView
from kb.workflow import Workflow

FIELD_ORDER = ("title", "slug", "status", "language", "owner", "team", "tags")
TRAILING_FIELDS = ("review_by", "review_requested", "review_reason", "created", "updated")
IMPORT_AUTHOR = "system:import"  # the first start's import; `kb import` records who ran it


@dataclass
class ImportReport:
    """What an import did, file by file."""

    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    errors: list[tuple[str, str]] = field(default_factory=list)

    def summary(self) -> str:
        """One line for the CLI."""
        return (f"{len(self.created)} created, {len(self.updated)} updated, "
                f"{len(self.unchanged)} unchanged, {len(self.errors)} failed")


def parse_markdown_file(text: str) -> tuple[dict[str, Any], str]:
    """Split a file into its front matter mapping and its Markdown body."""
    text = text.replace("\r\n", "\n").removeprefix("\ufeff")
    if not text.startswith("---\n"):
        return {}, text
    end = text.find("\n---\n", 3)
    if end == -1:
        raise ValueError("front matter is not closed by a '---' line")
    meta = yaml.safe_load(text[4:end + 1]) or {}
    if not isinstance(meta, dict):
        raise ValueError("front matter must be a mapping")
    return meta, text[end + 5:].removeprefix("\n")


def _timestamp(value: Any, field: str) -> datetime | None:
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


def _json_safe(value: Any) -> Any:
    # Extra front-matter keys are stored as JSON; YAML dates become ISO strings.
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, list):
        return [_json_safe(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _json_safe(v) for k, v in value.items()}
    return value


def fields_from_front_matter(meta: dict[str, Any], body: str, stem: str) -> dict[str, Any]:
    """Article fields from a parsed file; unknown keys are kept in `meta` so nothing is lost."""
    known = set(FIELD_ORDER) | set(TRAILING_FIELDS)
    fields: dict[str, Any] = {k: meta[k] for k in FIELD_ORDER if k in meta and meta[k] is not None}
    for key in ("title", "slug", "status", "language", "owner", "team"):
        if key in fields and not isinstance(fields[key], str):
            fields[key] = str(fields[key])  # YAML reads `slug: 2024` as a number
    fields.setdefault("title", re.sub(r"[-_\s]+", " ", stem).strip().capitalize())
    fields.setdefault("slug", stem if is_valid_slug(stem) else slugify(stem))  # "Printer Setup.md" too
    if "review_by" in meta:
        fields["review_by"] = meta["review_by"]
    tags = fields.get("tags") or []
    fields["tags"] = [str(t) for t in tags] if isinstance(tags, list) else str(tags)  # "a, b" is split later
    fields["meta"] = {k: _json_safe(v) for k, v in meta.items() if k not in known}
    fields["body"] = body
    return fields


def import_directory(store: ArticleStore, folder: Path, author: str = IMPORT_AUTHOR) -> ImportReport:
    """Load every *.md file: new slugs are created, changed ones get a revision, equal ones are skipped."""
    report, seen = ImportReport(), {}
    with store.batch():
        for path in sorted(folder.glob("*.md")):
            try:
                _import_file(store, path, report, seen, author)
            except (KBError, ValueError, TypeError, yaml.YAMLError) as exc:
                report.errors.append((path.name, str(exc)))
    return report


def _import_file(store: ArticleStore, path: Path, report: ImportReport, seen: dict[str, str], author: str) -> None:
    meta, body = parse_markdown_file(path.read_text(encoding="utf-8"))
    fields = fields_from_front_matter(meta, body, path.stem)
    if fields["slug"] in seen:  # two files for one article: the second would silently replace the first
        raise ValidationFailed(f"slug {fields['slug']!r} is also the slug of {seen[fields['slug']]}", field="slug")
    seen[fields["slug"]] = path.name
    created, updated = _timestamp(meta.get("created"), "created"), _timestamp(meta.get("updated"), "updated")
    asked = _timestamp(meta.get("review_requested"), "review_requested")
    existing = store.find_slug(fields["slug"])
    if existing is None:
        saved = store.create(fields, author=author, message=f"Imported from {path.name}",
                             created_at=created, updated_at=updated)
        report.created.append(path.name)
    else:
        fields.pop("slug")
        # A file edited by hand often keeps its old 'updated' stamp; the change is still new.
        stamp = updated if updated and updated > existing.updated_at else None
        saved = store.update(existing.id, fields, base_revision=existing.revision, author=author,
                             message=f"Imported from {path.name}", updated_at=stamp)
        (report.updated if saved.revision != existing.revision else report.unchanged).append(path.name)
    if asked is not None:  # "needs review" is not part of a revision, but it must survive the round trip
        Workflow(store.db, store).request_review(saved.id, by=author, at=asked,
                                                 reason=str(meta.get("review_reason") or ""))


class _Stamp(str):
    """A UTC timestamp written unquoted, as people write it in front matter."""


class _Dumper(yaml.SafeDumper):
    """SafeDumper that writes _Stamp values as plain YAML timestamps."""


_Dumper.add_representer(
    _Stamp, lambda dumper, value: dumper.represent_scalar("tag:yaml.org,2002:timestamp", str(value))
)


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


def export_directory(store: ArticleStore, folder: Path) -> list[Path]:
    """Write every article to `folder` as <slug>.md (atomic per file)."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for article in store.all_articles():
        target = folder / f"{article.slug}.md"
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=".export-", suffix=".md")
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(to_markdown_file(article))
        os.replace(tmp, target)
        written.append(target)
    return written
