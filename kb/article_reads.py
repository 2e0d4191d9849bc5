"""How often each article is read: a per-day counter per article, one upsert per page load."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import func, select

from kb.db import Database
from kb.models import ArticleReadCount, utcnow
from kb.suggestion_counts import add_daily_counts

R = ArticleReadCount


class ArticleReads:
    """Reads of article pages, shared by every worker through the database."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def record(self, article_id: int, day: date | None = None) -> None:
        """Count one read of this article (today, in UTC as the reports count days, unless a day is given)."""
        with self.db.session() as session:
            add_daily_counts(session, R, "reads", [(day or utcnow().date(), article_id, 1)])

    def counts(self, since: date, until: date) -> dict[int, int]:
        """Reads per article id between two days, both included."""
        with self.db.session() as session:
            rows = session.execute(select(R.article_id, func.sum(R.reads))
                                   .where(R.day >= since, R.day <= until).group_by(R.article_id))
            return {article_id: int(n) for article_id, n in rows}

    def recent(self, article_id: int, days: int = 30, today: date | None = None) -> int:
        """Reads of one article in the last `days` days, today (UTC) included."""
        today = today or utcnow().date()
        with self.db.session() as session:
            total = session.scalar(select(func.sum(R.reads)).where(
                R.article_id == article_id, R.day > today - timedelta(days=days), R.day <= today))
            return int(total or 0)
