"""Knowledge analytics: the query log and the reports, gaps and drift signals built from it."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import date
from typing import TYPE_CHECKING

from kb.analytics.article_reports import ARTICLE_SORTS, ArticleReports
from kb.analytics.drift import DriftDetector
from kb.analytics.gaps import GapFinder, GapGroup
from kb.analytics.query_log import QueryLog
from kb.analytics.reports import SearchReports
from kb.analytics.window import Table, Window

if TYPE_CHECKING:
    from kb.knowledge_base import KnowledgeBase

REPORTS = ("summary", "daily", "top-queries", "unanswered", "articles", "stale", "time-to-article", "gaps", "drift")
GAP_CACHE_SECONDS = 60.0
GAP_COLUMNS = ("id", "title", "size", "searches", "tickets", "trend_label", "trend", "last_at", "examples")


class Analytics:
    """Everything analytics needs, over one knowledge base."""

    def __init__(self, kb: KnowledgeBase) -> None:
        settings = kb.settings
        self.log = QueryLog(kb.db, enabled=settings.query_log_enabled,
                            retention_days=settings.query_log_retention_days)
        self.searches = SearchReports(kb.db)
        self.articles = ArticleReports(kb.db, kb.store)
        self.gaps = GapFinder(kb.db, lambda: kb.indexes.embedder if kb.indexes is not None else None)
        self.drift = DriftDetector(kb.db, kb.store)
        self._gap_cache: dict[tuple, tuple[float, list[GapGroup]]] = {}
        self._lock = threading.Lock()

    def _reports(self, window: Window, sort: str) -> dict[str, Callable[[], Table]]:
        return {
            "summary": lambda: self.searches.summary(window),
            "daily": lambda: self.searches.daily(window),
            "top-queries": lambda: self.searches.top_queries(window),
            "unanswered": lambda: self.searches.unanswered(window),
            "articles": lambda: self.articles.articles(window, sort),
            "stale": lambda: self.articles.stale(window.until),
            "time-to-article": lambda: self.articles.time_to_article(window),
            "gaps": lambda: self.gap_table(window),
            "drift": lambda: self.drift.table(window),
        }

    def report(self, name: str, window: Window, sort: str = "links") -> Table | None:
        """One report by name, None for an unknown name."""
        build = self._reports(window, sort if sort in ARTICLE_SORTS else "links").get(name)
        return build() if build else None

    def gap_groups(self, window: Window) -> list[GapGroup]:
        """Gap groups, recomputed when new unanswered queries arrive or after a minute."""
        # An agent's verdict can answer a ticket without changing the totals: the unanswered count is in the key.
        totals = self.searches.totals(window)
        key = (window, totals["no_result"], totals["abstained"], self.searches.unanswered_tickets(window))
        with self._lock:
            cached = self._gap_cache.get(key)
            if cached and time.monotonic() - cached[0] < GAP_CACHE_SECONDS:
                return cached[1]
        groups = self.gaps.groups(window)
        with self._lock:
            self._gap_cache = {key: (time.monotonic(), groups)}
        return groups

    def gap_table(self, window: Window) -> Table:
        """The gap groups as a report."""
        return Table.of("gaps", GAP_COLUMNS, [g.to_dict() for g in self.gap_groups(window)])

    def flag_drift(self, window: Window, by: str = "system:analytics") -> list[int]:
        """Flag drifting articles "needs review"; the ids newly flagged."""
        return [s.article_id for s in self.drift.flag(window, by)]


def default_window(days: int = 30, today: date | None = None) -> Window:
    """The window analytics pages and the API use unless told otherwise."""
    return Window.last(days, today)
