"""The content/ folder round trip: a folder of Markdown files into the database, and the database back out."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from kb.errors import KBError, ValidationFailed
from kb.front_matter import (
    fields_from_front_matter,
    parse_markdown_file,
    timestamp,
    to_markdown_file,
)
from kb.store import ArticleStore
from kb.workflow import Workflow

IMPORT_AUTHOR = "system:import"  # the first start's import; `kb import` records who ran it


@dataclass
class ImportReport:
    """What an import did, file by file."""

    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    errors: list[tuple[str, str]] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # subfolders: not read, said so

    def summary(self) -> str:
        """One line for the CLI."""
        line = (f"{len(self.created)} created, {len(self.updated)} updated, "
                f"{len(self.unchanged)} unchanged, {len(self.errors)} failed")
        return line + (f"; subfolders not read: {', '.join(self.skipped)}" if self.skipped else "")


@dataclass(frozen=True)
class _Parsed:
    name: str
    fields: dict[str, Any]
    meta: dict[str, Any]


def markdown_files(folder: Path) -> tuple[list[Path], list[str]]:
    """The article files of a folder (`*.md`, any case; hidden ones, such as editor lock files, left out)."""
    files, subfolders = [], []
    for path in sorted(folder.iterdir()):
        if path.name.startswith("."):
            continue
        if path.is_dir():
            subfolders.append(path.name + "/")
        elif path.suffix.lower() == ".md":
            files.append(path)
    return files, subfolders


def import_directory(store: ArticleStore, folder: Path, author: str = IMPORT_AUTHOR) -> ImportReport:
    """Load every Markdown file: new slugs are created, changed ones get a revision, equal ones are skipped.

    Every file is read and checked first, so two files claiming one slug are both refused before anything
    is saved; a file that fails leaves the others to go on.
    """
    report = ImportReport()
    files, report.skipped = markdown_files(folder)
    parsed = []
    for path in files:
        try:
            parsed.append(_parse(path))
        except (KBError, ValueError, TypeError, OSError, yaml.YAMLError) as exc:
            report.errors.append((path.name, str(exc)))
    claims: dict[str, list[str]] = {}
    for item in parsed:
        claims.setdefault(item.fields["slug"], []).append(item.name)
    with store.batch():
        for item in parsed:
            try:
                _refuse_shared_slug(item, claims[item.fields["slug"]])
                _save(store, item, report, author)
            except (KBError, ValueError, TypeError) as exc:
                report.errors.append((item.name, str(exc)))
    return report


def _parse(path: Path) -> _Parsed:
    # Decoded by hand: read_text() would turn a lone "\r" in a body into a line break.
    meta, body = parse_markdown_file(path.read_bytes().decode("utf-8"))
    fields = fields_from_front_matter(meta, body, path.stem)
    for key in ("created", "updated", "review_requested"):
        timestamp(meta.get(key), key)  # a bad one fails this file before anything is saved
    return _Parsed(path.name, fields, meta)


def _refuse_shared_slug(item: _Parsed, names: list[str]) -> None:
    others = [name for name in names if name != item.name]
    if others:  # which of two files is the article? Neither is guessed.
        raise ValidationFailed(f"slug {item.fields['slug']!r} is also the slug of {', '.join(others)}; "
                               "neither file was imported", field="slug")


def _save(store: ArticleStore, item: _Parsed, report: ImportReport, author: str) -> None:
    fields, meta = dict(item.fields), item.meta
    created, updated = timestamp(meta.get("created"), "created"), timestamp(meta.get("updated"), "updated")
    existing = store.find_slug(fields["slug"])
    message = f"Imported from {item.name}"
    if existing is None:
        saved = store.create(fields, author=author, message=message, created_at=created, updated_at=updated)
        report.created.append(item.name)
    else:
        fields.pop("slug")
        # A file edited by hand often keeps its old 'updated' stamp; the change is still new.
        stamp = updated if updated and updated > existing.updated_at else None
        saved = store.update(existing.id, fields, base_revision=existing.revision, author=author,
                             message=message, updated_at=stamp, review_as_given=True)
        (report.updated if saved.revision != existing.revision else report.unchanged).append(item.name)
    # "Needs review" is not part of a revision, but the file says whether it is asked, since when and why.
    Workflow(store.db, store).set_review_request(
        saved.id, by=author, at=timestamp(meta.get("review_requested"), "review_requested"),
        reason=str(meta.get("review_reason") or ""))


@dataclass
class ExportReport:
    """What an export wrote, and the files of the folder that hold no article."""

    written: list[Path] = field(default_factory=list)
    purged: list[Path] = field(default_factory=list)  # their article was deleted for good (deleted with prune)
    unknown: list[Path] = field(default_factory=list)  # no article by that slug ever: new, or failed to import


def export_directory(store: ArticleStore, folder: Path, *, prune: bool = False) -> ExportReport:
    """Write every article to `folder` (atomic per file).

    An article goes back into the file that already holds its slug, whatever its name, so exporting into
    the folder it was imported from never leaves two files for one article; a new one gets `<slug>.md`, or
    `<slug>-2.md` when that name holds something else. A file whose article was purged would bring it back
    on the next import: it is reported, and deleted when `prune`. Other files are never touched.
    """
    folder.mkdir(parents=True, exist_ok=True)
    files = markdown_files(folder)[0]
    holders, taken = _slug_holders(files), set(files)
    mode, report = 0o666 & ~_umask(), ExportReport()
    for article in store.all_articles():
        target = holders.pop(article.slug, None) or _free_name(folder, article.slug, taken)
        taken.add(target)
        report.written.append(_write_atomic(target, to_markdown_file(article), mode))
    purged = store.audit.slugs("article.purged")
    for slug, path in sorted(holders.items(), key=lambda item: item[1]):
        (report.purged if slug in purged else report.unknown).append(path)
    if prune:
        for path in report.purged:
            path.unlink()
    return report


def _free_name(folder: Path, slug: str, taken: set[Path]) -> Path:
    candidate, n = folder / f"{slug}.md", 2
    while candidate in taken:
        candidate, n = folder / f"{slug}-{n}.md", n + 1
    return candidate


def _slug_holders(files: Iterable[Path]) -> dict[str, Path]:
    holders: dict[str, Path] = {}
    for path in files:
        try:
            holders.setdefault(_parse(path).fields["slug"], path)
        except (KBError, ValueError, TypeError, OSError, yaml.YAMLError):
            continue  # not an article file we can read: left alone
    return holders


def _write_atomic(target: Path, text: str, mode: int) -> Path:
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".export-", suffix=".md")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:  # a lone "\r" stays one
            handle.write(text)
        os.chmod(tmp, mode)  # mkstemp makes it private; content/ is shared like any checked-out file
        os.replace(tmp, target)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        raise OSError(f"cannot write {target}: {exc.strerror or exc}") from None
    return target


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current
