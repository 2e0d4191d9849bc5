"""The audit log: who changed what and when, with the revisions before and after; append-only."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from kb.csv_cells import spreadsheet_safe
from kb.db import Database
from kb.models import Article, AuditEntry, utcnow
from kb.views import iso

CSV_COLUMNS = ("id", "at", "actor", "actor_kind", "action", "article_id", "article_slug",
               "before_revision", "after_revision", "detail")


def actor_kind(actor: str) -> str:
    """Tokens act as "token:<name>", commands as "cli:<name>", the app itself as "system:<part>"."""
    prefix, sep, _ = actor.partition(":")
    return prefix if sep and prefix in ("token", "cli", "system") else "user"


@dataclass(frozen=True)
class AuditView:
    """One audit entry."""

    id: int
    at: datetime
    actor: str
    actor_kind: str
    action: str
    article_id: int | None
    article_slug: str
    before_revision: int | None
    after_revision: int | None
    detail: dict[str, Any] = field(default_factory=dict, hash=False, compare=False)

    @classmethod
    def from_model(cls, row: AuditEntry) -> AuditView:
        """Snapshot an ORM row."""
        return cls(id=row.id, at=row.at, actor=row.actor, actor_kind=row.actor_kind, action=row.action,
                   article_id=row.article_id, article_slug=row.article_slug,
                   before_revision=row.before_revision, after_revision=row.after_revision,
                   detail=dict(row.detail or {}))

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready representation."""
        return {"id": self.id, "at": iso(self.at), "actor": self.actor, "actor_kind": self.actor_kind,
                "action": self.action, "article_id": self.article_id, "article_slug": self.article_slug,
                "before_revision": self.before_revision, "after_revision": self.after_revision,
                "detail": self.detail}


@dataclass(frozen=True)
class AuditQuery:
    """Filters and paging for reading the log, newest first."""

    actor: str | None = None
    action: str | None = None
    article_id: int | None = None
    page: int = 1
    per_page: int = 50


class AuditLog:
    """Writes entries inside the caller's transaction, so a change and its record commit together."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def add(self, session: Session, *, actor: str, action: str, article: Article | None = None,
            before: int | None = None, after: int | None = None, detail: dict[str, Any] | None = None,
            slug: str = "", article_id: int | None = None) -> None:
        """Record one change in the open session."""
        session.add(AuditEntry(
            at=utcnow(), actor=actor[:120], actor_kind=actor_kind(actor), action=action,
            article_id=article.id if article is not None else article_id,
            article_slug=article.slug if article is not None else slug,
            before_revision=before, after_revision=after, detail=detail or {}))

    def record(self, *, actor: str, action: str, detail: dict[str, Any] | None = None,
               article_id: int | None = None, slug: str = "") -> None:
        """Record a change that has no article transaction of its own (tokens, users, purges)."""
        with self.db.session() as session:
            self.add(session, actor=actor, action=action, detail=detail, article_id=article_id, slug=slug)

    def _filtered(self, query: AuditQuery) -> Any:
        stmt = select(AuditEntry)
        if query.actor:
            stmt = stmt.where(AuditEntry.actor == query.actor)
        if query.action:
            stmt = stmt.where(AuditEntry.action == query.action)
        if query.article_id is not None:
            stmt = stmt.where(AuditEntry.article_id == query.article_id)
        return stmt

    def slugs(self, action: str) -> set[str]:
        """The slugs of every article an entry of this action names ("article.purged": those deleted for good)."""
        with self.db.session() as session:
            return set(session.scalars(select(AuditEntry.article_slug).where(AuditEntry.action == action).distinct()))

    def list(self, query: AuditQuery = AuditQuery()) -> tuple[list[AuditView], int]:
        """One page of entries, newest first, and the total count."""
        stmt = self._filtered(query)
        with self.db.session() as session:
            total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
            rows = session.scalars(stmt.order_by(AuditEntry.id.desc())
                                   .offset((query.page - 1) * query.per_page).limit(query.per_page)).all()
            return [AuditView.from_model(r) for r in rows], total

    def csv_rows(self, query: AuditQuery = AuditQuery(), batch: int = 1000) -> Iterator[str]:
        """The whole (filtered) log as CSV text, streamed in batches, oldest first."""
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(CSV_COLUMNS)
        last_id = 0
        while True:
            with self.db.session() as session:
                rows = session.scalars(self._filtered(query).where(AuditEntry.id > last_id)
                                       .order_by(AuditEntry.id).limit(batch)).all()
                views = [AuditView.from_model(r) for r in rows]
            for view in views:
                data = view.to_dict()
                data["detail"] = _json(view.detail)
                writer.writerow([spreadsheet_safe(data[c]) for c in CSV_COLUMNS])
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
            if len(views) < batch:
                return
            last_id = views[-1].id


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True)

