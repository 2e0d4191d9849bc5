"""Review workflow: which status moves are allowed, review requests, the reviewers' queue, stale and orphaned
articles."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from kb.audit import AuditLog, AuditQuery
from kb.db import Database
from kb.errors import ValidationFailed
from kb.models import STATUSES, Article, User, utcnow
from kb.permissions import Forbidden, Principal, require_save, role_allows, team_allows
from kb.store import ArticleStore
from kb.views import ArticleView

# draft -> in review -> published -> archived; a reviewer may send back, and archived articles may return.
TRANSITIONS: dict[str, frozenset[str]] = {
    "draft": frozenset({"in_review", "published", "archived"}),
    "in_review": frozenset({"draft", "published", "archived"}),
    "published": frozenset({"draft", "in_review", "archived"}),
    "archived": frozenset({"draft", "published"}),
}


@dataclass(frozen=True)
class Orphan:
    """An article whose owner's account can no longer edit it, and why."""

    article: ArticleView
    why: str

    def to_dict(self) -> dict[str, object]:
        """JSON-ready: the article without its body, and why its owner lost it."""
        return {**self.article.to_dict(include_body=False), "owner_problem": self.why}


def lost_access(role: str, team: str, disabled: bool, article_team: str) -> str:
    """Why an account with this role and team can no longer edit an article of `article_team` ("" if it can)."""
    if disabled:
        return "account disabled"
    if not role_allows(role, "edit"):
        return f"now a {role}"
    if not team_allows(Principal("", role, team), article_team):
        return f"now on team {team or '(none)'}"
    return ""


def check_transition(before: str, after: str) -> None:
    """Refuse a status move the workflow does not have."""
    if before != after and after not in TRANSITIONS.get(before, frozenset()):
        raise ValidationFailed(f"an article cannot go from '{before}' to '{after}'", field="status")


def allowed_statuses(principal: Principal, article: ArticleView | None) -> list[str]:
    """The statuses this principal may give the article: the current one and the moves their role allows."""
    before = article.to_dict(include_body=False) if article is not None else None
    allowed = []
    for status in STATUSES:
        try:
            if before is None:  # a new article: the author's own, for their team
                changed = {"status": status, "team": principal.team, "owner": principal.name}
            else:
                changed = {"status": status} if status != before["status"] else {}
            require_save(principal, before, changed)
            if before is not None:
                check_transition(before["status"], status)
        except (Forbidden, ValidationFailed):
            continue
        allowed.append(status)
    return allowed


class Workflow:
    """Review requests and queues over the article store; every step is written to the audit log."""

    def __init__(self, db: Database, store: ArticleStore) -> None:
        self.db = db
        self.store = store
        self.audit = AuditLog(db)

    def request_review(self, ref: int | str, *, by: str, reason: str, at: datetime | None = None) -> ArticleView:
        """Flag an article "needs review" (its owner asked, or analytics saw it fail; an import keeps `at`)."""
        reason = " ".join(reason.split())[:300]
        with self.db.session() as session:
            article = self.store._load(session, ref)
            already = article.review_requested_at is not None and article.review_reason == reason
            if not already:
                article.review_requested_at = at or utcnow()
                article.review_reason = reason
                self.audit.add(session, actor=by, action="review.requested", article=article,
                               detail={"reason": reason})
            return ArticleView.from_model(article)

    def set_review_request(self, ref: int | str, *, by: str, at: datetime | None, reason: str) -> ArticleView:
        """Make the review request exactly this (none when `at` is None): what an imported file says."""
        reason = " ".join(reason.split())[:300] if at else ""
        with self.db.session() as session:
            article = self.store._load(session, ref)
            asked = article.review_requested_at
            # Files keep whole seconds: a request made in the app is the same one once read back.
            if (asked.replace(microsecond=0) if asked else None, article.review_reason) != (at, reason):
                article.review_requested_at, article.review_reason = at, reason
                self.audit.add(session, actor=by, action="review.requested" if at else "review.withdrawn",
                               article=article, detail={"reason": reason})
            return ArticleView.from_model(article)

    def mark_reviewed(self, ref: int | str, *, by: str, review_by: date | None = None) -> ArticleView:
        """A reviewer confirmed the article is still right: clear the flag, optionally set the next date.

        A new review date is a new revision ("Reviewed"), so a save based on the revision before it is a 409
        instead of quietly putting the old date back; clearing only the flag changes no revision.
        """
        today = date.today()
        if review_by is not None and review_by <= today:
            raise ValidationFailed("'review_by' must be a date after today", field="review_by")
        current = self.store.get(ref)
        # A passed date was what asked for this review: the next is a review interval on, unless one is given;
        # so is an article that had none, or a review would never come due again.
        due = current.review_by is None or current.review_by < today
        new_date = review_by or (today + self.store.review_interval if due else current.review_by)
        detail = {"reason": current.review_reason, "review_by": review_by.isoformat() if review_by else None}

        def done(session: Session) -> None:
            article = self.store._load(session, current.id)
            article.review_requested_at, article.review_reason = None, ""
            self.audit.add(session, actor=by, action="review.done", article=article, detail=detail)

        if new_date == current.review_by:
            with self.db.session() as session:
                done(session)
            return self.store.get(current.id)
        return self.store.update(current.id, {"review_by": new_date}, base_revision=current.revision, author=by,
                                 message="Reviewed", along=done)

    def queue(self) -> list[ArticleView]:
        """Articles waiting for a reviewer, oldest first."""
        with self.db.session() as session:
            rows = session.scalars(select(Article).where(Article.status == "in_review")
                                   .order_by(Article.updated_at)).all()
            return [ArticleView.from_model(a) for a in rows]

    def transitions(self, article_id: int) -> list[dict[str, str]]:
        """Who moved the article to which status, and when, oldest first."""
        entries, _ = self.audit.list(AuditQuery(article_id=article_id, per_page=500))
        moves = [e for e in reversed(entries) if e.action == "article.created" or "status_from" in e.detail]
        return [{"status": e.detail.get("status", ""), "from": e.detail.get("status_from", ""), "by": e.actor,
                 "at": e.at.strftime("%Y-%m-%d %H:%M")} for e in moves]

    def stale(self, today: date, *, owner: str | None = None, team: str | None = None) -> list[ArticleView]:
        """Published articles that need review (date passed or flagged), optionally one owner's or team's."""
        stmt = select(Article).where(Article.status == "published", or_(
            Article.review_requested_at.is_not(None), Article.review_by < today))
        if owner is not None:
            stmt = stmt.where(Article.owner == owner)
        if team is not None:
            stmt = stmt.where(Article.team == team)
        with self.db.session() as session:
            return [ArticleView.from_model(a) for a in session.scalars(stmt.order_by(Article.review_by)).all()]

    def orphaned(self) -> list[Orphan]:
        """Articles (archived ones aside) whose owner's account was disabled, or lost the role or team to edit
        them: nobody answers their "needs review" until a reviewer hands them over. An owner name no account
        has (an import's, before that person first signs in) is not counted."""
        stmt = (select(Article.id, Article.team, User.role, User.team, User.disabled_at)
                .join(User, User.username == Article.owner).where(Article.status != "archived"))
        with self.db.session() as session:
            why = {article_id: reason for article_id, article_team, role, team, disabled in session.execute(stmt)
                   if (reason := lost_access(role, team, disabled is not None, article_team))}
            rows = session.scalars(select(Article).where(Article.id.in_(why)).order_by(Article.owner, Article.title))
            return [Orphan(ArticleView.from_model(a), why[a.id]) for a in rows]
