"""content/ round trip: import, export, import again loses nothing."""

from __future__ import annotations

import os
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
    assert store.find_slug("same") is None  # which file is the article? neither is guessed
    errors = dict(report.errors)
    assert "also the slug of b.md; neither file was imported" in errors["a.md"]
    assert "also the slug of a.md" in errors["b.md"] and "'updated' must be a date and time" in errors["c.md"]
    assert sorted(report.created) == ["Printer Setup.md", "kvitteringsprinter_opsætning.md"]


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


def test_exporting_into_the_imported_folder_keeps_one_file_per_article(knowledge_base, tmp_path: Path) -> None:
    from kb.permissions import Principal

    store, admin = knowledge_base.store, Principal("root", "admin")
    tmp_path = tmp_path / "folder"
    tmp_path.mkdir()
    write(tmp_path, "faq.md", "---\ntitle: FAQ\nslug: printer-faq\nowner: ops\n---\n\nfaq\n")
    write(tmp_path, "Printer Setup.md", "Plug it in.\n")
    write(tmp_path, "gone.md", "---\ntitle: Gone\n---\n\nold\n")
    import_directory(store, tmp_path)
    store.update("printer-faq", {"body": "faq v2\n"}, base_revision=1, author="maja")
    store.create({"title": "FAQ", "slug": "faq", "body": "another\n"}, author="maja")  # faq.md holds printer-faq
    knowledge_base.editing.purge(admin, "gone")  # deleted for good: its file must not quietly bring it back
    write(tmp_path, "new-idea.md", "---\ntitle: New idea\n---\n\nnot imported yet\n")
    report = export_directory(store, tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "Printer Setup.md", "faq-2.md", "faq.md", "gone.md", "new-idea.md"]
    assert "faq v2" in (tmp_path / "faq.md").read_text() and "another" in (tmp_path / "faq-2.md").read_text()
    assert (report.purged, report.unknown) == ([tmp_path / "gone.md"], [tmp_path / "new-idea.md"])
    assert len(report.written) == 3 and oct((tmp_path / "faq.md").stat().st_mode & 0o777) == oct(0o666 & ~_umask())
    assert sorted(import_directory(store, tmp_path).unchanged) == ["Printer Setup.md", "faq-2.md", "faq.md"]
    knowledge_base.editing.purge(admin, "gone")
    pruned = export_directory(store, tmp_path, prune=True)
    assert pruned.purged == [tmp_path / "gone.md"] and not (tmp_path / "gone.md").exists()
    assert (tmp_path / "new-idea.md").exists()  # never in the database: not ours to delete


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current


def test_a_reimport_of_an_edited_file_keeps_its_review_fields_as_written(knowledge_base, tmp_path: Path) -> None:
    store = knowledge_base.store
    stale = ARTICLE.replace("review_by: 2027-03-31", "review_by: 2020-01-01")
    write(tmp_path, "a.md", stale)
    import_directory(store, tmp_path)
    write(tmp_path, "a.md", stale + "Extra line\n")
    for _ in range(3):
        import_directory(store, tmp_path)
    article = store.get("printer-prints-blank-receipts")
    assert article.revision == 2 and str(article.review_by) == "2020-01-01"  # no flip-flopping revisions
    asked = stale.replace("---\n\n", "review_requested: 2026-09-01T08:00:00Z\nreview_reason: prices\n---\n\n", 1)
    write(tmp_path, "a.md", asked)
    import_directory(store, tmp_path)
    assert store.get(article.id).review_reason == "prices"
    write(tmp_path, "a.md", asked.replace("review_reason: prices", "review_reason: new prices"))
    import_directory(store, tmp_path)
    assert store.get(article.id).review_reason == "new prices"
    write(tmp_path, "a.md", stale)  # the request taken out of the file
    import_directory(store, tmp_path)
    assert store.get(article.id).review_requested_at is None


def test_odd_entries_fail_alone_and_are_named(store, tmp_path: Path) -> None:
    tmp_path = tmp_path / "folder"
    tmp_path.mkdir()
    write(tmp_path, "good.md", ARTICLE)
    (tmp_path / ".#good.md").symlink_to("u@h.1:1")  # an editor's lock file: hidden, never an article
    (tmp_path / "broken.md").symlink_to(tmp_path / "nowhere")
    (tmp_path / "folder.md").mkdir()
    write(tmp_path / "da", "nested.md", "Nested.\n")
    write(tmp_path, "Upper.MD", "Upper case suffix.\n")
    write(tmp_path, "blob.md", "---\ntitle: B\nblob: !!binary aGVsbG8=\n---\n\nx\n")
    write(tmp_path, "set.md", "---\ntitle: S\nthings: !!set {a, b}\n---\n\nx\n")
    write(tmp_path, "nan.md", "---\ntitle: N\nscore: .nan\n---\n\nx\n")
    write(tmp_path, "twice.md", "---\ntitle: A\ntitle: B\n---\n\nx\n")
    for name, value in (("on", "On"), ("float", "3.10"), ("lang", "no"), ("list", "[a, b]")):
        key = "language" if name == "lang" else "title"
        write(tmp_path, f"{name}.md", f"---\n{key}: {value}\n---\n\nx\n")
    report = import_directory(store, tmp_path)
    assert sorted(report.created) == ["Upper.MD", "good.md"] and report.skipped == ["da/", "folder.md/"]
    errors = dict(report.errors)
    assert set(errors) == {"broken.md", "blob.md", "set.md", "nan.md", "twice.md", "on.md", "float.md",
                           "lang.md", "list.md"}
    assert "bytes" in errors["blob.md"] and "set" in errors["set.md"] and "twice" in errors["twice.md"]
    assert "put the value in quotes" in errors["float.md"] and "True" in errors["on.md"]
    assert "subfolders not read: da/, folder.md/" in report.summary()


def test_front_matter_variants_and_a_lone_carriage_return(store, tmp_path: Path) -> None:
    write(tmp_path, "eof.md", "---\ntitle: Closed at the end\n---")  # no final newline
    write(tmp_path, "space.md", "--- \ntitle: Opened with a space\n---  \n\nBody.\n")
    import_directory(store, tmp_path)
    assert store.get("eof").title == "Closed at the end" and store.get("eof").body == ""
    assert (store.get("space").title, store.get("space").body) == ("Opened with a space", "Body.\n")
    cr = store.create({"title": "Lone CR", "body": "line one\rline two\n"}, author="maja")
    out = tmp_path / "out"
    export_directory(store, out)
    report = import_directory(store, out)
    assert report.updated == [] and store.get(cr.id).body == "line one\rline two\n"


def test_a_one_line_field_with_a_line_separator_reads_back_the_same(store, tmp_path: Path) -> None:
    article = store.create({"title": "Wait\x85retry\u2028now", "body": "x\n"}, author="maja")
    assert article.title == "Wait retry now"  # titles are one line: every kind of line break is a space
    export_directory(store, tmp_path / "out")
    assert import_directory(store, tmp_path / "out").unchanged == ["wait-retry-now.md"]


def test_extra_metadata_with_yaml_line_breaks_and_a_timed_review_date_read_back_unchanged(store, tmp_path) -> None:
    store.create({"title": "Odd", "body": "x\n", "meta": {"note": "Wait\x85retry\u2028now\u2029done"}},
                 author="maja")
    export_directory(store, tmp_path / "out")
    assert import_directory(store, tmp_path / "out").unchanged == ["odd.md"]
    assert store.get("odd").meta == {"note": "Wait\x85retry\u2028now\u2029done"}
    write(tmp_path / "timed", "t.md", "---\ntitle: Timed\nreview_by: 2027-01-01 10:00:00\n---\n\nx\n")
    reports = [import_directory(store, tmp_path / "timed") for _ in range(3)]
    assert [len(r.created) + len(r.updated) for r in reports] == [1, 0, 0]  # the day is the date, every time
    assert str(store.get("t").review_by) == "2027-01-01"


def test_shipped_articles_nest_lists_the_way_the_renderer_reads_them() -> None:
    import re

    root = Path(__file__).resolve().parent.parent / "content"
    for path in sorted(root.glob("*.md")):
        fence = False
        for number, line in enumerate(path.read_text(encoding="utf-8").split("\n"), start=1):
            fence ^= line.lstrip().startswith("```")
            # Python-Markdown nests a list item by four spaces: one by two or three is run into its parent's line.
            assert fence or not re.match(r"^ {1,3}([-*+]|\d+\.) ", line), f"{path.name}:{number}"
