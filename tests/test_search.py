"""Hybrid search end to end on the fake embedder: ranking, sections, filters, freshness, rebuilds."""

from __future__ import annotations

import json
import shutil
import time

import pytest

from kb.index.base import Filters
from kb.index.keyword import match_spans
from kb.knowledge_base import open_knowledge_base

PRINTER = """Affects Epson TM printers after updating the Print Agent.

## Symptoms

Receipts come out blank; the log shows `PRN-6004`.

## Resolution

1. Update the Print Agent to v4.18.2.
2. Print a test page.
"""
PASSWORD = """## Steps

1. Open the login page and click **Forgot password**.
2. The link expires after one hour: `ERR-4012` means it expired.
"""
DANISH = """## Trin

1. Åbn login-siden og klik på **Glemt adgangskode**.
"""


@pytest.fixture
def kb(searchable_kb):
    store = searchable_kb.store
    store.create({"title": "Printer prints blank receipts", "body": PRINTER, "tags": ["printers", "hardware"],
                  "status": "published", "team": "support"}, author="maja")
    store.create({"title": "Reset your password", "body": PASSWORD, "tags": ["login"], "status": "published",
                  "team": "support"}, author="maja")
    store.create({"title": "Nulstil din adgangskode", "body": DANISH, "tags": ["login"], "status": "published",
                  "language": "da", "team": "support"}, author="maja")
    store.create({"title": "Draft: printer roadmap", "body": "printer printer printer", "status": "draft"},
                 author="maja")
    return searchable_kb


def titles(response) -> list[str]:
    return [r.title for r in response.results]


@pytest.mark.parametrize("mode", ["hybrid", "keyword", "semantic"])
def test_each_mode_finds_the_right_article(kb, mode: str) -> None:
    assert titles(kb.search.search("printer blank receipts", mode=mode))[0] == "Printer prints blank receipts"


def test_result_points_at_the_best_section_with_marked_snippet(kb) -> None:
    result = kb.search.search("PRN-6004").results[0]
    assert result.title == "Printer prints blank receipts"
    assert (result.section, result.anchor) == ("Symptoms", "symptoms")
    assert result.url == "/articles/printer-prints-blank-receipts#symptoms"
    assert "<mark>PRN-6004</mark>" in result.snippet
    assert result.tags == ("printers", "hardware") and result.language == "en" and result.updated


def test_the_article_titled_with_a_code_outranks_ones_that_mention_it(kb) -> None:
    for n in range(3):  # mentions in the body, in text much like the query
        kb.store.create({"title": f"Payment failed {n}", "status": "published",
                         "body": f"Payment failed {n} times? For PAY-2071 card payments fail, see the other guide."},
                        author="x")
    kb.store.create({"title": "Card payments fail with PAY-2071", "status": "published",
                     "body": "## Fix\n\nLift the Stripe restriction."}, author="x")
    for mode in ("keyword", "hybrid"):
        assert titles(kb.search.search("PAY-2071", mode=mode))[0] == "Card payments fail with PAY-2071", mode


def test_a_bare_code_finds_the_one_article_that_holds_it_in_hybrid(kb) -> None:
    for code in ("zwfbe3df34x", "xzwfbe3df34", "zwfbe3df3", "wfbe3df34"):  # what the (fake) embeddings prefer
        kb.store.create({"title": code, "status": "published", "body": code}, author="x")
    kb.store.create({"title": "Calendar notes", "status": "published",
                     "body": "## Known values\n\nAfter a reset the device reports zwfbe3df34 in its calendar log, "
                             "then syncs the events again within a minute."}, author="x")
    assert titles(kb.search.search("zwfbe3df34", mode="semantic"))[0] != "Calendar notes"
    assert titles(kb.search.search("zwfbe3df34"))[0] == "Calendar notes"
    # With e5 on the shipped base such a code ranked 10th: the bare code's embedding is noise, so the
    # keyword side decides when the codes are all the query says and the best chunk holds them.
    engine, no_filters = kb.search, Filters()
    hits = engine._keyword("zwfbe3df34", no_filters, None, ())
    assert engine.keyword_weight("zwfbe3df34", hits) == engine.config.code_weight
    mixed = engine._keyword("zwfbe3df34 calendar sync", no_filters, None, ())
    assert engine.keyword_weight("zwfbe3df34 calendar sync", mixed) < engine.config.code_weight


def test_greek_matches_in_capitals_and_without_accents(kb) -> None:
    kb.store.create({"title": "Ο εκτυπωτής δεν τυπώνει", "body": "## Λύση\n\nΕπανεκκινήστε τον εκτυπωτή.\n",
                     "status": "published", "language": "el"}, author="x")
    for query in ("ΕΚΤΥΠΩΤΗΣ", "εκτυπωτης", "Εκτυπωτής"):
        result = kb.search.search(query, mode="keyword").results[0]
        assert result.title == "Ο εκτυπωτής δεν τυπώνει", query
    text = "Επανεκκινήστε τον εκτυπωτή."
    assert [text[a:b] for a, b in match_spans(text, "ΕΚΤΥΠΩΤΗ", "el")] == ["εκτυπωτή"]  # marked as written


def test_a_cyrillic_section_links_to_its_own_heading(kb) -> None:
    kb.store.create({"title": "Принтер печатает пустые чеки", "body": "## Решение\n\nОбновите `PRN-7001`.\n",
                     "status": "published", "language": "ru"}, author="x")
    result = kb.search.search("PRN-7001", mode="keyword").results[0]
    assert result.anchor == "решение"
    assert result.url.endswith("#%D1%80%D0%B5%D1%88%D0%B5%D0%BD%D0%B8%D0%B5")  # a plain-ASCII link for plugins


def test_identifiers_match_exactly(kb) -> None:
    kb.store.create({"title": "Two-factor code rejected", "body": "The app shows `ERR-4013` when the clock drifts.",
                     "status": "published"}, author="x")
    for mode in ("keyword", "hybrid"):
        assert titles(kb.search.search("ERR-4012", mode=mode))[0] == "Reset your password"
        assert titles(kb.search.search("ERR-4013", mode=mode))[0] == "Two-factor code rejected"
    assert "<mark>ERR-4012</mark>" not in kb.search.search("ERR-4013").results[0].snippet


def test_drafts_are_invisible_to_readers(kb) -> None:
    assert "Draft: printer roadmap" not in titles(kb.search.search("printer roadmap"))
    everything = Filters(statuses=("published", "draft"))
    assert "Draft: printer roadmap" in titles(kb.search.search("printer roadmap", filters=everything))


def test_filters(kb) -> None:
    assert titles(kb.search.search("adgangskode password", filters=Filters(languages=("da",)))) == [
        "Nulstil din adgangskode"]
    assert titles(kb.search.search("printer", filters=Filters(tags=("login",)))) == [] or all(
        r.tags and "login" in r.tags for r in kb.search.search("printer", filters=Filters(tags=("login",))).results)
    assert titles(kb.search.search("password", filters=Filters(teams=("sales",)))) == []


def test_an_edit_is_searchable_at_once_and_archiving_hides_it(kb) -> None:
    article = kb.store.get("reset-your-password")
    kb.store.update(article.id, {"body": PASSWORD + "\n## Cash drawer\n\nThe drawer kicks open.\n"},
                    base_revision=1, author="x")
    assert titles(kb.search.search("drawer kicks", mode="keyword"))[0] == "Reset your password"
    kb.store.archive(article.id, author="x")
    assert "Reset your password" not in titles(kb.search.search("drawer kicks"))


def test_another_process_sees_a_change_within_the_sync_interval(kb, settings) -> None:
    other = open_knowledge_base(settings)  # same database and index folder, separate in-memory state
    try:
        other.indexes.sync_interval = 0.2
        kb.store.create({"title": "Barcode scanner beeps twice", "body": "Scanner config",
                         "status": "published"}, author="x")
        deadline = time.monotonic() + 2.0
        while "Barcode scanner beeps twice" not in titles(other.search.search("barcode scanner")):
            assert time.monotonic() < deadline, "change not visible in the other process within 2 s"
            time.sleep(0.05)
    finally:
        other.close()


def test_reindex_swaps_a_new_build_in(kb) -> None:
    leftover = kb.settings.index_dir / "build-20260101-000000-4242-1"  # a reindex killed half way
    (leftover / "keyword").mkdir(parents=True)
    before = kb.indexes.manifest.build_id
    manifest = kb.indexes.reindex()
    assert manifest.build_id != before and manifest.articles == 4
    assert (kb.settings.index_dir / "current").resolve().name == manifest.build_id
    assert titles(kb.search.search("printer blank receipts"))[0] == "Printer prints blank receipts"
    assert not leftover.exists() and (kb.settings.index_dir / before).is_dir()  # the previous one stays


def test_line_separators_in_a_title_survive_a_rebuild_and_a_restart(kb, settings) -> None:
    from sqlalchemy import update

    from kb.models import Article

    for odd in ("\u2028", "\u2029", "\x85", "\x0b", "\x1c"):  # splitlines() splits at each of these
        made = kb.store.create({"title": f"Reset password after lockout {ord(odd)}", "body": "Unlock it first.",
                                "status": "published"}, author="maja")
        with kb.db.session() as session:  # titles saved before they were made one line still hold them
            session.execute(update(Article).where(Article.id == made.id).values(
                title=f"Reset{odd}password after lockout {ord(odd)}"))
    manifest = kb.indexes.reindex()
    assert manifest.articles == 9
    kb.close()
    reopened = open_knowledge_base(settings)
    try:
        assert reopened.indexes.manifest.build_id == manifest.build_id  # read back, not rebuilt
        found = reopened.search.search("password after lockout", mode="keyword").results
        assert sum("lockout" in r.title for r in found) == 5
    finally:
        reopened.close()


def test_a_build_that_cannot_be_read_back_is_not_made_current(kb, monkeypatch) -> None:
    from kb.index import manager
    from kb.index.base import IndexUnavailable

    before = kb.indexes.manifest.build_id

    def unreadable(path):
        raise IndexUnavailable(f"chunk file {path} unreadable")

    monkeypatch.setattr(manager, "read_chunks", unreadable)
    with pytest.raises(IndexUnavailable):
        kb.indexes.reindex()
    monkeypatch.undo()
    assert (kb.settings.index_dir / "current").resolve().name == before
    assert titles(kb.search.search("printer blank receipts"))[0] == "Printer prints blank receipts"


@pytest.mark.parametrize("damage", ["delete", "corrupt-manifest", "corrupt-semantic", "wrong-model",
                                    "database-restored", "current-is-a-folder"])
def test_missing_corrupt_or_mismatched_index_is_rebuilt_on_start(kb, settings, damage: str) -> None:
    build = (settings.index_dir / "current").resolve()
    kb.close()
    if damage == "delete":
        shutil.rmtree(settings.index_dir)
    elif damage == "corrupt-manifest":
        (build / "manifest.json").write_text("{not json")
    elif damage == "corrupt-semantic":
        for path in (build / "semantic").iterdir():
            path.write_bytes(b"garbage")
    elif damage == "wrong-model":
        manifest = (build / "manifest.json").read_text().replace('"fake', '"other-model')
        (build / "manifest.json").write_text(manifest)
    elif damage == "database-restored":  # an older copy of the database: the index is ahead of it
        manifest = json.loads((build / "manifest.json").read_text())
        (build / "manifest.json").write_text(json.dumps({**manifest, "generation": 10_000}))
        (build / "keyword.generation").write_text("10000")
    else:  # a backup copy turned the `current` link into a folder
        (settings.index_dir / "current").unlink()
        shutil.copytree(build, settings.index_dir / "current")
    reopened = open_knowledge_base(settings)
    try:
        assert reopened.health()["index"]["ok"]
        assert titles(reopened.search.search("printer blank receipts"))[0] == "Printer prints blank receipts"
    finally:
        reopened.close()


def test_new_changes_after_a_database_restore_are_searchable(kb, settings) -> None:
    build = (settings.index_dir / "current").resolve()
    kb.close()
    manifest = json.loads((build / "manifest.json").read_text())  # as if the index had seen later changes
    (build / "manifest.json").write_text(json.dumps({**manifest, "generation": manifest["generation"] + 50}))
    (build / "keyword.generation").write_text(str(manifest["generation"] + 50))
    reopened = open_knowledge_base(settings)
    try:
        reopened.store.create({"title": "Restored base article", "body": "yyrestore", "status": "published"},
                              author="x")
        reopened.indexes.sync(force=True)
        assert titles(reopened.search.search("yyrestore", mode="keyword")) == ["Restored base article"]
    finally:
        reopened.close()


def test_an_unusable_build_swapped_in_while_running_keeps_the_old_one_answering(kb, settings) -> None:
    (settings.index_dir / "current").unlink()  # someone deleted the index, or another model built one
    kb.indexes.sync(force=True)
    health = kb.health()
    assert not health["ok"] and health["index"]["state"].startswith("stale: no current index build")
    assert titles(kb.search.search("printer blank receipts"))[0] == "Printer prints blank receipts"
    printer = kb.store.get("printer-prints-blank-receipts")
    kb.store.archive(printer.id, author="x")  # the stale build still learns it is gone, in every mode
    kb.indexes.sync(force=True)
    for mode in ("keyword", "semantic", "hybrid"):
        assert "Printer prints blank receipts" not in titles(kb.search.search("printer blank receipts", mode=mode))
    kb.store.create({"title": "Written meanwhile", "body": "zzmeanwhile", "status": "published"}, author="x")
    kb.indexes.reindex()
    kb.indexes.sync(force=True)
    assert kb.health()["ok"] and titles(kb.search.search("zzmeanwhile", mode="keyword")) == ["Written meanwhile"]


def test_a_loaded_build_deleted_while_running_goes_on_answering_and_says_so(kb, settings) -> None:
    shutil.rmtree((settings.index_dir / "current").resolve())  # an operator's `rm -rf index/build-…`
    kb.store.create({"title": "Saved after", "body": "zzafter", "status": "published"}, author="x")
    for _ in range(3):  # every sync after it, not only the first
        kb.indexes.sync(force=True)
        assert titles(kb.search.search("printer blank receipts"))[0] == "Printer prints blank receipts"
    health = kb.health()
    assert not health["ok"] and "stale" in health["index"]["state"]
    assert "Saved after" in titles(kb.search.search("zzafter", mode="semantic"))
    kb.indexes.reindex()
    assert kb.health()["ok"] and titles(kb.search.search("zzafter", mode="keyword")) == ["Saved after"]


def test_a_backlog_from_another_process_is_indexed_in_the_background(kb, settings, monkeypatch) -> None:
    import threading

    from kb.index import manager

    other = open_knowledge_base(settings, with_search=False)  # a bulk import in another process
    try:
        for n in range(manager.INLINE_CHANGES + 5):
            other.store.create({"title": f"Imported {n}", "body": f"zzbulk{n} text", "status": "published"},
                               author="cli:root")
    finally:
        other.close()
    release, original = threading.Event(), manager.IndexManager._embed

    def slow_embed(self, chunks, progress=None):  # e5 takes minutes over such a backlog
        release.wait(10)
        return original(self, chunks, progress)

    monkeypatch.setattr(manager.IndexManager, "_embed", slow_embed)
    monkeypatch.setattr(kb.indexes, "_checked", 0.0)  # the sync interval has passed
    answer = kb.search.search("printer blank receipts")  # answers at once, from the index as it is
    assert titles(answer)[0] == "Printer prints blank receipts"
    assert kb.indexes.catching_up() and kb.health()["index"]["catching_up"]
    assert kb.search.search("zzbulk3", mode="keyword").results == ()  # not yet
    release.set()
    kb.indexes._catch_up.join(10)
    assert not kb.indexes.catching_up()
    assert titles(kb.search.search("zzbulk3", mode="keyword")) == ["Imported 3"]


def test_a_save_during_a_background_catch_up_is_searchable_at_once(kb, settings, monkeypatch) -> None:
    import threading

    from kb.index import manager

    other = open_knowledge_base(settings, with_search=False)
    try:
        imported = [other.store.create({"title": f"Imported {n}", "body": f"zzbulk{n} text", "status": "published"},
                                       author="cli:root") for n in range(manager.INLINE_CHANGES + 5)]
    finally:
        other.close()
    release, original = threading.Event(), manager.IndexManager._embed

    def slow_embed(self, chunks, progress=None):  # only the catch-up is slow; a save's own article is small
        if threading.current_thread().name == "kb-index-catch-up":
            release.wait(10)
        return original(self, chunks, progress)

    monkeypatch.setattr(manager.IndexManager, "_embed", slow_embed)
    monkeypatch.setattr(kb.indexes, "_checked", 0.0)
    kb.search.search("printer")  # starts the catch-up, which now holds the old text of "Imported 3"
    assert kb.indexes.catching_up()
    kb.store.create({"title": "Saved meanwhile", "body": "zzmeanwhile text", "status": "published"}, author="alice")
    kb.store.update(imported[3].id, {"title": "Edited 3", "body": "zzedited text"}, author="alice",
                    base_revision=imported[3].revision)
    for mode in ("keyword", "semantic"):
        assert titles(kb.search.search("zzmeanwhile", mode=mode))[0] == "Saved meanwhile"
    assert titles(kb.search.search("zzedited", mode="keyword")) == ["Edited 3"]
    release.set()
    kb.indexes._catch_up.join(10)
    assert not kb.indexes.catching_up()
    # Right after the catch-up, before any other sync: its older copy of "Imported 3" was not installed.
    assert [c.text for c in kb.indexes.chunks.values() if c.article_id == imported[3].id] == ["zzedited text"]
    kb.indexes.sync(force=True)
    assert titles(kb.search.search("zzbulk4", mode="keyword")) == ["Imported 4"]
    assert titles(kb.search.search("zzedited", mode="keyword")) == ["Edited 3"]
    assert kb.search.search("zzbulk3", mode="keyword").results == ()  # the backlog's older text did not win
    assert "Edited 3" in titles(kb.search.search("zzedited", mode="semantic"))


@pytest.mark.parametrize("mode", ["hybrid", "keyword"])
def test_a_match_in_the_title_alone_opens_the_article_top_not_its_shortest_section(kb, mode: str) -> None:
    body = ("Zebra and Honeywell handhelds pair over Bluetooth; older ones plug in by USB and need no driver at "
            "all, which is why most shops start with them.\n\n## Setup\n\nPair it and scan the pairing "
            "code.\n\n## Common problems\n\n### Wrong characters\n\nSet the keyboard layout.\n")
    kb.store.create({"title": "Barcode scanner setup and troubleshooting", "body": body, "status": "published"},
                    author="alice")
    result = kb.search.search("barcode troubleshooting", mode="keyword").results[0]
    assert (result.title, result.anchor, result.url.endswith("troubleshooting")) == (
        "Barcode scanner setup and troubleshooting", "", True)
    assert "Zebra" in result.snippet
    # "setup" is also a section's heading: that section, in hybrid mode too (the fake embedder knows nothing).
    assert kb.search.search("barcode scanner setup", mode=mode).results[0].anchor == "setup"
    # A typo the engine corrected ("layuot") matched in a section, though no mark shows it there.
    assert kb.search.search("barcode layuot", mode="keyword").results[0].anchor == "wrong-characters"


@pytest.mark.parametrize("mode", ["hybrid", "keyword"])
def test_a_code_in_the_title_opens_the_section_that_holds_it(kb, mode: str) -> None:
    body = ("## SYNC-401\n\n### Cause\n\nThe Xero token expired.\n\n### Resolution\n\nReconnect the Xero "
            "integration.\n\n## SYNC-429\n\n### Cause\n\nXero limits calls.\n\n### Resolution\n\n"
            "Usually none: the Xero sync catches up.\n")
    kb.store.create({"title": "Xero sync stopped with SYNC-401 or SYNC-429", "body": body, "status": "published"},
                    author="alice")
    under = {"SYNC-401": {"cause", "resolution"}, "SYNC-429": {"cause_1", "resolution_1"}}
    for code in under:
        for query in (f"our xero sync stopped with {code}", f"{code} how do I reconnect xero", code):
            assert kb.search.search(query, mode=mode).results[0].anchor in under[code], query


def test_typographic_hyphens_fullwidth_letters_and_decomposed_accents_match_plain_text(kb) -> None:
    kb.store.create({"title": "Åbn låget på printeren", "language": "da", "status": "published",
                     "body": "Fejlen ERR-4012 vises, når låget er åbent."}, author="x")
    kb.store.create({"title": "Zaświadczenie", "language": "pl", "status": "published",
                     "body": "Pobierz zas\u0301wiadczenie z panelu."}, author="x")  # typed with a combining accent
    for query in ("ERR\u20114012", "\uff25\uff32\uff32-4012", "a\u030abn la\u030aget"):
        assert titles(kb.search.search(query, mode="keyword"))[:1] == ["Åbn låget på printeren"], query
    found = kb.search.search("zaświadczenie", mode="keyword").results
    assert [r.title for r in found] == ["Zaświadczenie"] and "<mark>zaświadczenie</mark>" in found[0].snippet


@pytest.mark.parametrize("mode", ["keyword", "hybrid"])
def test_a_large_limit_reaches_every_matching_article_not_the_first_hundred_sections(kb, mode: str) -> None:
    body = "".join(f"## Part {p}\n\nThe zzguide printer part {p}.\n\n" for p in range(4))
    with kb.store.batch():
        for n in range(60):
            kb.store.create({"title": f"Guide {n}", "body": body, "status": "published"}, author="x")
    found = kb.search.search("zzguide", mode=mode, limit=100)
    assert sum(r.title.startswith("Guide ") for r in found.results) == 60 and found.total >= 60
    # Asking for more does not reorder the first ones: the deeper fetch is fused as the usual one.
    for query in ("zzguide part 2", "printer"):
        first = [(r.id, r.anchor) for r in kb.search.search(query, mode=mode, limit=10).results]
        deeper = [(r.id, r.anchor) for r in kb.search.search(query, mode=mode, limit=100).results[:10]]
        assert deeper == first, query  # the same articles, opening at the same sections


def test_hostile_queries_do_not_fail(kb) -> None:
    for query in ["", "   ", "AND OR NOT", '"unbalanced', "title:(x", "*", "<script>alert(1)</script>", "x" * 5000]:
        response = kb.search.search(query)
        assert all("<script>" not in r.snippet for r in response.results)
