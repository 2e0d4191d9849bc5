"""What agents search for: searches and suggestions per day, top queries, unanswered queries, click-through.

Searches come from the query log; suggestions from the suggestion table every path already writes (the
paste-a-ticket page and the API), so the figures count each suggestion once, however it was asked.
"""

from __future__ import annotations

from sqlalchemy import case, func, select

from kb.analytics.query_log import MISSED, UNANSWERED_TICKET
from kb.analytics.window import Table, Window, day_of, ratio
from kb.db import Database
from kb.models import QueryLogEntry, SuggestQuery
from kb.views import iso

Q = QueryLogEntry
DAILY_COLUMNS = ("day", "searches", "no_result", "clicked", "suggestions", "abstained")
TICKET_EXAMPLE_CHARS = 200


def _search_in(window: Window):  # noqa: ANN202 - a SQLAlchemy where-clause list
    return (Q.kind == "search", Q.day >= window.since, Q.day <= window.until)


def _suggest_in(window: Window):  # noqa: ANN202
    return (SuggestQuery.created_at >= window.start, SuggestQuery.created_at < window.end)


class SearchReports:
    """Aggregates over the query log with GROUP BY on indexed columns, limited to a date window."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def daily(self, window: Window) -> Table:
        """Per day: searches, searches with no result, searches after which a result was opened, suggestions."""
        rows = {d: {"day": d.isoformat(), **dict.fromkeys(DAILY_COLUMNS[1:], 0)} for d in window.each_day()}
        no_result = func.sum(case((MISSED, 1), else_=0))
        with self.db.session() as session:
            for day, searches, empty, clicked in session.execute(
                    select(Q.day, func.count(), no_result, func.count(Q.clicked_article_id))
                    .where(*_search_in(window)).group_by(Q.day)):
                rows[day_of(day)].update(searches=searches, no_result=int(empty or 0), clicked=clicked)
            day = func.date(SuggestQuery.created_at)
            abstained = func.sum(case((SuggestQuery.abstained.is_(True), 1), else_=0))
            for value, count, skipped in session.execute(
                    select(day, func.count(), abstained).where(*_suggest_in(window)).group_by(day)):
                if day_of(value) in rows:
                    rows[day_of(value)].update(suggestions=count, abstained=int(skipped or 0))
        return Table.of("daily", DAILY_COLUMNS, list(rows.values()))

    def top_queries(self, window: Window, limit: int = 20) -> Table:
        """The most frequent searches, with how often a result was opened and how often nothing was found."""
        count = func.count().label("n")
        no_result = func.sum(case((MISSED, 1), else_=0))
        with self.db.session() as session:
            found = session.execute(select(Q.query_key, count, func.count(Q.clicked_article_id), no_result)
                                    .where(*_search_in(window), Q.query_key != "").group_by(Q.query_key)
                                    .order_by(count.desc(), Q.query_key).limit(limit)).all()
        rows = [{"query": key, "searches": n, "clicked": clicked, "no_result": int(empty or 0),
                 "click_through": ratio(clicked, n)} for key, n, clicked, empty in found]
        return Table.of("top-queries", ("query", "searches", "clicked", "no_result", "click_through"), rows)

    def unanswered(self, window: Window, limit: int = 50) -> Table:
        """Searches that found nothing (grouped) and tickets the suggester abstained on (newest first)."""
        count = func.count().label("n")
        with self.db.session() as session:
            misses = session.execute(select(Q.query_key, count, func.max(Q.at))
                                     .where(*_search_in(window), MISSED, Q.query_key != "")
                                     .group_by(Q.query_key).order_by(count.desc(), Q.query_key).limit(limit)).all()
            tickets = session.execute(select(SuggestQuery.query_text, SuggestQuery.created_at)
                                      .where(*_suggest_in(window), UNANSWERED_TICKET)
                                      .order_by(SuggestQuery.created_at.desc()).limit(limit)).all()
        rows = [{"kind": "search", "query": key, "count": n, "last_at": iso(last)} for key, n, last in misses]
        rows += [{"kind": "suggestion", "query": " ".join(text.split())[:TICKET_EXAMPLE_CHARS], "count": 1,
                  "last_at": iso(at)} for text, at in tickets]
        return Table.of("unanswered", ("kind", "query", "count", "last_at"), rows)

    def totals(self, window: Window) -> dict[str, int]:
        """Searches, those with no result, with a result, and with a result opened; suggestions and abstentions."""
        no_result = func.sum(case((MISSED, 1), else_=0))
        abstained = func.sum(case((SuggestQuery.abstained.is_(True), 1), else_=0))
        with self.db.session() as session:
            searches, empty, clicked = session.execute(
                select(func.count(), no_result, func.count(Q.clicked_article_id)).where(*_search_in(window))).one()
            suggestions, skipped = session.execute(select(func.count(), abstained).where(*_suggest_in(window))).one()
        return {"searches": searches, "no_result": int(empty or 0), "with_results": searches - int(empty or 0),
                "clicked": clicked, "suggestions": suggestions, "abstained": int(skipped or 0)}

    def unanswered_tickets(self, window: Window) -> int:
        """Tickets abstained on that no article was linked to or found helpful since."""
        with self.db.session() as session:
            return session.execute(select(func.count()).where(*_suggest_in(window), UNANSWERED_TICKET)).scalar_one()

    def summary(self, window: Window) -> Table:
        """The headline figures: volumes, the no-result and abstention rates, click-through."""
        t = self.totals(window)
        row = {**t, "no_result_rate": ratio(t["no_result"], t["searches"]),
               "abstain_rate": ratio(t["abstained"], t["suggestions"]),
               "click_through": ratio(t["clicked"], t["with_results"])}
        columns = ("searches", "no_result", "no_result_rate", "with_results", "clicked", "click_through",
                   "suggestions", "abstained", "abstain_rate")
        return Table.of("summary", columns, [row])
