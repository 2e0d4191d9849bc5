"""User accounts: password hashing (werkzeug's scrypt), roles, teams, lock-out after failed logins."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from werkzeug.security import check_password_hash, generate_password_hash

from kb.audit import AuditLog
from kb.db import Database
from kb.errors import Conflict, KBError, NotFound, ValidationFailed
from kb.models import ROLES, User, utcnow
from kb.validation import clean_team
from kb.views import iso

USERNAME = re.compile(r"^[a-z0-9][a-z0-9._@-]{1,99}$")
MIN_PASSWORD = 12
MAX_PASSWORD = 1000  # the sign-in form reads no more (hashing megabytes per attempt would be a cheap DoS)
# Checked against on unknown usernames too, so a login takes as long whether or not the account exists.
_DUMMY_HASH = generate_password_hash("timing-equaliser-not-a-password")
# One message for every refusal, so the login form never tells which usernames exist or are locked.
FAILED_LOGIN = "wrong username or password, or the account is locked after too many failed tries"


class LoginFailed(KBError):
    """Wrong username or password (never says which), or a locked or disabled account."""

    code = "login_failed"


@dataclass(frozen=True)
class UserView:
    """A user account, without its password hash."""

    id: int
    username: str
    display_name: str
    role: str
    team: str
    created_at: datetime
    disabled: bool
    locked_until: datetime | None
    last_login_at: datetime | None
    has_password: bool

    @classmethod
    def from_model(cls, user: User) -> UserView:
        """Snapshot an ORM row."""
        return cls(id=user.id, username=user.username, display_name=user.display_name or user.username,
                   role=user.role, team=user.team, created_at=user.created_at,
                   disabled=user.disabled_at is not None, locked_until=user.locked_until,
                   last_login_at=user.last_login_at, has_password=bool(user.password_hash))

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready representation."""
        return {"id": self.id, "username": self.username, "display_name": self.display_name, "role": self.role,
                "team": self.team, "created_at": iso(self.created_at), "disabled": self.disabled,
                "locked_until": iso(self.locked_until), "last_login_at": iso(self.last_login_at)}


def _check(username: str, role: str, password: str | None) -> None:
    if not USERNAME.match(username):
        raise ValidationFailed("a username is 2-100 lowercase letters, digits or . _ @ -", field="username")
    if role not in ROLES:
        raise ValidationFailed(f"role must be one of {', '.join(ROLES)}", field="role")
    if password is not None and not MIN_PASSWORD <= len(password) <= MAX_PASSWORD:
        raise ValidationFailed(f"a password has {MIN_PASSWORD} to {MAX_PASSWORD} characters", field="password")


class UserStore:
    """Accounts in the database; every change is written to the audit log."""

    def __init__(self, db: Database, *, max_failures: int = 5, lockout_minutes: int = 15) -> None:
        self.db = db
        self.max_failures = max_failures
        self.lockout = timedelta(minutes=lockout_minutes)
        self.audit = AuditLog(db)

    def create(self, username: str, *, role: str, password: str | None, team: str = "",
               display_name: str = "", by: str) -> UserView:
        """Add an account; password None makes an SSO-only account."""
        username = username.strip().lower()
        _check(username, role, password)
        team = clean_team(team)
        with self.db.session() as session:
            user = User(username=username, display_name=display_name.strip()[:200], role=role,
                        team=team, created_at=utcnow(),
                        password_hash=generate_password_hash(password) if password else "")
            session.add(user)
            try:
                session.flush()
            except IntegrityError:
                raise Conflict(f"user {username!r} exists", field="username") from None
            self.audit.add(session, actor=by, action="user.created",
                           detail={"username": username, "role": role, "team": user.team})
            return UserView.from_model(user)

    def _load(self, session: Any, ref: int | str) -> User:
        column = User.id if isinstance(ref, int) else User.username
        user = session.scalar(select(User).where(column == ref))
        if user is None:
            raise NotFound(f"no user {ref!r}")
        return user

    def get(self, ref: int | str) -> UserView:
        """One account by id or username."""
        with self.db.session() as session:
            return UserView.from_model(self._load(session, ref))

    def find(self, username: str) -> UserView | None:
        """An account by username, or None."""
        with self.db.session() as session:
            user = session.scalar(select(User).where(User.username == username.strip().lower()))
            return UserView.from_model(user) if user else None

    def session_user(self, user_id: int) -> tuple[UserView, str] | None:
        """An account and what its sessions are keyed on (password hash, last disabling); None if it is gone."""
        with self.db.session() as session:
            user = session.get(User, user_id)
            if user is None:
                return None
            ended = f"|{iso(user.sessions_ended_at)}" if user.sessions_ended_at else ""  # keeps older sessions
            return UserView.from_model(user), f"{user.password_hash}{ended}"

    def list(self) -> list[UserView]:
        """Every account, by username."""
        with self.db.session() as session:
            return [UserView.from_model(u) for u in session.scalars(select(User).order_by(User.username)).all()]

    def count(self) -> int:
        """How many accounts exist."""
        with self.db.session() as session:
            return session.scalar(select(func.count(User.id))) or 0

    def authenticate(self, username: str, password: str) -> UserView:
        """Check a password; repeated failures lock the account for a while (same answer either way)."""
        now = utcnow()
        with self.db.session() as session:
            user = session.scalar(select(User).where(User.username == username.strip().lower()))
            locked = user is not None and user.locked_until is not None and user.locked_until > now
            if user is None or not user.password_hash or locked:
                check_password_hash(_DUMMY_HASH, password)  # as slow as a real check: nothing to tell apart
                raise LoginFailed(FAILED_LOGIN)
            if check_password_hash(user.password_hash, password) and user.disabled_at is None:
                user.failed_logins, user.locked_until, user.last_login_at = 0, None, now
                return UserView.from_model(user)
            user_id = user.id
        self._failed(user_id, now)
        raise LoginFailed(FAILED_LOGIN)

    def _failed(self, user_id: int, now: datetime) -> None:
        # One atomic increment: parallel guesses cannot share a count and get extra tries.
        with self.db.session() as session:
            session.execute(update(User).where(User.id == user_id).values(failed_logins=User.failed_logins + 1))
            user = session.get(User, user_id)
            session.refresh(user)
            if user.failed_logins >= self.max_failures:
                user.locked_until, user.failed_logins = now + self.lockout, 0
                self.audit.add(session, actor="system:login", action="user.locked",
                               detail={"username": user.username, "until": iso(user.locked_until)})

    def update(self, ref: int | str, *, by: str, role: str | None = None, team: str | None = None,
               password: str | None = None, disabled: bool | None = None) -> UserView:
        """Change role, team, password or disabled state; unlocks on a new password."""
        with self.db.session() as session:
            user = self._load(session, ref)
            _check(user.username, user.role if role is None else role, password)
            changes: dict[str, Any] = {}
            if role is not None and role != user.role:
                if by == user.username and user.role == "admin":  # like disabling: the last admin could lock all out
                    raise ValidationFailed("you cannot take the admin role from your own account", field="role")
                changes["role"], user.role = [user.role, role], role
            if team is not None and (new_team := clean_team(team)) != user.team:
                changes["team"], user.team = [user.team, new_team], new_team
            if password is not None:
                user.password_hash, user.locked_until, user.failed_logins = generate_password_hash(password), None, 0
                changes["password"] = "changed"
            if disabled is not None and disabled != (user.disabled_at is not None):
                if disabled and by == user.username:  # the last admin could lock everyone out
                    raise ValidationFailed("you cannot disable your own account", field="disabled")
                user.disabled_at = utcnow() if disabled else None
                user.sessions_ended_at = user.disabled_at or user.sessions_ended_at
                changes["disabled"] = disabled
            if changes:
                self.audit.add(session, actor=by, action="user.updated",
                               detail={"username": user.username, **changes})
            return UserView.from_model(user)
