"""Who may do what: the one table of roles and actions that pages and the API both enforce."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from kb.errors import KBError

ROLE_RANK = {"reader": 1, "author": 2, "reviewer": 3, "admin": 4}

# The lowest role allowed each action. "plugin" is a suggest-only API token (rank 0).
ACTION_ROLES: dict[str, str] = {
    "read": "reader",  # published articles, their history and diffs
    "search": "reader",
    "suggest": "reader",
    "feedback": "reader",
    "read_unpublished": "author",  # drafts, articles in review, archived ones
    "create": "author",
    "edit": "author",  # own team's (or team-less) articles; reviewers and admins any
    "preview": "author",
    "submit": "author",  # draft -> in review
    "publish": "reviewer",  # in review -> published, and any edit that sets or leaves "published" status
    "archive": "reviewer",
    "review": "reviewer",  # the review queue, marking reviewed
    "view_analytics": "reviewer",
    "view_audit": "admin",
    "manage_users": "admin",
    "manage_tokens": "admin",
    "purge": "admin",
}
PLUGIN_ACTIONS = frozenset({"suggest", "feedback"})
# Powers over the whole installation: a token bound to one team must not mint wider tokens or admins.
INSTALLATION_ACTIONS = frozenset({"manage_users", "manage_tokens"})
TEAM_BOUND_ROLES = frozenset({"author"})
STATUS_ACTIONS = {"published": "publish", "archived": "archive", "in_review": "submit", "draft": "edit"}


class Forbidden(KBError):
    """The signed-in user or token may not do this."""

    code = "forbidden"


@dataclass(frozen=True)
class Principal:
    """Whoever makes a request: a user, an API token acting with a role, or nobody."""

    name: str
    role: str  # reader, author, reviewer, admin, or "plugin" for suggest-only tokens
    team: str = ""
    kind: str = "user"  # user, token

    @property
    def actor(self) -> str:
        """The name written to revisions and the audit log."""
        return f"token:{self.name}" if self.kind == "token" else self.name


def role_allows(role: str, action: str) -> bool:
    """True when this role may do this action at all (team rules aside)."""
    if action not in ACTION_ROLES:
        return False  # an action nobody classified is refused, never allowed by default
    if role == "plugin":
        return action in PLUGIN_ACTIONS
    return ROLE_RANK.get(role, 0) >= ROLE_RANK[ACTION_ROLES[action]]


def team_allows(principal: Principal, team: str) -> bool:
    """Authors (and team-bound tokens) change only their team's articles, or ones no team owns."""
    bound = principal.role in TEAM_BOUND_ROLES or (principal.kind == "token" and principal.team)
    return not bound or team in ("", principal.team)


def allows(principal: Principal, action: str, team: str | None = None) -> bool:
    """True when the principal may do the action (on an article of this team): what `require` checks."""
    return role_allows(principal.role, action) and (team is None or team_allows(principal, team))


def require(principal: Principal, action: str, *, team: str | None = None, why: str = "") -> None:
    """Raise Forbidden unless the principal may do the action (on an article of this team)."""
    if not role_allows(principal.role, action):
        message = f"your role '{principal.role}' may not {action.replace('_', ' ')}"
        raise Forbidden(f"{message}: {why}" if why else message, action=action, role=principal.role)
    if team is not None and not team_allows(principal, team):
        raise Forbidden(f"only members of team '{team}' (or reviewers) may change this article",
                        action=action, team=team)


def team_bound_token_refuses(principal: Principal, action: str) -> str | None:
    """Why a team-bound token may not do this installation-wide action (None when it may)."""
    if principal.kind == "token" and principal.team and action in INSTALLATION_ACTIONS:
        return (f"this token is bound to team '{principal.team}', so it cannot {action.replace('_', ' ')}; "
                "use a token without a team")
    return None


def require_save(principal: Principal, before: Mapping[str, Any] | None, changed: Mapping[str, Any]) -> None:
    """Check a create (`before` None) or an edit; `changed` holds only the fields that really change."""
    if before is None:
        require(principal, "create")
        _require_own(principal, changed)
        status = changed.get("status", "draft")
        if status != "draft":
            require(principal, STATUS_ACTIONS.get(status, "edit"))
        return
    require(principal, "edit", team=before.get("team", ""))
    old_status = before.get("status")
    if changed.keys() & {"team", "owner"}:
        require(principal, "publish", why="handing an article to another team or owner is a reviewer's call")
    if old_status == "published" and changed.keys() - {"status"}:
        require(principal, "publish", why="a published article is live, so it changes through a reviewer "
                "(propose it as a change request: the editor does that for you)")
    if old_status == "archived" and changed.keys() - {"status"}:
        # Unreviewed text would go live with the next republish.
        require(principal, "publish", why="an archived article changes through a reviewer: ask one to return "
                "it to draft first")
    new_status = changed.get("status", old_status)
    if new_status == old_status:
        return
    action = STATUS_ACTIONS.get(new_status, "edit")
    if old_status in ("published", "archived") and action in ("edit", "submit"):
        action = "publish"  # taking an article out of publication is a reviewer's call too
    require(principal, action)


def _require_own(principal: Principal, fields: Mapping[str, Any]) -> None:
    """Authors (and team-bound tokens) create articles for their own team; authors own what they write."""
    bound = principal.role in TEAM_BOUND_ROLES or (principal.kind == "token" and principal.team)
    if bound and (fields.get("team") or "") != principal.team:
        raise Forbidden(f"you may create articles for your team ('{principal.team}') only",
                            action="create", team=fields.get("team") or "")
    if principal.role in TEAM_BOUND_ROLES and (fields.get("owner") or principal.name) != principal.name:
        raise Forbidden("authors own the articles they create; a reviewer can hand one over", action="create")


def can_read(principal: Principal, status: str) -> bool:
    """Published articles for every reader; others for authors and up."""
    return role_allows(principal.role, "read" if status == "published" else "read_unpublished")
