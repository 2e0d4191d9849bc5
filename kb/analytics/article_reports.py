"""What helps: articles by tickets solved, helpfulness and views; stale articles; time from "not found" to article."""

from __future__ import annotations

import statistics
from datetime import date

from sqlalchemy import func, select

from kb.analytics.query_log import MISSED
from kb.analytics.window import Table, Window
from kb.article_reads import ArticleReads
from kb.db import Database
from kb.feedback import Stats
from kb.models import Article, ArticleStats, QueryLogEntry
from kb.store import ArticleStore
from kb.views import iso
from kb.workflow import Workflow

Q = QueryLogEntry
ARTICLE_SORTS = ("links", "helpfulness", "views", "reads")
ARTICLE_COLUMNS = ("id", "slug", "title", "owner", "links", "helpful", "not_related", "did_not_answer",
                   "helpfulness", "views", "reads")
STALE_COLUMNS = ("id", "slug", "title", "owner", "team", "review_by", "review_requested_at", "reason")
MAX_NEW_ARTICLES = 100  # the newest articles of the window: a team writes far fewer in a month
MAX_KEYS = 2_000
GAP_COLUMNS = ("query", "first_not_found", "article_id", "slug", "title", "written_at", "hours")


class ArticleReports:
    """Per-article figures: feedback counters (all time), views from search and page reads (in the window)."""

    def __init__(self, db: Database, store: ArticleStore) -> None:
        self.db = db
        self.store = store

    def articles(self, window: Window, sort: str = "links", limit: int = 25) -> Table:
        """Articles ranked by tickets solved (links), helpfulness, views (opened from a search) or page reads."""
        sort = sort if sort in ARTICLE_SORTS else "links"
        with self.db.session() as session:
            stats = {row.article_id: Stats(row.links, row.helpful, row.not_related, row.did_not_answer)
                     for row in session.scalars(select(ArticleStats))}
            views = dict(session.execute(select(Q.clicked_article_id, func.count())
                                         .where(Q.clicked_article_id.is_not(None), Q.day >= window.since,
                                                Q.day <= window.until).group_by(Q.clicked_article_id)).all())
            reads = ArticleReads(self.db).counts(window.since, window.until)
            rows = [{"id": a, **stats.get(a, Stats()).to_dict(), "views": views.get(a, 0), "reads": reads.get(a, 0)}
                    for a in set(stats) | set(views) | set(reads)]
            rows.sort(key=lambda r: (-(r[sort] if r[sort] is not None else -1), -r["links"], -r["views"], r["id"]))
            rows = rows[:limit]
            articles = {a.id: a for a in session.execute(
                select(Article.id, Article.slug, Article.title, Article.owner)
                .where(Article.id.in_([r["id"] for r in rows])))}
        named = [{**r, "slug": articles[r["id"]].slug, "title": articles[r["id"]].title,
                  "owner": articles[r["id"]].owner} for r in rows if r["id"] in articles]
        return Table.of(f"articles-by-{sort}", ARTICLE_COLUMNS, named)

    def stale(self, today: date) -> Table:
        """Published articles past their review-by date or flagged "needs review" (by analytics or a person)."""
        rows = [{"id": a.id, "slug": a.slug, "title": a.title, "owner": a.owner, "team": a.team,
                 "review_by": iso(a.review_by), "review_requested_at": iso(a.review_requested_at),
                 "reason": a.review_reason or ("review date passed" if a.review_by and a.review_by < today else "")}
                for a in Workflow(self.db, self.store).stale(today)]
        return Table.of("stale", STALE_COLUMNS, rows)

    def time_to_article(self, window: Window, limit: int = 200) -> Table:
        """Articles written in the window and then opened for a query that had found nothing before."""
        # Start from the few new articles, not the many misses; two grouped queries over index ranges.
        with self.db.session() as session:
            new = {a.id: a for a in session.execute(
                select(Article.id, Article.slug, Article.title, Article.created_at)
                .where(Article.created_at >= window.start, Article.created_at < window.end)
                .order_by(Article.created_at.desc()).limit(MAX_NEW_ARTICLES))}
            since = min((a.created_at.date() for a in new.values()), default=window.until)
            opened = session.execute(select(Q.clicked_article_id, Q.query_key).where(
                Q.clicked_article_id.in_(list(new)), Q.day >= since, Q.query_key != "")
                .group_by(Q.clicked_article_id, Q.query_key).limit(MAX_KEYS)).all()
            first_miss = dict(session.execute(select(Q.query_key, func.min(Q.at)).where(
                Q.query_key.in_({key for _, key in opened}), MISSED, Q.at >= window.start,
                Q.kind == "search").group_by(Q.query_key)).all())
        rows = [{"query": key, "first_not_found": iso(first_miss[key]), "article_id": article_id,
                 "slug": new[article_id].slug, "title": new[article_id].title,
                 "written_at": iso(new[article_id].created_at),
                 "hours": round((new[article_id].created_at - first_miss[key]).total_seconds() / 3600, 1)}
                for article_id, key in opened if key in first_miss and first_miss[key] < new[article_id].created_at]
        rows.sort(key=lambda r: (r["first_not_found"], r["query"]))
        return Table.of("time-to-article", GAP_COLUMNS, rows[:limit])


def median_hours(table: Table) -> float | None:
    """The median of a time-to-article table's hours, None when empty."""
    hours = [float(r["hours"]) for r in table.rows]
    return round(statistics.median(hours), 1) if hours else None

