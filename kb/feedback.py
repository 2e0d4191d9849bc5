"""Suggestion log and feedback: which article helped which ticket, and per-article counts."""

from __future__ import annotations

import math
import time
import uuid
from dataclasses import dataclass

from sqlalchemy import case, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from kb.db import Database, upsert
from kb.errors import NotFound, ValidationFailed
from kb.models import Article, ArticleStats, ArticleVote, Feedback, SuggestQuery, utcnow
from kb.store import valid_id
from kb.suggestion_counts import add_counts, count_answers

OUTCOMES = ("linked", "helpful", "not_related", "did_not_answer")
NEGATIVE = frozenset({"not_related", "did_not_answer"})  # takes back every other verdict; the others, these
MAX_LINK_BOOST = 0.10  # links nudge ranking by at most 10%: popularity must not bury a better match
BOOST_REFRESH_SECONDS = 5.0
_VOTES = {True: "helpful", False: "did_not_answer"}  # the counter a page vote goes to


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
        """Record a verdict on a suggestion (a repeat counts once, a contrary one replaces); return the counts."""
        if outcome not in OUTCOMES:
            raise ValidationFailed(f"'outcome' must be one of {', '.join(OUTCOMES)}", field="outcome")
        try:
            result = self._add(query_id, article_id, outcome, ticket_ref)
        except IntegrityError:  # the unique verdict index saw a parallel repeat first: now it is one
            result = self._add(query_id, article_id, outcome, ticket_ref)
        self._boosts_at = 0.0
        return result

    def _add(self, query_id: str, article_id: int, outcome: str, ticket_ref: str) -> Stats:
        with self.db.session() as session:
            # Write to the query's row first: reports on one suggestion then take turns (a row lock in
            # PostgreSQL, the write lock in SQLite), so a plugin's retry sees the first report.
            touched = session.execute(update(SuggestQuery).where(SuggestQuery.id == query_id)
                                      .values(id=SuggestQuery.id)).rowcount
            if not touched:
                raise NotFound(f"no suggestion query {query_id!r}")
            article = session.get(Article, article_id) if valid_id(article_id) else None
            if article is None or article.status != "published":  # suggestions are published ones: no probing
                raise NotFound(f"no published article {article_id}")
            # Verdicts train what later tickets are shown: only on what this query showed, or one plugin could
            # lift any article to the top of everyone's suggestions by "linking" it to its own queries.
            if article_id not in (session.get(SuggestQuery, query_id).shown or []):
                raise ValidationFailed(f"article {article_id} was not among the suggestions of query {query_id}",
                                       field="article_id")
            earlier = {f.outcome: f for f in session.scalars(select(Feedback).where(
                Feedback.query_id == query_id, Feedback.article_id == article_id))}
            if outcome not in earlier:
                for taken_back in _overruled(outcome) & earlier.keys():
                    session.delete(earlier[taken_back])
                    _count(session, article_id, taken_back, -1)
                session.add(Feedback(query_id=query_id, article_id=article_id, outcome=outcome,
                                     ticket_ref=ticket_ref[:100], created_at=utcnow()))
                _count(session, article_id, outcome, +1)
            return _stats(session, article_id)

    def vote(self, article_id: int, helpful: bool, voter: str) -> Stats:
        """A reader's "Was this helpful?" answer on the article page: one per person, a changed mind replaces it."""
        with self.db.session() as session:
            if not valid_id(article_id) or session.get(Article, article_id) is None:
                raise NotFound(f"no article {article_id}")
            # The database decides what happened, so a double click counts once and never collides.
            # RETURNING says whether the row went in: psycopg reports rowcount -1 for ON CONFLICT DO NOTHING.
            first = session.execute(upsert(session, ArticleVote).values(
                article_id=article_id, voter=voter, helpful=helpful, at=utcnow())
                .on_conflict_do_nothing(index_elements=["article_id", "voter"])
                .returning(ArticleVote.article_id)).first() is not None
            changed = 0 if first else session.execute(update(ArticleVote).where(
                ArticleVote.article_id == article_id, ArticleVote.voter == voter, ArticleVote.helpful != helpful)
                .values(helpful=helpful, at=utcnow())).rowcount
            if changed:
                _count(session, article_id, _VOTES[not helpful], -1)
            if first or changed:
                _count(session, article_id, _VOTES[helpful], +1)
            return _stats(session, article_id)

    def stats(self, article_id: int) -> Stats:
        """The counts of one article (zeros when it never got feedback)."""
        with self.db.session() as session:
            return _stats(session, article_id)

    def boosts(self) -> dict[int, float]:
        """Ranking multipliers of articles with links, refreshed every few seconds."""
        if time.monotonic() - self._boosts_at > BOOST_REFRESH_SECONDS:
            with self.db.session() as session:
                rows = session.execute(select(ArticleStats.article_id, ArticleStats.links)
                                       .where(ArticleStats.links > 0)).all()
            self._boosts = {article_id: link_boost(links) for article_id, links in rows}
            self._boosts_at = time.monotonic()
        return self._boosts


def _overruled(outcome: str) -> frozenset[str]:
    """Earlier verdicts a new one takes back: "not related" takes back a link; a link, "not related"."""
    return frozenset(OUTCOMES) - {outcome} if outcome in NEGATIVE else NEGATIVE


def _count(session: Session, article_id: int, outcome: str, delta: int) -> None:
    """Add to one of an article's counters in the database itself: parallel reports never lose one."""
    session.execute(upsert(session, ArticleStats).values(
        article_id=article_id, links=0, helpful=0, not_related=0, did_not_answer=0)
        .on_conflict_do_nothing(index_elements=["article_id"]))
    column = getattr(ArticleStats, "links" if outcome == "linked" else outcome)
    session.execute(update(ArticleStats).where(ArticleStats.article_id == article_id)
                    .values({column: case((column + delta < 0, 0), else_=column + delta)}))


def _stats(session: Session, article_id: int) -> Stats:
    row = session.execute(select(ArticleStats.links, ArticleStats.helpful, ArticleStats.not_related,
                                 ArticleStats.did_not_answer).where(ArticleStats.article_id == article_id)).first()
    return Stats(*row) if row else Stats()
