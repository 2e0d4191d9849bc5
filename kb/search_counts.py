"""Popular searches: what agents searched before opening a result, counted once per person, per team."""

from __future__ import annotations

import threading
import time
from datetime import datetime, timedelta

from sqlalchemy import func, select

from kb.db import Database
from kb.models import QueryLogEntry, User, utcnow
from kb.ticket_cleaning import mask_personal_data

MAX_QUERY = 80  # longer texts are pasted tickets, not searches worth suggesting to others
POPULAR_DAYS = 30
CACHE_SECONDS = 60.0  # the home page asks on every load; a minute-old list is as useful


def normalise_query(query: str) -> str | None:
    """The form a query is counted under, or None when it should not be counted."""
    text = " ".join(mask_personal_data(query).lower().split())
    return text if 1 < len(text) <= MAX_QUERY and "[" not in text else None


class SearchCounts:
    """Read from the query log, which every worker shares: a search counts once its agent opened a result."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self._cache: dict[tuple[str, int], tuple[float, list[str]]] = {}
        self._lock = threading.Lock()

    def popular(self, team: str = "", limit: int = 8, now: datetime | None = None) -> list[str]:
        """The searches most people of `team` (everyone's when "") led somewhere in the last 30 days."""
        key = (team, limit)
        with self._lock:
            cached = self._cache.get(key)
        if now is None and cached and time.monotonic() - cached[0] < CACHE_SECONDS:
            return cached[1]
        found = self._count(team, limit, now or utcnow())
        with self._lock:
            self._cache[key] = (time.monotonic(), found)
        return found

    def forget(self) -> None:
        """Drop the cached lists (this process just saw a search lead somewhere)."""
        with self._lock:
            self._cache.clear()

    def _count(self, team: str, limit: int, now: datetime) -> list[str]:
        q = QueryLogEntry
        # One row per person and search text first (the partial index ix_query_log_popular holds exactly
        # these columns), then people per text: one agent repeating a text counts once.
        pairs = (select(q.query_key, q.actor, func.max(q.day).label("last"))
                 .where(q.clicked_article_id.is_not(None), q.kind == "search",
                        q.day >= (now - timedelta(days=POPULAR_DAYS)).date(), q.query_key != "", q.actor != "")
                 .group_by(q.query_key, q.actor))
        if team:
            pairs = pairs.where(q.actor.in_(select(User.username).where(User.team == team)))
        pairs = pairs.subquery()
        people = func.count()
        stmt = (select(pairs.c.query_key, people).group_by(pairs.c.query_key)
                .order_by(people.desc(), func.max(pairs.c.last).desc()).limit(limit * 4))
        with self.db.session() as session:
            keys = [row[0] for row in session.execute(stmt)]
        return [k for k in keys if normalise_query(k) == k][:limit]
