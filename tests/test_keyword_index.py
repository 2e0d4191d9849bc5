"""Tests of the Whoosh keyword backend on small hand-written chunks."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from kb.index.base import Chunk, Filters, IndexUnavailable
from kb.index.keyword import SCHEMA_VERSION, KeywordIndex, match_spans


def chunk(article_id: int, text: str, *, ordinal: int = 0, title: str = "", heading: str = "", **kw) -> Chunk:
    """A chunk with sensible defaults; keyword arguments override the other fields."""
    return Chunk(
        chunk_id=f"{article_id}:{ordinal}",
        article_id=article_id,
        ordinal=ordinal,
        title=title,
        heading_path=(title, heading) if heading else (),
        anchor=heading.lower().replace(" ", "-"),
        text=text,
        **kw,
    )


FILLER = [
    chunk(100, "Invoices are sent by email at the start of every month.", title="Billing"),
    chunk(101, "Two-factor authentication protects your account with a second step.", title="Security"),
    chunk(102, "Export your data as CSV from the reports page.", title="Reports"),
    chunk(103, "Our office is closed on public holidays.", title="Opening hours"),
]


@pytest.fixture
def index(tmp_path: Path):
    ix = KeywordIndex.create(tmp_path / "kw")
    yield ix
    ix.close()


def ids(hits) -> list[int]:
    return [h.article_id for h in hits]


def test_title_match_outranks_body_match(index):
    index.upsert(
        [
            chunk(1, "This section mentions the printer once among other words.", title="Devices"),
            chunk(2, "How to add a device to your office network.", title="Printer setup"),
            *FILLER,
        ],
        [1, 2],
    )
    assert ids(index.search("printer"))[:2] == [2, 1]


def test_heading_and_tags_weigh_more_than_body(index):
    index.upsert(
        [
            chunk(1, "Some words, and the word refund once, among many others here.", title="Payments"),
            chunk(2, "Money goes back to the card within five days.", title="Payments", heading="Refund"),
            chunk(3, "Money goes back to the card within five days.", title="Payments", tags=("refund",)),
            *FILLER,
        ],
        [1, 2, 3],
    )
    assert set(ids(index.search("refund"))[:2]) == {2, 3}


def test_english_stemming_and_matched_terms(index):
    index.upsert([chunk(1, "Connect printers to the network."), *FILLER], [1])
    hits = index.search("How do I add a printer?")
    assert ids(hits) == [1]
    assert hits[0].matched_terms == ("printer",)
    index.upsert([chunk(2, "Each printer has a queue.")], [2])
    assert sorted(ids(index.search("PRINTERS"))) == [1, 2]


@pytest.mark.parametrize(
    "language, text, query",
    [
        ("da", "Du kan nulstille adgangskoden på siden Min konto.", "Hvordan skifter jeg mine adgangskoder?"),
        ("nl", "Alle facturen staan in het klantportaal.", "Waar vind ik mijn factuur?"),
        ("pl", "Status zamówienia sprawdzisz w zakładce Moje zakupy.", "Gdzie jest moje zamówienie?"),
        ("de", "Alle Rechnungen finden Sie im Kundenportal.", "Wo finde ich meine Rechnung?"),
    ],
)
def test_stemming_follows_the_chunk_language(index, language, text, query):
    index.upsert([chunk(1, text, language=language), *FILLER], [1])
    assert ids(index.search(query)) == [1]
    assert ids(index.search(query, language=language)) == [1]


def test_unknown_language_is_not_stemmed(index):
    index.upsert([chunk(1, "printers", language="xx"), *FILLER], [1])
    assert ids(index.search("printers")) == [1]
    assert index.search("printer") == []


def test_a_danish_question_finds_an_english_article(index):
    index.upsert([chunk(1, "Reset your password from the login page."), *FILLER], [1])
    hits = index.search("Hvordan nulstiller jeg min password?")
    assert ids(hits) == [1]
    assert hits[0].matched_terms == ("password",)


def test_log_in_is_one_word_and_no_log_file(index):
    index.upsert([
        chunk(1, "Logs are written to C:\\ProgramData\\Norbly\\logs. Send the log to support.", title="Print agent",
              heading="Logs"),
        chunk(2, "If users cannot log-in after the update, clear the browser cache.", title="Sign-in problems"),
        chunk(3, "Hver åbning logges under Rapporter > Log for pengeskuffe.", title="Pengeskuffen", language="da"),
        chunk(4, "Turn on debug logging in Settings. Staff are\nlogged out after 15 minutes without activity.",
              title="Collect diagnostics", tags=("logs", "on-premise")),
        *FILLER,
    ], range(1, 5))
    for query in ("can't log in", "logged in users are sent back", "login fails", "Log-In", "cannot log on"):
        assert ids(index.search(query))[:1] == [2], query
    assert 1 in ids(index.search("where are the log files"))
    assert ids(index.search("sign in problems"))[:1] == [2]  # "Sign-in" in the title, as "signed in" would be
    # An article keeps the words as written too: "logging in Settings" is still logging, a hard-wrapped
    # "are\nlogged out" is logged out, "log off" is "log out", and a tag is no verb.
    assert ids(index.search("debug logging"))[:1] == [4]
    assert ids(index.search("log off automatically")) == [4]
    assert ids(index.search("logout")) == [4]
    text = "Users cannot log in, or log-in with SSO; their logins are in the audit log."
    assert [text[s:e] for s, e in match_spans(text, "login")] == ["log in", "log-in", "logins"]


def test_typo_in_a_long_word_is_forgiven(index):
    index.upsert([chunk(1, "Reset your password from the login page."), *FILLER], [1])
    hits = index.search("pasword")
    assert ids(hits) == [1]
    assert hits[0].matched_terms == ("pasword",)  # as the user typed it
    assert ids(index.search("passowrd reset")) == [1]  # a transposition is one edit


def test_short_words_and_known_words_are_not_fuzzed(index):
    index.upsert(
        [chunk(1, "Reset your password on the login page."), chunk(2, "Paint the wall."), chunk(3, "Print it.")],
        [1, 2, 3],
    )
    assert index.search("logn") == []  # four letters: too short to guess
    assert ids(index.search("print")) == [3]  # a known word is never "corrected" to "paint"
    assert ids(index.search("paint")) == [2]


def test_typo_match_weighs_less_than_exact_match(index):
    index.upsert([chunk(1, "Password rules."), chunk(2, "Refund rules."), *FILLER], [1, 2])
    hits = index.search("pasword refund")  # same document frequency and length: only the typo differs
    assert ids(hits) == [2, 1]
    assert hits[0].score > hits[1].score
    assert hits[1].matched_terms == ("pasword",) and hits[0].matched_terms == ("refund",)


def test_among_chunks_holding_a_code_the_one_titled_with_it_comes_first(index):
    index.upsert(
        [
            chunk(1, "Known issues: ERR-4012, ERR-5000 and a slow start.", title="Known issues this month"),
            chunk(2, "Open the reset link again; it expires after an hour.", title="Reset link shows ERR-4012"),
            chunk(3, "Error ERR-4013 means the printer is out of paper.", title="Printer errors"),
            *FILLER,
        ],
        [1, 2, 3],
    )
    assert ids(index.search("ERR-4012")) == [2, 1]
    assert ids(index.search("err-4012")) == [2, 1]


def test_identifiers_match_exactly(index):
    index.upsert(
        [
            chunk(1, "Error ERR-4012 means the printer is offline."),
            chunk(2, "Error ERR-4013 means the printer is out of paper."),
            chunk(3, "Access denied (0x80070005) when saving to the shared drive."),
            chunk(4, "Fixed in v2.3.1; see also 4.18.2 release notes."),
            chunk(5, "Fixed in v2.3.10."),
            *FILLER,
        ],
        [1, 2, 3, 4, 5],
    )
    assert ids(index.search("ERR-4012")) == [1]
    assert ids(index.search("err-4013")) == [2]
    assert ids(index.search("0x80070005")) == [3]
    assert ids(index.search("v2.3.1")) == [4]
    assert ids(index.search("4.18.2")) == [4]
    assert index.search("ERR-4012")[0].matched_terms == ("err-4012",)


def test_identifier_ranks_first_even_against_many_matching_words(index):
    index.upsert(
        [
            chunk(1, "Printer offline? Check the printer cable, restart the printer.", title="Offline"),
            chunk(2, "ERR-4012 is shown when the spooler stops."),
            *FILLER,
        ],
        [1, 2],
    )
    assert ids(index.search("printer offline ERR-4012")) == [2, 1]
    assert ids(index.search("printer offline", exact_terms=["ERR-4012"]))[0] == 2


def test_unknown_identifier_falls_back_to_its_words(index):
    index.upsert([chunk(1, "The spooler error 4099 appears after updates."), *FILLER], [1])
    assert ids(index.search("ERR-4099 spooler")) == [1]


def test_filters_are_applied_before_ranking(index):
    index.upsert(
        [
            chunk(1, "Refund policy for customers.", tags=("billing", "policy"), team="finance"),
            chunk(2, "Refund policy for partners.", tags=("billing",), team="sales"),
            chunk(3, "Refund policy draft.", tags=("billing", "policy"), team="finance", status="draft"),
            chunk(4, "Een refund aanvragen.", tags=("billing", "policy"), team="finance", language="nl"),
            *[chunk(10 + i, f"Refund refund refund number {i}.", team="support") for i in range(30)],
        ],
        [1, 2, 3, 4, *range(10, 40)],
    )
    assert set(ids(index.search("refund", limit=3, filters=Filters(tags=("billing", "policy"))))) == {1, 4}
    assert ids(index.search("refund", limit=3, filters=Filters(teams=("sales",)))) == [2]
    assert ids(index.search("refund", filters=Filters(teams=("finance",), languages=("en",)))) == [1]
    assert set(ids(index.search("refund", filters=Filters(teams=("finance",), statuses=())))) == {1, 3, 4}
    assert ids(index.search("refund", filters=Filters(statuses=("draft",), tags=("policy",)))) == [3]
    assert ids(index.search("refund", filters=Filters(languages=("nl",)))) == [4]
    assert index.search("refund", filters=Filters(tags=("nope",))) == []


def test_upsert_replaces_and_delete_removes(index):
    index.upsert([chunk(1, "Old text about fax machines."), chunk(1, "More about fax.", ordinal=1)], [1])
    index.upsert([chunk(2, "Scanner drivers.")], [2])
    assert index.count() == 3
    index.upsert([chunk(1, "New text about scanners.")], [1])
    assert index.count() == 2
    assert index.search("fax") == []
    assert ids(index.search("scanner")) in ([1, 2], [2, 1])
    index.delete([2])
    assert index.count() == 1 and ids(index.search("scanner")) == [1]
    index.upsert([], [1])  # no chunks: the article is gone
    assert index.count() == 0 and index.search("scanner") == []


def test_many_upserts_with_background_merges_keep_results_exact(tmp_path):
    ix = KeywordIndex.create(tmp_path / "kw")
    for i in range(25):
        ix.upsert([chunk(i % 7, f"Version {i} of the laptop guide.", ordinal=0)], [i % 7])
    ix.close()  # waits for the merge thread
    ix = KeywordIndex.open(tmp_path / "kw")
    assert ix.count() == 7
    hits = ix.search("laptop guide")
    assert sorted(ids(hits)) == list(range(7))
    assert len({h.chunk_id for h in hits}) == 7
    ix.close()


def test_open_missing_corrupt_or_other_version_raises(tmp_path):
    with pytest.raises(IndexUnavailable):
        KeywordIndex.open(tmp_path / "nowhere")
    (tmp_path / "empty").mkdir()
    with pytest.raises(IndexUnavailable):
        KeywordIndex.open(tmp_path / "empty")

    ix = KeywordIndex.create(tmp_path / "kw")
    ix.upsert([chunk(1, "Hello world.")], [1])
    ix.close()
    KeywordIndex.open(tmp_path / "kw").close()
    toc = sorted((tmp_path / "kw").glob("*.toc"))[-1]
    good = toc.read_bytes()
    toc.write_bytes(b"\x00garbage" * 10)
    with pytest.raises(IndexUnavailable):
        KeywordIndex.open(tmp_path / "kw")
    toc.write_bytes(good)
    for seg in (tmp_path / "kw").glob("*.seg"):
        seg.write_bytes(b"broken")
    with pytest.raises(IndexUnavailable):
        KeywordIndex.open(tmp_path / "kw")

    older = tmp_path / "older"
    KeywordIndex.create(older).close()
    for toc in older.glob("*.toc"):
        toc.rename(toc.with_name(toc.name.replace(f"_v{SCHEMA_VERSION}_", f"_v{SCHEMA_VERSION - 1}_")))
    with pytest.raises(IndexUnavailable, match="schema version"):
        KeywordIndex.open(older)


def test_second_instance_sees_upsert_after_refresh(tmp_path):
    first = KeywordIndex.create(tmp_path / "kw")
    first.upsert([chunk(1, "Keyboard shortcuts.")], [1])
    second = KeywordIndex.open(tmp_path / "kw")
    first.upsert([chunk(2, "Mouse settings.")], [2])
    first.delete([1])
    assert ids(second.search("keyboard")) == [1] and second.search("mouse") == []  # until refreshed
    second.refresh()
    assert second.search("keyboard") == [] and ids(second.search("mouse")) == [2]
    assert second.count() == 1
    second.refresh()  # nothing new: cheap and harmless
    assert second.count() == 1
    first.close()
    second.close()


def test_concurrent_writers_wait_for_the_lock(tmp_path):
    KeywordIndex.create(tmp_path / "kw").close()
    writers = [KeywordIndex.open(tmp_path / "kw") for _ in range(3)]
    errors: list[BaseException] = []

    def work(n: int) -> None:
        try:
            for i in range(6):
                article = n * 100 + i
                writers[n].upsert([chunk(article, f"Note {article} about monitors.")], [article])
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    writers[0].refresh()
    assert writers[0].count() == 18
    assert len(writers[0].search("monitors")) == 18
    for w in writers:
        w.close()


HOSTILE = [
    "",
    "   ",
    "?!.,;:-",
    "AND OR NOT",
    '"unclosed phrase',
    "title:printer AND (body:* OR text:?)",
    "printer*",
    "((((",
    "\\",
    "\x00\x01",
    "🙂 emoji only",
    "a" * 5000,
    "ERR-",
    "-4012",
    "v..1",
    "_ _ _",
    "ü" * 300,
]


@pytest.mark.parametrize("query", HOSTILE)
def test_hostile_queries_do_not_raise(index, query):
    index.upsert([chunk(1, "Printer setup and title checks."), *FILLER], [1])
    assert isinstance(index.search(query), list)
    assert isinstance(index.search(query, exact_terms=[query]), list)
    assert isinstance(match_spans("Printer setup.", query), list)


def test_long_pasted_text_is_bounded(index):
    index.upsert([chunk(1, "Printer offline after the update."), *FILLER], [1])
    words = [f"word{i}" for i in range(3000)]  # far more distinct words than a query keeps
    text = ("Hello team, " + " ".join(words) + " the printer is offline. ")[:10_000] + " printer offline"
    start = time.perf_counter()
    hits = index.search(text)
    assert time.perf_counter() - start < 2.0
    assert ids(hits)[:1] == [1]


def test_empty_index_and_limits(index):
    assert index.search("anything") == []
    assert index.count() == 0
    index.upsert([chunk(i, f"Widget number {i}.") for i in range(5)], range(5))
    assert len(index.search("widget", limit=3)) == 3
    assert index.search("widget", limit=0) == []


def test_match_spans_marks_the_right_words():
    text = "Printers show ERR-4012, not ERR-4013, after the v2.3.1 update."
    marked = [text[a:b] for a, b in match_spans(text, "printer error ERR-4012 v2.3.1 the")]
    assert marked == ["Printers", "ERR-4012", "v2.3.1"]
    assert [text[a:b] for a, b in match_spans(text, "updating")] == ["update"]
    danish = "Nulstil adgangskoden her."
    assert [danish[a:b] for a, b in match_spans(danish, "adgangskoder", language="da")] == ["adgangskoden"]
    assert match_spans(text, "") == []
