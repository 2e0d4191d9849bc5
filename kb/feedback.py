"""Suggestion log and feedback: which article helped which ticket, and per-article counts."""

from __future__ import annotations

import math
import time
import uuid
from dataclasses import dataclass

from sqlalchemy import select

from kb.db import Database
from kb.errors import NotFound, ValidationFailed
from kb.models import Article, ArticleStats, Feedback, SuggestQuery, utcnow
from kb.store import valid_id
from kb.suggestion_counts import add_counts, count_answers

OUTCOMES = ("linked", "helpful", "not_related", "did_not_answer")
RATINGS = frozenset({"helpful", "not_related", "did_not_answer"})  # one per suggestion; a link stands beside it
MAX_LINK_BOOST = 0.10  # links nudge ranking by at most 10%: popularity must not bury a better match
BOOST_REFRESH_SECONDS = 5.0


@dataclass(frozen=True)
class Stats:
    """How often an article solved a ticket and how agents rated it."""

    links: int = 0
    helpful: int = 0
    not_related: int = 0
    did_not_answer: int = 0

    @property
    def helpfulness(self) -> float | None:
        """Share of positive feedback, None before any feedback."""
        positive = self.links + self.helpful
        total = positive + self.not_related + self.did_not_answer
        return round(positive / total, 3) if total else None

    def to_dict(self) -> dict[str, object]:
        """JSON-ready representation."""
        return {"links": self.links, "helpful": self.helpful, "not_related": self.not_related,
                "did_not_answer": self.did_not_answer, "helpfulness": self.helpfulness}


def link_boost(links: int) -> float:
    """Multiplier for an article's score: grows with the log of its links, never above 1 + MAX_LINK_BOOST."""
    return 1.0 + min(MAX_LINK_BOOST, 0.025 * math.log1p(max(0, links)))


class FeedbackStore:
    """Records suggestion queries and feedback, keeps the per-article counters."""

    def __init__(self, db: Database, *, keep_text: bool = True) -> None:
        self.db = db
        self.keep_text = keep_text  # off with KB_QUERY_LOG=0: answers and feedback are kept, the ticket text not
        self._boosts: dict[int, float] = {}
        self._boosts_at = 0.0

    def record_query(self, *, query_text: str, shown: list[int], abstained: bool, top_confidence: float,
                     channel: str = "", token_id: int | None = None) -> str:
        """Store one suggestion request (text already cleaned and masked); return its id."""
        query_id = str(uuid.uuid4())
        now = utcnow()
        with self.db.session() as session:
            text = query_text[:4000] if self.keep_text else ""
            session.add(SuggestQuery(id=query_id, created_at=now, token_id=token_id, channel=channel,
                                     query_text=text, shown=shown, abstained=abstained, top_confidence=top_confidence))
            add_counts(session, count_answers([(now.date(), shown)]))
        return query_id

    def add(self, query_id: str, article_id: int, outcome: str, ticket_ref: str = "") -> Stats:
        """Record feedback on a suggestion and return the article's counts.

        A repeat (a retry, a double click) changes nothing, and a new rating of the same suggestion replaces
        the earlier one, so one ticket counts once however often a plugin reports it.
        """
        if outcome not in OUTCOMES:
            raise ValidationFailed(f"'outcome' must be one of {', '.join(OUTCOMES)}", field="outcome")
        with self.db.session() as session:
            if session.get(SuggestQuery, query_id) is None:
                raise NotFound(f"no suggestion query {query_id!r}")
            if not valid_id(article_id) or session.get(Article, article_id) is None:
                raise NotFound(f"no article {article_id}")
            stats = session.get(ArticleStats, article_id) or ArticleStats(
                article_id=article_id, links=0, helpful=0, not_related=0, did_not_answer=0)
            earlier = session.scalars(select(Feedback).where(Feedback.query_id == query_id,
                                                             Feedback.article_id == article_id)).all()
            if not any(f.outcome == outcome for f in earlier):
                replaced = next((f for f in earlier if outcome in RATINGS and f.outcome in RATINGS), None)
                if replaced is None:
                    session.add(Feedback(query_id=query_id, article_id=article_id, outcome=outcome,
                                         ticket_ref=ticket_ref[:100], created_at=utcnow()))
                else:
                    _count(stats, replaced.outcome, -1)
                    replaced.outcome, replaced.created_at = outcome, utcnow()
                _count(stats, outcome, +1)
                session.add(stats)
            result = Stats(stats.links, stats.helpful, stats.not_related, stats.did_not_answer)
        self._boosts_at = 0.0
        return result

    def vote(self, article_id: int, helpful: bool) -> Stats:
        """A reader's "Was this helpful?" answer on the article page (no suggestion behind it)."""
        with self.db.session() as session:
            if not valid_id(article_id) or session.get(Article, article_id) is None:
                raise NotFound(f"no article {article_id}")
            stats = session.get(ArticleStats, article_id) or ArticleStats(
                article_id=article_id, links=0, helpful=0, not_related=0, did_not_answer=0)
            column = "helpful" if helpful else "did_not_answer"
            setattr(stats, column, getattr(stats, column) + 1)
            session.add(stats)
            return Stats(stats.links, stats.helpful, stats.not_related, stats.did_not_answer)

    def stats(self, article_id: int) -> Stats:
        """The counts of one article (zeros when it never got feedback)."""
        with self.db.session() as session:
            row = session.get(ArticleStats, article_id)
            return Stats(row.links, row.helpful, row.not_related, row.did_not_answer) if row else Stats()

    def boosts(self) -> dict[int, float]:
        """Ranking multipliers of articles with links, refreshed every few seconds."""
        if time.monotonic() - self._boosts_at > BOOST_REFRESH_SECONDS:
            with self.db.session() as session:
                rows = session.execute(select(ArticleStats.article_id, ArticleStats.links)
                                       .where(ArticleStats.links > 0)).all()
            self._boosts = {article_id: link_boost(links) for article_id, links in rows}
            self._boosts_at = time.monotonic()
        return self._boosts


def _count(stats: ArticleStats, outcome: str, delta: int) -> None:
    column = "links" if outcome == "linked" else outcome
    setattr(stats, column, max(0, getattr(stats, column) + delta))
