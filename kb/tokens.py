"""API tokens: create, verify, list and revoke; only a SHA-256 hash of each secret is stored."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import or_, select, update

from kb.audit import AuditLog
from kb.db import Database
from kb.errors import NotFound, ValidationFailed
from kb.models import ApiToken, utcnow
from kb.store import valid_id
from kb.validation import clean_team, clean_text
from kb.views import iso

SCOPES = ("suggest", "read", "write", "admin")  # weakest first: a token may do anything at or below its scope
# A token acts with this role in the permission table (kb/permissions.py); "plugin" may only suggest.
SCOPE_ROLES = {"suggest": "plugin", "read": "reader", "write": "reviewer", "admin": "admin"}
SECRET_PREFIX = "kb_"
PREFIX_CHARS = 8
MAX_NAME = 94  # "token:<name>" is the author of its saves, in columns of 100 characters
MAX_SECRET_CHARS = 200
LAST_USED_RESOLUTION = timedelta(minutes=1)


def scope_allows(have: str, need: str) -> bool:
    """True when a token of scope `have` may do what needs scope `need` (unknown scopes never pass)."""
    if have not in SCOPES or need not in SCOPES:
        return False
    return SCOPES.index(have) >= SCOPES.index(need)


def hash_secret(secret: str) -> str:
    """SHA-256 hex of a secret: secrets are 256-bit random, so a slow password hash would add nothing."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class TokenView:
    """A token as listings and request handlers see it: never the secret, never its hash."""

    id: int
    name: str
    scope: str
    team: str
    prefix: str
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None

    @classmethod
    def from_model(cls, token: ApiToken) -> TokenView:
        """Snapshot an ORM row."""
        return cls(id=token.id, name=token.name, scope=token.scope, team=token.team, prefix=token.prefix,
                   created_at=token.created_at, last_used_at=token.last_used_at, revoked_at=token.revoked_at)

    @property
    def active(self) -> bool:
        """False once revoked."""
        return self.revoked_at is None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready representation."""
        return {
            "id": self.id, "name": self.name, "scope": self.scope, "team": self.team, "prefix": self.prefix,
            "created_at": iso(self.created_at), "last_used_at": iso(self.last_used_at),
            "revoked_at": iso(self.revoked_at), "active": self.active,
        }


class TokenStore:
    """API tokens in the database."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def create(self, name: str, scope: str, team: str = "", *, by: str = "system") -> tuple[TokenView, str]:
        """Make a token; the secret is returned here once and cannot be recovered later."""
        name = clean_text("name", name, limit=MAX_NAME, required=True)
        team = clean_team(team)
        if scope not in SCOPES:
            raise ValidationFailed(f"'scope' must be one of {', '.join(SCOPES)}", field="scope")
        secret = SECRET_PREFIX + secrets.token_urlsafe(32)
        with self.db.session() as session:
            token = ApiToken(name=name, scope=scope, team=team, token_hash=hash_secret(secret),
                             prefix=secret[:PREFIX_CHARS], created_at=utcnow())
            session.add(token)
            session.flush()
            AuditLog(self.db).add(session, actor=by, action="token.created",
                                  detail={"token_id": token.id, "name": name, "scope": scope, "team": team})
            return TokenView.from_model(token), secret

    def verify(self, secret: str) -> TokenView | None:
        """The active token with this secret, or None; never raises for bad input."""
        if (not isinstance(secret, str) or not secret.startswith(SECRET_PREFIX) or not secret.isascii()
                or len(secret) > MAX_SECRET_CHARS):
            return None
        digest = hash_secret(secret)
        # Looking up by hash leaks at most timing about a hash, which says nothing about any secret.
        with self.db.session() as session:
            token = session.scalar(select(ApiToken).where(ApiToken.token_hash == digest))
            if token is None or not hmac.compare_digest(token.token_hash, digest) or token.revoked_at:
                return None
            view = TokenView.from_model(token)
        now = utcnow()
        if view.last_used_at is None or now - view.last_used_at >= LAST_USED_RESOLUTION:
            self._touch(view.id, now)
        return view

    def _touch(self, token_id: int, now: datetime) -> None:
        # At most one write a minute per token, and concurrent workers do not both write.
        stale = now - LAST_USED_RESOLUTION
        with self.db.session() as session:
            session.execute(
                update(ApiToken)
                .where(ApiToken.id == token_id)
                .where(or_(ApiToken.last_used_at.is_(None), ApiToken.last_used_at <= stale))
                .values(last_used_at=now)
            )

    def get(self, token_id: int) -> TokenView:
        """One token by id, or NotFound."""
        with self.db.session() as session:
            token = session.get(ApiToken, token_id) if valid_id(token_id) else None
            if token is None:
                raise NotFound(f"token {token_id} does not exist", token_id=token_id)
            return TokenView.from_model(token)

    def revoke(self, token_id: int, *, by: str = "system") -> TokenView:
        """Stop a token working at once; revoking twice keeps the first revocation time."""
        with self.db.session() as session:
            token = session.get(ApiToken, token_id) if valid_id(token_id) else None
            if token is None:
                raise NotFound(f"token {token_id} does not exist", token_id=token_id)
            if token.revoked_at is None:
                token.revoked_at = utcnow()
                AuditLog(self.db).add(session, actor=by, action="token.revoked",
                                      detail={"token_id": token.id, "name": token.name})
            return TokenView.from_model(token)

    def list(self) -> list[TokenView]:
        """Every token, revoked ones included, oldest first."""
        with self.db.session() as session:
            return [TokenView.from_model(t) for t in session.scalars(select(ApiToken).order_by(ApiToken.id))]
