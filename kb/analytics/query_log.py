"""The query log: every search and API suggestion, with personal data masked before anything is stored."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, delete, exists, insert, select, update

from kb.db import Database
from kb.models import Feedback, QueryLogEntry, SuggestionCount, SuggestQuery, utcnow
from kb.personal_data import mask_personal_data

MAX_QUERY = 1000  # a pasted ticket is kept to its start: enough to read, to cluster and to group
MAX_KEY = 200


def query_key(masked: str) -> str:
    """The form queries are grouped under: lowercased, whitespace folded, cut to MAX_KEY characters."""
    return " ".join(masked.lower().split())[:MAX_KEY]


def clean_filters(filters: Mapping[str, object]) -> dict[str, object]:
    """Only the filters that were set, with their values masked (a tag can carry an e-mail too)."""
    def mask(value: object) -> object:
        if isinstance(value, str):
            return mask_personal_data(value)[:200]
        if isinstance(value, list | tuple):
            return [mask(v) for v in value][:20]
        return value
    return {name: mask(value) for name, value in filters.items() if value not in (None, "", (), [])}


# A search "found nothing" when nothing credible was shown and the agent opened nothing either: a result
# someone opened answered it, whatever the confidence said.
MISSED = and_(QueryLogEntry.result_count == 0, QueryLogEntry.clicked_article_id.is_(None))
# Likewise a ticket the suggester abstained on is answered once an agent linked an article to it or found one
# helpful: that article exists, and the gap report must not ask for it to be written again.
UNANSWERED_TICKET = and_(SuggestQuery.abstained.is_(True), ~exists().where(
    Feedback.query_id == SuggestQuery.id, Feedback.outcome.in_(("linked", "helpful"))))


@dataclass(frozen=True)
class PurgeReport:
    """What a retention purge removed."""

    cutoff: datetime
    queries: int
    suggestions: int


class QueryLog:
    """Writes log rows (one INSERT each) and purges them after the retention period."""

    def __init__(self, db: Database, *, enabled: bool = True, retention_days: int = 90) -> None:
        self.db = db
        self.enabled = enabled
        self.retention_days = retention_days

    def record_search(self, query: str, *, mode: str, filters: Mapping[str, object], shown: Sequence[int],
                      total: int, took_ms: float, actor: str = "", source: str = "api",
                      replaces: str | None = None, at: datetime | None = None,
                      log_id: str | None = None) -> str | None:
        """Log one search; `replaces` rewrites the row of a search the agent was still typing. Returns its id."""
        if not self.enabled:
            return None
        masked = mask_personal_data(query)[:MAX_QUERY]
        row = {"query": masked, "query_key": query_key(masked), "mode": mode[:10], "filters": clean_filters(filters),
               "shown": [int(i) for i in shown], "result_count": total, "took_ms": round(took_ms, 2),
               "top_article_id": int(shown[0]) if shown else None}
        when = at or utcnow()
        with self.db.engine.begin() as connection:
            if replaces:
                done = connection.execute(update(QueryLogEntry).where(
                    QueryLogEntry.id == replaces, QueryLogEntry.clicked_article_id.is_(None),
                    QueryLogEntry.kind == "search").values(**row, at=when, day=when.date())).rowcount
                if done:
                    return replaces
            log_id = log_id or uuid.uuid4().hex
            connection.execute(insert(QueryLogEntry).values(id=log_id, at=when, day=when.date(), kind="search",
                                                            source=source[:10], actor=actor[:120], **row))
        return log_id

    def record_suggest(self, query_id: str, query: str, *, filters: Mapping[str, object], shown: Sequence[int],
                       abstained: bool, took_ms: float, actor: str = "", source: str = "api",
                       at: datetime | None = None) -> None:
        """Log one suggestion under its query_id (the feedback on it refers to the same id)."""
        if not self.enabled:
            return
        masked = mask_personal_data(query)[:MAX_QUERY]
        when = at or utcnow()
        with self.db.engine.begin() as connection:
            connection.execute(insert(QueryLogEntry).values(
                id=query_id, at=when, day=when.date(), kind="suggest", source=source[:10], query=masked,
                query_key=query_key(masked), mode="hybrid", filters=clean_filters(filters),
                shown=[int(i) for i in shown], result_count=len(shown), abstained=abstained,
                top_article_id=int(shown[0]) if shown else None, took_ms=round(took_ms, 2), actor=actor[:120]))

    def click(self, log_id: str, article_id: int, actor: str, at: datetime | None = None) -> str | None:
        """Record the first result `actor` opened from their own logged search; the search's query, else None.

        Only a result the search showed counts: the click also feeds "popular searches", which every agent
        sees, so a made-up request must not put text there.
        """
        if not self.enabled or not log_id:
            return None
        with self.db.engine.begin() as connection:
            row = connection.execute(select(QueryLogEntry.query, QueryLogEntry.shown, QueryLogEntry.actor).where(
                QueryLogEntry.id == str(log_id)[:36], QueryLogEntry.clicked_article_id.is_(None))).first()
            if row is None or row.actor != actor[:120] or article_id not in (row.shown or []):
                return None
            done = connection.execute(update(QueryLogEntry).where(
                QueryLogEntry.id == str(log_id)[:36], QueryLogEntry.clicked_article_id.is_(None))
                .values(clicked_article_id=article_id, clicked_at=at or utcnow())).rowcount
        return row.query if done else None

    def purge(self, days: int | None = None, now: datetime | None = None) -> PurgeReport:
        """Delete log rows and suggestion queries (with their feedback) older than the retention period."""
        cutoff = (now or utcnow()) - timedelta(days=self.retention_days if days is None else days)
        with self.db.engine.begin() as connection:
            queries = connection.execute(delete(QueryLogEntry).where(QueryLogEntry.at < cutoff)).rowcount
            suggestions = connection.execute(delete(SuggestQuery).where(SuggestQuery.created_at < cutoff)).rowcount
            connection.execute(delete(SuggestionCount).where(SuggestionCount.day < cutoff.date()))
        return PurgeReport(cutoff, queries, suggestions)
