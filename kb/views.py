"""Frozen, ORM-free views of stored objects that the rest of the code passes around."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from kb.models import Article, Revision


def iso(value: datetime | date | None) -> str | None:
    """UTC timestamps as 2026-01-31T09:30:00Z, dates as 2026-01-31, None stays None."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%dT%H:%M:%SZ")
    return value.isoformat()


@dataclass(frozen=True)
class ArticleView:
    """An article's current state."""

    id: int
    slug: str
    title: str
    body: str
    tags: tuple[str, ...]
    status: str
    language: str
    owner: str
    team: str
    review_by: date | None
    created_at: datetime
    updated_at: datetime
    revision: int
    meta: dict[str, Any] = field(default_factory=dict, hash=False, compare=False)
    review_requested_at: datetime | None = None
    review_reason: str = ""

    @classmethod
    def from_model(cls, article: Article) -> ArticleView:
        """Snapshot an ORM row."""
        return cls(
            id=article.id, slug=article.slug, title=article.title, body=article.body,
            tags=tuple(t.tag for t in article.tags), status=article.status,
            language=article.language, owner=article.owner, team=article.team,
            review_by=article.review_by, created_at=article.created_at,
            updated_at=article.updated_at, revision=article.revision, meta=dict(article.meta or {}),
            review_requested_at=article.review_requested_at, review_reason=article.review_reason or "",
        )

    def needs_review(self, today: date) -> bool:
        """True when the review-by date has passed or someone asked for a review."""
        return self.review_requested_at is not None or (self.review_by is not None and self.review_by < today)

    def to_dict(self, *, include_body: bool = True) -> dict[str, Any]:
        """JSON-ready representation."""
        data: dict[str, Any] = {
            "id": self.id, "slug": self.slug, "title": self.title, "tags": list(self.tags),
            "status": self.status, "language": self.language, "owner": self.owner,
            "team": self.team, "review_by": iso(self.review_by),
            "created_at": iso(self.created_at), "updated_at": iso(self.updated_at),
            "revision": self.revision, "meta": self.meta,
            "review_requested_at": iso(self.review_requested_at), "review_reason": self.review_reason,
        }
        if include_body:
            data["body"] = self.body
        return data


@dataclass(frozen=True)
class RevisionView:
    """One saved revision of an article."""

    article_id: int
    number: int
    title: str
    body: str
    tags: tuple[str, ...]
    status: str
    language: str
    owner: str
    team: str
    review_by: date | None
    author: str
    message: str
    created_at: datetime
    meta: dict[str, Any] = field(default_factory=dict, hash=False, compare=False)

    @classmethod
    def from_model(cls, revision: Revision) -> RevisionView:
        """Snapshot an ORM row."""
        return cls(
            article_id=revision.article_id, number=revision.number, title=revision.title,
            body=revision.body, tags=tuple(revision.tags or ()), status=revision.status,
            language=revision.language, owner=revision.owner, team=revision.team,
            review_by=revision.review_by, author=revision.author, message=revision.message,
            created_at=revision.created_at, meta=dict(revision.meta or {}),
        )

    def content_fields(self) -> dict[str, Any]:
        """What this revision said, as fields a save takes: what a restore brings back."""
        # Status, owner, team and review date are where the article stands now, not what it said: restoring
        # an old draft's text must not take a live article offline or hand it back to its first owner.
        return {"title": self.title, "body": self.body, "tags": list(self.tags), "language": self.language,
                "meta": self.meta}

    def to_dict(self, *, include_body: bool = True) -> dict[str, Any]:
        """JSON-ready representation."""
        data: dict[str, Any] = {
            "article_id": self.article_id, "number": self.number, "title": self.title,
            "tags": list(self.tags), "status": self.status, "language": self.language,
            "owner": self.owner, "team": self.team, "review_by": iso(self.review_by),
            "author": self.author, "message": self.message, "created_at": iso(self.created_at),
        }
        if include_body:
            data["body"] = self.body
        return data


@dataclass(frozen=True)
class Page:
    """One page of a listing."""

    items: tuple[ArticleView, ...]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        """How many pages the whole listing has (at least one)."""
        return max(1, -(-self.total // self.per_page))
