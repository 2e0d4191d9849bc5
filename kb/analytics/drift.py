"""Drift: articles that agents keep rejecting, or whose link rate falls, are flagged "needs review" for their owner."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import func, select

from kb.analytics.window import Table, Window, ratio
from kb.db import Database
from kb.models import Article, AuditEntry, Feedback, SuggestionCount
from kb.store import ArticleStore
from kb.workflow import Workflow

# Stable reasons: Workflow.request_review is idempotent per reason, so a nightly run does not re-flag.
REJECTED = "analytics: suggested and then rejected repeatedly"
LINK_RATE_FELL = "analytics: link rate fell"
MIN_REJECTIONS = 3  # fewer is noise: one agent's bad day
MIN_SHOWN = 5  # a link rate over fewer suggestions says little
MIN_RATE_BEFORE = 0.2
FALL = 0.5  # flagged when the recent link rate is at most half the previous one
COLUMNS = ("id", "slug", "title", "owner", "reason", "shown", "rejected", "linked", "link_rate", "link_rate_before")


@dataclass(frozen=True)
class DriftSignal:
    """Why an article looks out of date, with the figures behind it."""

    article_id: int
    reason: str
    shown: int
    rejected: int
    linked: int
    link_rate: float | None
    link_rate_before: float | None


class DriftDetector:
    """Compares feedback in a window with the window before it."""

    def __init__(self, db: Database, store: ArticleStore) -> None:
        self.db = db
        self.store = store

    def _shown(self, window: Window, *, fresh: bool) -> Counter[int]:
        stmt = (select(SuggestionCount.article_id, func.sum(SuggestionCount.shown))
                .where(SuggestionCount.day >= window.since, SuggestionCount.day <= window.until))
        if fresh:  # only days after the article's last edit and last review: whole days, so the fix day is out
            reviewed = select(AuditEntry.id).where(AuditEntry.article_id == SuggestionCount.article_id,
                                                   AuditEntry.action == "review.done",
                                                   func.date(AuditEntry.at) >= SuggestionCount.day)
            stmt = stmt.join(Article, Article.id == SuggestionCount.article_id).where(
                SuggestionCount.day > func.date(Article.updated_at), ~reviewed.exists())
        with self.db.session() as session:
            return Counter({int(a): int(n) for a, n in session.execute(stmt.group_by(SuggestionCount.article_id))})

    def _feedback(self, window: Window, *, fresh: bool) -> dict[int, Counter[str]]:
        stmt = (select(Feedback.article_id, Feedback.outcome, func.count())
                .where(Feedback.created_at >= window.start, Feedback.created_at < window.end))
        if fresh:  # only verdicts on the current text: after its last edit and its last review
            reviewed = select(AuditEntry.id).where(AuditEntry.article_id == Feedback.article_id,
                                                   AuditEntry.action == "review.done",
                                                   AuditEntry.at >= Feedback.created_at)
            stmt = stmt.join(Article, Article.id == Feedback.article_id).where(
                Feedback.created_at > Article.updated_at, ~reviewed.exists())
        counts: dict[int, Counter[str]] = {}
        with self.db.session() as session:
            for article_id, outcome, n in session.execute(stmt.group_by(Feedback.article_id, Feedback.outcome)):
                counts.setdefault(article_id, Counter())[outcome] = n
        return counts

    def signals(self, window: Window) -> list[DriftSignal]:
        """Articles rejected repeatedly in the window, or whose link rate fell against the window before."""
        before = Window(window.since - timedelta(days=window.days), window.since - timedelta(days=1))
        shown, shown_before = self._shown(window, fresh=True), self._shown(before, fresh=False)
        feedback, feedback_before = self._feedback(window, fresh=True), self._feedback(before, fresh=False)
        return [signal for article_id in sorted(set(feedback) | set(shown)) if (signal := _judge(
            article_id, feedback.get(article_id, Counter()), feedback_before.get(article_id, Counter()),
            shown[article_id], shown_before[article_id])) is not None]

    def table(self, window: Window) -> Table:
        """The signals as a report, with each article's slug, title and owner."""
        signals = self.signals(window)
        with self.db.session() as session:
            articles = {a.id: a for a in session.execute(select(Article.id, Article.slug, Article.title, Article.owner)
                                                         .where(Article.id.in_([s.article_id for s in signals])))}
        rows = [{"id": s.article_id, "slug": articles[s.article_id].slug, "title": articles[s.article_id].title,
                 "owner": articles[s.article_id].owner, "reason": s.reason, "shown": s.shown, "rejected": s.rejected,
                 "linked": s.linked, "link_rate": s.link_rate, "link_rate_before": s.link_rate_before}
                for s in signals if s.article_id in articles]
        return Table.of("drift", COLUMNS, rows)

    def flag(self, window: Window, by: str = "system:analytics") -> list[DriftSignal]:
        """Flag drifting articles "needs review"; returns those newly flagged (a flag already set is left alone)."""
        workflow = Workflow(self.db, self.store)
        signals = self.signals(window)
        unflagged = self._unflagged({s.article_id for s in signals})
        flagged = [s for s in signals if s.article_id in unflagged]
        for signal in flagged:
            workflow.request_review(signal.article_id, by=by, reason=signal.reason)
        return flagged

    def _unflagged(self, ids: set[int]) -> set[int]:
        """Those of these articles that exist and nobody has flagged yet (an owner's own reason is kept)."""
        with self.db.session() as session:
            return set(session.scalars(select(Article.id).where(Article.id.in_(ids),
                                                                Article.review_requested_at.is_(None))))


def _judge(article_id: int, now: Counter[str], then: Counter[str], shown: int, shown_before: int) -> DriftSignal | None:
    """The drift rules on one article's figures: rejected repeatedly, or a link rate that halved."""
    rejected = now["not_related"] + now["did_not_answer"]
    rate_now = ratio(now["linked"], shown) if shown >= MIN_SHOWN else None
    rate_then = ratio(then["linked"], shown_before) if shown_before >= MIN_SHOWN else None
    reason = None
    if rejected >= MIN_REJECTIONS and rejected > now["linked"] + now["helpful"]:
        reason = REJECTED
    elif (rate_now is not None and rate_then is not None and rate_then >= MIN_RATE_BEFORE
          and rate_now <= rate_then * FALL):
        reason = LINK_RATE_FELL
    if reason is None:
        return None
    return DriftSignal(article_id, reason, shown, rejected, now["linked"], rate_now, rate_then)
