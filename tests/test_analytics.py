"""Analytics core: a scripted stream of searches, suggestions and feedback, and every figure computed from it."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, update

from kb.analytics import default_window
from kb.analytics.charts import daily_bars, horizontal_bars, sparkline
from kb.analytics.cluster import agglomerate
from kb.analytics.drift import LINK_RATE_FELL, REJECTED
from kb.analytics.gaps import suggest_title, trend
from kb.analytics.window import Table, Window
from kb.models import Feedback, QueryLogEntry, SuggestQuery, utcnow
from kb.suggestion_counts import add_counts

NOW = utcnow()
TODAY = NOW.date()


def search(kb, query: str, days_ago: float, shown=(), clicked: int | None = None, **extra) -> str:
    at = NOW - timedelta(days=days_ago)
    log_id = kb.analytics.log.record_search(query, mode="hybrid", filters=extra.get("filters", {}), shown=list(shown),
                                            total=len(shown), took_ms=12.5, actor="alice", source="page", at=at)
    if clicked is not None:
        assert kb.analytics.log.click(log_id, clicked, "alice", at=at + timedelta(seconds=5))
    return log_id


def suggestion(kb, text: str, shown: list[int], abstained: bool, days_ago: float = 0) -> str:
    query_id = kb.feedback.record_query(query_text=text, shown=shown, abstained=abstained,
                                        top_confidence=0.2 if abstained else 0.8)
    if days_ago:
        at = NOW - timedelta(days=days_ago)
        with kb.db.session() as session:
            today = session.get(SuggestQuery, query_id).created_at.date()
            session.execute(update(SuggestQuery).where(SuggestQuery.id == query_id).values(created_at=at))
            # move its count to that day too, as if it had been made then
            add_counts(session, [(today, a, -1) for a in set(shown)] + [(at.date(), a, 1) for a in set(shown)])
    return query_id


def feedback(kb, query_id: str, article_id: int, outcome: str, days_ago: float = 0) -> None:
    kb.feedback.add(query_id, article_id, outcome)
    if days_ago:
        with kb.db.session() as session:
            session.execute(update(Feedback).where(Feedback.query_id == query_id)
                            .values(created_at=NOW - timedelta(days=days_ago)))


LONG_AGO = NOW - timedelta(days=120)  # written well before the month of searches below


@pytest.fixture
def stream(searchable_kb):
    """Three articles and a month of searches, suggestions and feedback; the Xero article is written last."""
    kb = searchable_kb
    printer = kb.store.create({"title": "Printer prints blank receipts", "status": "published", "owner": "maja",
                               "body": "## Symptoms\n\nBlank receipts."}, author="maja", created_at=LONG_AGO).id
    password = kb.store.create({"title": "Reset your password", "status": "published", "owner": "ole",
                                "body": "## Steps\n\nClick Forgot password."}, author="ole",
                               created_at=LONG_AGO).id
    for _ in range(3):
        search(kb, "Printer blank", 3, [printer], clicked=printer)
    search(kb, "printer  BLANK", 3, [printer])
    search(kb, "reset password", 2, [password], clicked=password)
    search(kb, "reset password", 2, [password])
    search(kb, "refund for anna@example.com", 1, [password])
    search(kb, "xero export invoices", 5)
    search(kb, "xero export invoices", 4)
    search(kb, "export invoices to xero", 4)
    search(kb, "exporting invoices xero", 1)
    search(kb, "printer offline", 3)
    search(kb, "printer offline", 2)
    search(kb, "receipt printer offline again", 1)
    search(kb, "printer blank", 45, [printer])  # outside the 30-day window
    xero = kb.store.create({"title": "Export invoices to Xero", "status": "published", "owner": "maja",
                            "body": "## Steps\n\nSettings, Integrations, Xero."}, author="maja").id
    search(kb, "xero export invoices", 0, [xero], clicked=xero)

    suggestion(kb, "cannot export invoices into xero", [], True)
    suggestion(kb, "printer offline since the update", [printer], True)
    for _ in range(3):  # the password article keeps being suggested and rejected
        feedback(kb, suggestion(kb, "login trouble", [password], False), password,
                 "not_related" if _ < 2 else "did_not_answer")
    for n in range(5):  # the printer article: linked 3 of 5 times last month, 1 of 5 times this month
        feedback(kb, suggestion(kb, "blank receipt", [printer], False, days_ago=40), printer, "linked", 40) \
            if n < 3 else suggestion(kb, "blank receipt", [printer], False, days_ago=40)
        query_id = suggestion(kb, "blank receipt", [printer], False, days_ago=10)
        if n == 0:
            feedback(kb, query_id, printer, "linked", 10)
    kb.feedback.vote(password, True, "alice")
    return kb, {"printer": printer, "password": password, "xero": xero}


def test_the_log_masks_personal_data_and_keeps_filters_results_clicks_latency_and_who(stream) -> None:
    kb, ids = stream
    log_id = search(kb, "call +45 31 22 45 67 or mail bo@example.com, card 4111 1111 1111 1111", 0,
                    [ids["printer"]], clicked=ids["printer"], filters={"tag": ["bo@example.com"], "team": []})
    with kb.db.session() as session:
        row = session.get(QueryLogEntry, log_id)
        assert row.query == "call [phone] or mail [email], card [card]"
        assert row.query_key == row.query.lower() and row.filters == {"tag": ["[email]"]}
        assert (row.kind, row.source, row.actor, row.took_ms, row.shown) == ("search", "page", "alice", 12.5,
                                                                            [ids["printer"]])
        assert row.clicked_article_id == ids["printer"] and row.clicked_at > row.at and row.day == TODAY
        stored = " ".join(str(r.query) for r in session.scalars(select(QueryLogEntry)))
    assert "anna@example.com" not in stored and "4111" not in stored and "refund for [email]" in stored
    assert not kb.analytics.log.click(log_id, ids["password"], "alice")  # the first opened result counts


def test_daily_figures(stream) -> None:
    kb, _ = stream
    table = kb.analytics.report("daily", default_window(30))
    assert len(table.rows) == 30 and table.rows[-1]["day"] == TODAY.isoformat()
    by_day = {r["day"]: r for r in table.rows}
    day = lambda n: by_day[(TODAY - timedelta(days=n)).isoformat()]  # noqa: E731
    assert day(3) == {"day": day(3)["day"], "searches": 5, "no_result": 1, "clicked": 3, "suggestions": 0,
                      "abstained": 0}
    assert (day(2)["searches"], day(2)["no_result"], day(2)["clicked"]) == (3, 1, 1)
    assert (day(0)["searches"], day(0)["clicked"], day(0)["suggestions"], day(0)["abstained"]) == (1, 1, 5, 2)
    assert day(10)["suggestions"] == 5
    assert sum(r["searches"] for r in table.rows) == 15  # the search 45 days ago is outside the window


def test_a_search_whose_result_was_opened_is_no_miss_however_unsure_it_was(settings) -> None:
    from kb.knowledge_base import open_knowledge_base

    kb = open_knowledge_base(settings, with_search=False)
    try:
        article = kb.store.create({"title": "Wachtwoord vergeten", "status": "published", "body": "x"}, author="x").id
        for opened in (True, False):  # shown, but below the confidence a search counts as answered
            log_id = kb.analytics.log.record_search("wachtwoord vergeten", mode="hybrid", filters={},
                                                    shown=[article], total=0, took_ms=5.0, actor="alice")
            if opened:
                assert kb.analytics.log.click(log_id, article, "alice")
        window = default_window(7)
        summary = kb.analytics.report("summary", window).rows[0]
        assert (summary["searches"], summary["no_result"], summary["clicked"]) == (2, 1, 1)
        assert summary["click_through"] <= 1.0
        (top,) = kb.analytics.report("top-queries", window).rows
        assert (top["searches"], top["clicked"], top["no_result"]) == (2, 1, 1)
    finally:
        kb.close()


def test_summary_top_queries_and_unanswered(stream) -> None:
    kb, _ = stream
    window = default_window(30)
    summary = kb.analytics.report("summary", window).rows[0]
    assert summary == {"searches": 15, "no_result": 7, "no_result_rate": 0.467, "with_results": 8, "clicked": 5,
                       "click_through": 0.625, "suggestions": 10, "abstained": 2, "abstain_rate": 0.2}
    top = kb.analytics.report("top-queries", window).rows
    assert top[0] == {"query": "printer blank", "searches": 4, "clicked": 3, "no_result": 0, "click_through": 0.75}
    assert [r["query"] for r in top[1:4]] == ["xero export invoices", "printer offline", "reset password"]
    assert top[1] == {"query": "xero export invoices", "searches": 3, "clicked": 1, "no_result": 2,
                      "click_through": 0.333}
    unanswered = kb.analytics.report("unanswered", window).rows
    searches = [(r["query"], r["count"]) for r in unanswered if r["kind"] == "search"]
    assert searches == [("printer offline", 2), ("xero export invoices", 2), ("export invoices to xero", 1),
                        ("exporting invoices xero", 1), ("receipt printer offline again", 1)]
    tickets = [r["query"] for r in unanswered if r["kind"] == "suggestion"]
    assert sorted(tickets) == ["cannot export invoices into xero", "printer offline since the update"]
    assert kb.analytics.report("no-such-report", window) is None


def test_articles_by_links_helpfulness_views_and_reads(stream) -> None:
    kb, ids = stream
    window = default_window(30)
    for _ in range(5):
        kb.reads.record(ids["xero"], window.until)
    kb.reads.record(ids["password"], window.since)
    kb.reads.record(ids["password"], window.since - timedelta(days=1))  # before the window: not counted
    by_links = kb.analytics.report("articles", window, "links").rows
    assert [r["id"] for r in by_links] == [ids["printer"], ids["password"], ids["xero"]]
    assert by_links[0] == {"id": ids["printer"], "slug": "printer-prints-blank-receipts",
                           "title": "Printer prints blank receipts", "owner": "maja", "links": 4, "helpful": 0,
                           "not_related": 0, "did_not_answer": 0, "helpfulness": 1.0, "views": 3, "reads": 0}
    assert by_links[1]["helpful"] == 1 and by_links[1]["not_related"] == 2 and by_links[1]["helpfulness"] == 0.25
    assert [r["id"] for r in kb.analytics.report("articles", window, "views").rows] == [
        ids["printer"], ids["password"], ids["xero"]]
    assert [r["id"] for r in kb.analytics.report("articles", window, "helpfulness").rows][:2] == [
        ids["printer"], ids["password"]]
    assert kb.analytics.report("articles", window, "views").name == "articles-by-views"
    by_reads = kb.analytics.report("articles", window, "reads").rows
    assert [(r["id"], r["reads"]) for r in by_reads] == [(ids["xero"], 5), (ids["password"], 1), (ids["printer"], 0)]
    assert kb.reads.recent(ids["password"], days=2, today=window.since) == 2
    assert kb.reads.recent(ids["password"], days=1, today=window.since) == 1


def test_stale_articles_and_time_from_not_found_to_article(stream) -> None:
    kb, ids = stream
    window = default_window(30)
    kb.store.update(ids["password"], {"review_by": TODAY - timedelta(days=1)}, base_revision=1, author="ole")
    stale = kb.analytics.report("stale", window).rows
    assert [(r["slug"], r["reason"]) for r in stale] == [("reset-your-password", "review date passed")]
    rows = kb.analytics.report("time-to-article", window).rows
    assert [(r["query"], r["slug"]) for r in rows] == [("xero export invoices", "export-invoices-to-xero")]
    assert 119.9 <= rows[0]["hours"] <= 120.1


def test_gap_groups_by_meaning_with_size_trend_and_examples(stream) -> None:
    kb, _ = stream
    groups = kb.analytics.gap_groups(default_window(28))
    assert len(groups) == 2
    printer, xero = groups
    assert (printer.title, printer.size, printer.searches, printer.tickets) == ("Printer offline", 4, 3, 1)
    # "xero export invoices" found the new Xero article today: that query is answered, its wordings are not
    assert (xero.size, xero.searches, xero.tickets) == (3, 2, 1)
    assert set(xero.examples) == {"export invoices to xero", "exporting invoices xero",
                                  "cannot export invoices into xero"}
    assert sum(xero.trend) == xero.size and len(xero.trend) == 4 and xero.trend_label == "new"
    assert "- cannot export invoices into xero" in xero.editor_body()
    assert kb.analytics.gap_groups(default_window(28)) is kb.analytics.gap_groups(default_window(28))  # cached
    table = kb.analytics.report("gaps", default_window(28))
    assert table.rows[0]["title"] == "Printer offline" and table.rows[0]["size"] == 4


def test_an_abstained_ticket_an_agent_solved_with_an_article_is_no_gap(stream) -> None:
    kb, ids = stream
    window = default_window(28)
    offline = suggestion(kb, "receipt printer offline after the update", [ids["printer"]], True)
    rejected = suggestion(kb, "printer offline on the second till", [ids["printer"]], True)
    feedback(kb, rejected, ids["printer"], "not_related")  # a rejection answers nothing
    assert kb.analytics.gap_groups(window)[0].tickets == 3
    for verdict in ("linked", "helpful"):
        feedback(kb, offline, ids["printer"], verdict)
        tickets = [r["query"] for r in kb.analytics.report("unanswered", window).rows if r["kind"] == "suggestion"]
        assert "receipt printer offline after the update" not in tickets
        assert "printer offline on the second till" in tickets
        assert kb.analytics.report("gaps", window).rows[0]["tickets"] == 2
        feedback(kb, offline, ids["printer"], "not_related")  # taken back: a gap again
        assert "receipt printer offline after the update" in [
            r["query"] for r in kb.analytics.report("unanswered", window).rows]
    # The abstention itself still happened: the suggester's own figure does not change.
    assert kb.analytics.report("summary", window).rows[0]["abstained"] == 4


def test_drift_flags_rejected_and_falling_articles_for_their_owners(stream) -> None:
    kb, ids = stream
    window = default_window(30)
    rows = {r["id"]: r for r in kb.analytics.report("drift", window).rows}
    assert set(rows) == {ids["password"], ids["printer"]}
    assert (rows[ids["password"]]["reason"], rows[ids["password"]]["rejected"]) == (REJECTED, 3)
    assert rows[ids["printer"]]["reason"] == LINK_RATE_FELL
    # This month it was shown 6 times (the abstained ticket listed it too) and linked once.
    assert (rows[ids["printer"]]["link_rate_before"], rows[ids["printer"]]["link_rate"]) == (0.6, 0.167)
    assert sorted(kb.analytics.flag_drift(window)) == sorted([ids["password"], ids["printer"]])
    assert kb.analytics.flag_drift(window) == []  # already flagged: nothing new
    flagged = kb.store.get(ids["password"])
    assert flagged.review_reason == REJECTED and flagged.needs_review(TODAY) and flagged.owner == "ole"
    assert {r["slug"] for r in kb.analytics.report("stale", window).rows} == {
        "reset-your-password", "printer-prints-blank-receipts"}


def test_purge_removes_what_is_older_than_the_retention(stream) -> None:
    kb, _ = stream
    report = kb.analytics.log.purge(days=30)
    assert (report.queries, report.suggestions) == (1, 5)
    with kb.db.session() as session:
        assert session.scalar(select(QueryLogEntry).where(QueryLogEntry.at < report.cutoff)) is None
        assert len(session.scalars(select(Feedback)).all()) == 4 + 3 - 3  # last month's 3 links went with them
    assert kb.analytics.log.purge().queries == 0  # default retention: 90 days


def test_logging_can_be_switched_off(settings) -> None:
    from kb.knowledge_base import open_knowledge_base

    kb = open_knowledge_base(settings.with_overrides(query_log_enabled=False), with_search=False)
    try:
        assert search(kb, "printer", 0) is None
        kb.analytics.log.record_suggest("q1", "text", filters={}, shown=[], abstained=True, took_ms=1.0)
        query_id = kb.feedback.record_query(query_text="refund for anna", shown=[], abstained=True,
                                            top_confidence=0.1)
        with kb.db.session() as session:
            assert session.scalars(select(QueryLogEntry)).all() == []
            assert session.get(SuggestQuery, query_id).query_text == ""  # feedback still works, no ticket text
    finally:
        kb.close()


def test_typing_a_search_rewrites_its_row(knowledge_base) -> None:
    first = search(knowledge_base, "prin", 0)
    log = knowledge_base.analytics.log
    again = log.record_search("printer", mode="hybrid", filters={}, shown=[], total=0, took_ms=1, replaces=first)
    assert again == first
    with knowledge_base.db.session() as session:
        assert [r.query for r in session.scalars(select(QueryLogEntry))] == ["printer"]


def test_building_blocks() -> None:
    window = Window.last(28)
    assert window.days == 28 and window.until - window.since == timedelta(days=27)
    assert trend([window.since, window.until, window.until], window) == ((1, 0, 0, 2), "rising")
    assert trend([window.since] * 8 + [window.until], window)[1] == "falling"
    one_day = Window.last(1)  # no earlier part: not "falling" because every day lands in the first
    assert trend([one_day.since] * 3, one_day) == ((3,), "steady")
    assert suggest_title("how do I export? And then more") == "How do I export"
    assert agglomerate([[1, 0], [0.9, 0.1], [0, 1]], 0.8) == [[0, 1], [2]]
    table = Table.of("t", ("a", "b"), [{"a": "=cmd()", "b": [1, 2]}, {"a": None, "b": 3}])
    assert table.to_csv() == "a,b\r\n'=cmd(),1 | 2\r\n,3\r\n"
    svg = daily_bars("Per <day>", ["2026-01-01", "2026-01-02"], [("searches", [3, 1]), ("none", [1, 0])])
    assert svg.startswith("<svg") and "Per &lt;day&gt;" in svg and svg.count("<rect") == 4 and "style=" not in svg
    assert horizontal_bars("Top", [("<b>", 2)]).count("&lt;b&gt;") == 2 and "<polyline" in sparkline("t", [1, 2])


def test_drift_does_not_flag_again_after_a_review_or_a_fix(stream) -> None:
    kb, ids = stream
    window = default_window(30)
    assert sorted(kb.analytics.flag_drift(window)) == sorted([ids["password"], ids["printer"]])
    kb.workflow.mark_reviewed(ids["password"], by="rita")  # the reviewer checked it: the old rejections are spent
    article = kb.store.get(ids["printer"])
    kb.store.update(article.id, {"body": article.body + "\n\nAlso check the paper roll."},
                    base_revision=article.revision, author="maja")  # fixed: the flag clears
    assert kb.analytics.flag_drift(window) == []
    assert kb.store.get(ids["password"]).review_requested_at is None
    assert kb.store.get(ids["printer"]).review_requested_at is None
    for _ in range(3):  # new rejections after the review count again
        # A minute after now, so clearly after the review however long the suite ran since NOW was taken.
        later = -((utcnow() - NOW).total_seconds() + 60) / 86400
        feedback(kb, suggestion(kb, "login trouble again", [ids["password"]], False, later), ids["password"],
                 "not_related", later)
    assert kb.analytics.flag_drift(window) == [ids["password"]]
