"""Popular searches: how often each short query was searched from the search page (masked first)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from kb.db import Database
from kb.models import SearchCount, utcnow
from kb.ticket_cleaning import mask_personal_data

MAX_QUERY = 80  # longer texts are pasted tickets, not searches worth suggesting to others


def normalise_query(query: str) -> str | None:
    """The form a query is counted under, or None when it should not be counted."""
    text = " ".join(mask_personal_data(query).lower().split())
    return text if 1 < len(text) <= MAX_QUERY and "[" not in text else None


class SearchCounts:
    """Counts per normalised query in the database, shared by every worker."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def record(self, query: str) -> None:
        """Count one search (queries carrying personal data or pasted text are skipped)."""
        key = normalise_query(query)
        if key is None:
            return
        try:
            with self.db.session() as session:
                row = session.get(SearchCount, key)
                if row is None:
                    session.add(SearchCount(query=key, count=1, last_at=utcnow()))
                else:
                    row.count, row.last_at = row.count + 1, utcnow()
        except IntegrityError:  # another worker inserted it first: count again on the existing row
            self.record(query)

    def popular(self, limit: int = 8) -> list[str]:
        """The most searched queries, most frequent first."""
        with self.db.session() as session:
            rows = session.scalars(select(SearchCount.query)
                                   .order_by(SearchCount.count.desc(), SearchCount.last_at.desc()).limit(limit))
            return list(rows)
