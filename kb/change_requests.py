"""Change requests: an author's edit of a published article waits for a reviewer while the live text stays."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from kb.audit import AuditLog
from kb.conflicts import rebased
from kb.editing import ArticleEditing
from kb.errors import Conflict, NotFound, ValidationFailed
from kb.models import ChangeRequest, utcnow
from kb.permissions import Principal, require
from kb.views import ArticleView, iso


@dataclass(frozen=True)
class ChangeRequestView:
    """One proposed change and what became of it."""

    id: int
    article_id: int
    base_revision: int
    fields: dict[str, Any] = field(hash=False, compare=False)
    author: str = ""
    message: str = ""
    created_at: datetime | None = None
    state: str = "open"
    decided_by: str = ""
    decided_at: datetime | None = None
    note: str = ""
    repeated: bool = field(default=False, compare=False)  # propose() found this same change already waiting

    @classmethod
    def from_model(cls, row: ChangeRequest) -> ChangeRequestView:
        """Snapshot an ORM row."""
        return cls(row.id, row.article_id, row.base_revision, dict(row.fields or {}), row.author, row.message,
                   row.created_at, row.state, row.decided_by, row.decided_at, row.note)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready representation."""
        return {"id": self.id, "article_id": self.article_id, "base_revision": self.base_revision,
                "fields": self.fields, "author": self.author, "message": self.message,
                "created_at": iso(self.created_at), "state": self.state, "decided_by": self.decided_by,
                "decided_at": iso(self.decided_at), "note": self.note}


def _json_ready(fields: Mapping[str, Any]) -> dict[str, Any]:
    return {k: (v.isoformat() if isinstance(v, date) else v) for k, v in fields.items()}


class ChangeRequests:
    """Propose, list, approve, reject and withdraw changes to published articles; every step is audited."""

    def __init__(self, editing: ArticleEditing) -> None:
        self.editing = editing
        self.db = editing.store.db
        self.audit = AuditLog(self.db)

    def propose(self, principal: Principal, ref: int | str, data: Mapping[str, Any], *, base_revision: int,
                message: str = "") -> ChangeRequestView:
        """Keep an edit of a published article for a reviewer (the author may edit it, not publish it)."""
        before = self.editing.readable(principal, ref)
        require(principal, "edit", team=before.team)
        if before.status != "published":
            raise ValidationFailed("only changes to published articles wait for review; save drafts directly")
        changed = self.editing.changed_fields(before, data)
        changed.pop("status", None)
        if changed.keys() & {"team", "owner"}:
            require(principal, "publish", why="handing an article to another team or owner is a reviewer's call")
        if not changed:
            raise ValidationFailed("nothing changed")
        # A proposal on an old revision could never be approved: say so now, with what changed since.
        self.editing.store.check_base(before.id, base_revision)
        with self.db.session() as session:
            # The same change sent again (Back, then Send once more): the request already waiting, not a twin
            # that stays open for ever once the first is approved.
            if (same := self._same_open(session, before.id, base_revision, principal.actor, changed)) is not None:
                return same
            row = ChangeRequest(article_id=before.id, base_revision=base_revision, fields=_json_ready(changed),
                                author=principal.actor, message=" ".join(message.split())[:500],
                                created_at=utcnow(), state="open")
            session.add(row)
            session.flush()
            self.audit.add(session, actor=principal.actor, action="change.proposed", article_id=before.id,
                           slug=before.slug, before=base_revision,
                           detail={"change_request": row.id, "fields": sorted(changed)})
            return ChangeRequestView.from_model(row)

    @staticmethod
    def _same_open(session: Any, article_id: int, base_revision: int, author: str, changed: Mapping[str, Any]
                   ) -> ChangeRequestView | None:
        rows = session.scalars(select(ChangeRequest).where(
            ChangeRequest.article_id == article_id, ChangeRequest.base_revision == base_revision,
            ChangeRequest.author == author, ChangeRequest.state == "open"))
        wanted = _json_ready(changed)
        return next((replace(ChangeRequestView.from_model(r), repeated=True) for r in rows
                     if dict(r.fields or {}) == wanted), None)

    def get(self, request_id: int) -> ChangeRequestView:
        """One change request."""
        with self.db.session() as session:
            row = session.get(ChangeRequest, request_id)
            if row is None:
                raise NotFound(f"no change request {request_id}")
            return ChangeRequestView.from_model(row)

    def open(self, article_id: int | None = None) -> list[ChangeRequestView]:
        """Open requests, oldest first (optionally one article's)."""
        stmt = select(ChangeRequest).where(ChangeRequest.state == "open")
        if article_id is not None:
            stmt = stmt.where(ChangeRequest.article_id == article_id)
        with self.db.session() as session:
            return [ChangeRequestView.from_model(r) for r in session.scalars(stmt.order_by(ChangeRequest.id))]

    def decided_for(self, author: str, limit: int = 20) -> list[ChangeRequestView]:
        """An author's latest decided requests, newest first: what became of them, with the reviewer's note."""
        stmt = (select(ChangeRequest).where(ChangeRequest.author == author, ChangeRequest.state != "open")
                .order_by(ChangeRequest.decided_at.desc(), ChangeRequest.id.desc()).limit(limit))
        with self.db.session() as session:
            return [ChangeRequestView.from_model(r) for r in session.scalars(stmt)]

    def approve(self, principal: Principal, request_id: int) -> ArticleView:
        """Apply the change as a new revision (a stale base is a 409, as for any save).

        The new revision, the request's decision and its audit entry commit together or not at all: a
        withdraw that wins the race, or a crash, leaves the article as it was and the request open.
        """
        proposal, live = self._open(principal, request_id)
        message = f"{proposal.message or 'Change'} (proposed by {proposal.author}, approved by {principal.actor})"

        def decide(session: Session) -> None:
            self._record_decision(session, principal, proposal.id, "approved", "", live.slug)

        fields, base = proposal.fields, proposal.base_revision
        if live.revision != base:  # saved since: still fine if nothing it changes was changed meanwhile
            changed = rebased(self.editing.store.revision(live.id, base), live, fields)
            fields, base = (fields, base) if changed is None else (changed, live.revision)
        return self.editing.save(principal, proposal.article_id, fields, base_revision=base, message=message,
                                 along=decide)

    def reject(self, principal: Principal, request_id: int, note: str = "") -> ChangeRequestView:
        """Decline the change, with a note for its author."""
        proposal, live = self._open(principal, request_id)
        return self._decide(principal, proposal, "rejected", note, live.slug)

    def withdraw(self, principal: Principal, request_id: int) -> ChangeRequestView:
        """Take back an open change: its author may, and anyone who could approve or reject it."""
        proposal = self.get(request_id)
        require(principal, "edit")
        live = self.editing.store.get(proposal.article_id)
        if proposal.author != principal.actor:
            require(principal, "publish", team=live.team, why="only its author or a reviewer can withdraw a change")
        if proposal.state != "open":
            raise Conflict(f"change request {request_id} is already {proposal.state}")
        return self._decide(principal, proposal, "withdrawn", "", live.slug)

    def _open(self, principal: Principal, request_id: int) -> tuple[ChangeRequestView, ArticleView]:
        proposal = self.get(request_id)
        require(principal, "publish")  # before the article is looked up: no 404-or-403 hint to others
        live = self.editing.store.get(proposal.article_id)
        require(principal, "publish", team=live.team)
        if proposal.state != "open":
            raise Conflict(f"change request {request_id} is already {proposal.state}")
        return proposal, live

    def _decide(self, principal: Principal, proposal: ChangeRequestView, state: str, note: str,
                slug: str) -> ChangeRequestView:
        with self.db.session() as session:
            return self._record_decision(session, principal, proposal.id, state, note, slug)

    def _record_decision(self, session: Session, principal: Principal, request_id: int, state: str, note: str,
                         slug: str) -> ChangeRequestView:
        """Move the request from open to `state` in one statement (of two deciders, one wins), and audit it."""
        moved = session.execute(update(ChangeRequest).where(
            ChangeRequest.id == request_id, ChangeRequest.state == "open").values(
            state=state, decided_by=principal.actor, decided_at=utcnow(), note=note[:500])).rowcount
        if not moved:
            raise Conflict(f"change request {request_id} was decided meanwhile")
        row = session.get(ChangeRequest, request_id)
        session.refresh(row)
        self.audit.add(session, actor=principal.actor, action=f"change.{state}", article_id=row.article_id,
                       slug=slug, before=row.base_revision, detail={"change_request": row.id, "author": row.author,
                                                                     "note": row.note})
        return ChangeRequestView.from_model(row)
