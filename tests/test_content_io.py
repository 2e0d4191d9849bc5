"""content/ round trip: import, export, import again loses nothing."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from kb.config import PROJECT_ROOT
from kb.content_io import export_directory, import_directory
from kb.knowledge_base import open_knowledge_base

ARTICLE = """---
title: 'Printer prints blank receipts: fix'
slug: printer-prints-blank-receipts
status: published
language: en
owner: maja.lind
team: support
tags:
- printers
- print-agent
translation_of: null
custom_key:
  nested:
  - 1
  - 2
review_by: 2027-03-31
created: 2026-02-14T09:30:00Z
updated: 2026-08-02T13:05:00Z
---

## Symptoms

Receipts come out blank after `v4.18.2`.
"""

POLISH = """---
title: Drukarka drukuje puste paragony
slug: drukarka-drukuje-puste-paragony
status: draft
language: pl
owner: tomasz.nowak
team: support
tags:
- drukarki
translation_of: printer-prints-blank-receipts
review_by: null
created: 2026-03-01T08:00:00Z
updated: 2026-03-01T08:00:00Z
---

## Objawy

Paragon jest pusty — sprawdź głowicę.
"""


def write(folder: Path, name: str, text: str) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text(text, encoding="utf-8")


def snapshot(store) -> list[tuple]:
    return [(a.slug, a.title, a.body, a.tags, a.status, a.language, a.owner, a.team, a.review_by,
             a.created_at, a.updated_at, a.meta) for a in store.all_articles()]


def test_import_export_import_is_lossless(store, tmp_path: Path) -> None:
    source = tmp_path / "source"
    write(source, "printer-prints-blank-receipts.md", ARTICLE)
    write(source, "drukarka-drukuje-puste-paragony.md", POLISH)
    report = import_directory(store, source)
    assert (len(report.created), report.errors) == (2, [])
    before = snapshot(store)
    exported = tmp_path / "exported"
    export_directory(store, exported)
    assert (exported / "printer-prints-blank-receipts.md").read_text() == ARTICLE
    assert (exported / "drukarka-drukuje-puste-paragony.md").read_text() == POLISH
    again = import_directory(store, exported)
    assert len(again.unchanged) == 2 and not again.updated
    assert snapshot(store) == before
    article = store.get("printer-prints-blank-receipts")
    assert article.meta == {"translation_of": None, "custom_key": {"nested": [1, 2]}}
    assert article.updated_at.isoformat() == "2026-08-02T13:05:00+00:00"


def test_changed_file_becomes_a_new_revision_not_a_duplicate(store, tmp_path: Path) -> None:
    write(tmp_path, "printer-prints-blank-receipts.md", ARTICLE)
    import_directory(store, tmp_path)
    write(tmp_path, "printer-prints-blank-receipts.md", ARTICLE.replace("blank after", "empty after"))
    report = import_directory(store, tmp_path)
    assert report.updated == ["printer-prints-blank-receipts.md"]
    article = store.get("printer-prints-blank-receipts")
    assert (store.list().total, article.revision) == (1, 2)
    assert "empty after" in article.body
    assert article.updated_at.year >= 2026


def test_broken_files_are_reported_and_the_rest_imported(store, tmp_path: Path) -> None:
    write(tmp_path, "good.md", ARTICLE)
    write(tmp_path, "bad-yaml.md", "---\ntitle: [unclosed\n---\nbody")
    write(tmp_path, "bad-status.md", "---\ntitle: X\nstatus: gone\n---\nbody")
    write(tmp_path, "unclosed.md", "---\ntitle: X\n")
    report = import_directory(store, tmp_path)
    assert report.created == ["good.md"]
    assert sorted(name for name, _ in report.errors) == ["bad-status.md", "bad-yaml.md", "unclosed.md"]


def test_file_without_front_matter_gets_defaults(store, tmp_path: Path) -> None:
    write(tmp_path, "quick-note.md", "Just a body\n")
    import_directory(store, tmp_path)
    article = store.get("quick-note")
    assert (article.title, article.body, article.status) == ("Quick note", "Just a body\n", "draft")


def test_shipped_content_round_trips_byte_for_byte(store, tmp_path: Path) -> None:
    content = PROJECT_ROOT / "content"
    files = sorted(content.glob("*.md"))
    if not files:
        pytest.skip("no shipped content")
    report = import_directory(store, content)
    assert report.errors == [] and len(report.created) == len(files)
    export_directory(store, tmp_path)
    for path in files:
        assert (tmp_path / path.name).read_text(encoding="utf-8") == path.read_text(encoding="utf-8"), path.name


def test_any_file_name_gives_a_slug_and_duplicate_slugs_or_bad_dates_are_named(store, tmp_path: Path) -> None:
    (tmp_path / "Printer Setup.md").write_text("Plug it in.\n", encoding="utf-8")
    (tmp_path / "kvitteringsprinter_opsætning.md").write_text("Sæt den i.\n", encoding="utf-8")
    (tmp_path / "a.md").write_text("---\nslug: same\n---\nFirst.\n", encoding="utf-8")
    (tmp_path / "b.md").write_text("---\nslug: same\n---\nSecond.\n", encoding="utf-8")
    (tmp_path / "c.md").write_text("---\nupdated: yesterday\n---\nWhen?\n", encoding="utf-8")
    report = import_directory(store, tmp_path)
    assert store.get("printer-setup").title == "Printer setup"
    assert store.get("kvitteringsprinter-opsaetning").title == "Kvitteringsprinter opsætning"
    assert store.get("same").body.strip() == "First."
    errors = dict(report.errors)
    assert "also the slug of a.md" in errors["b.md"] and "'updated' must be a date and time" in errors["c.md"]
    assert sorted(report.created) == ["Printer Setup.md", "a.md", "kvitteringsprinter_opsætning.md"]


def test_needs_review_survives_export_and_import(knowledge_base, tmp_path: Path) -> None:
    store = knowledge_base.store
    write(tmp_path / "in", "good.md", ARTICLE)
    import_directory(store, tmp_path / "in")
    knowledge_base.workflow.request_review("printer-prints-blank-receipts", by="maja", reason="pricing changed in Q4")
    asked = store.get("printer-prints-blank-receipts").review_requested_at
    export_directory(store, tmp_path / "out")
    text = (tmp_path / "out" / "printer-prints-blank-receipts.md").read_text(encoding="utf-8")
    assert "review_reason: pricing changed in Q4" in text
    fresh = open_knowledge_base(knowledge_base.settings.with_overrides(
        database_url=f"sqlite:///{tmp_path / 'fresh.sqlite'}"), with_search=False)
    try:
        import_directory(fresh.store, tmp_path / "out")
        copy = fresh.store.get("printer-prints-blank-receipts")
        assert copy.review_reason == "pricing changed in Q4" and copy.needs_review(date.today())
        assert copy.review_requested_at == asked.replace(microsecond=0)
        assert "review_reason" not in copy.meta
        export_directory(fresh.store, tmp_path / "again")
        assert (tmp_path / "again" / "printer-prints-blank-receipts.md").read_text(encoding="utf-8") == text
    finally:
        fresh.close()
