"""Changing articles on someone's behalf: permission, workflow and team rules, then the store."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date
from typing import Any

from sqlalchemy import delete

from kb.errors import NotFound, ValidationFailed
from kb.models import Article, ArticleReadCount, ArticleStats, ArticleVote, Change, Revision, utcnow
from kb.permissions import Forbidden, Principal, can_read, require, require_save, role_allows, team_allows
from kb.store import Along, ArticleStore
from kb.users import UserView
from kb.validation import clean_team, validate_article_fields
from kb.views import ArticleView, RevisionView
from kb.workflow import Workflow, check_transition


def _without_unchanged_owner(before: ArticleView, data: Mapping[str, Any]) -> dict[str, Any]:
    """`data` less an owner sent back unchanged: an import may have set one no account has, so it is not re-checked."""
    return {name: value for name, value in data.items() if not (name == "owner" and value == before.owner)}


def _check_owner_may_edit(user: UserView, team: Any, field: str = "owner") -> None:
    """An owner answers for the article, so must be able to change it: not a reader, not another team's author."""
    if not role_allows(user.role, "edit"):
        raise ValidationFailed(f"'owner' must be an account that may edit; {user.username!r} is a {user.role}",
                               field=field)
    if isinstance(team, str) and not team_allows(Principal(user.username, user.role, user.team), team):
        raise ValidationFailed(f"'owner' must be able to edit this article; {user.username!r} is an author on team "
                               f"{user.team or '(none)'!r} and the article's team is {team!r}", field=field)


class ArticleEditing:
    """Every create, save, restore, archive and purge by a user or token goes through here."""

    def __init__(self, store: ArticleStore, workflow: Workflow,
                 find_user: Callable[[str], UserView | None] | None = None) -> None:
        self.store = store
        self.workflow = workflow
        self.find_user = find_user

    def _named_owner(self, owner: Any, team: Any) -> Any:
        """An owner named in a create or a handover is an account's username: a typo would leave nobody to ask."""
        if self.find_user is None or not isinstance(owner, str) or not owner.strip():
            return owner
        user = self.find_user(owner)
        if user is None or user.disabled:
            raise ValidationFailed(f"'owner' must be the username of an active account; {owner.strip()!r} is not "
                                   "(single sign-on users get theirs when they first sign in)", field="owner")
        _check_owner_may_edit(user, team)
        return user.username

    def _owner_keeps_access(self, owner: str, team: Any) -> None:
        """An article moved to another team keeps an owner who can still edit it (an imported name is let be)."""
        user = self.find_user(owner) if self.find_user is not None and owner else None
        if user is not None and not user.disabled:
            _check_owner_may_edit(user, team, field="team")

    def readable(self, principal: Principal, ref: int | str) -> ArticleView:
        """The article if this principal may see it; unpublished ones look missing to readers."""
        article = self.store.get(ref)
        if not can_read(principal, article.status):
            raise NotFound(f"no article {ref!r}")
        return article

    def revisions(self, principal: Principal, ref: int | str) -> list[RevisionView]:
        """The revisions this principal may read: readers see only those that were published."""
        article = self.readable(principal, ref)
        return [r for r in self.store.revisions(article.id) if can_read(principal, r.status)]

    def revision(self, principal: Principal, ref: int | str, number: int) -> RevisionView:
        """One revision, if this principal may read it (a reader never sees text that was not published)."""
        revision = self.store.revision(self.readable(principal, ref).id, number)
        if not can_read(principal, revision.status):
            raise NotFound(f"article {ref!r} has no revision {number}")
        return revision

    def diff_pair(self, principal: Principal, ref: int | str, old: int | None = None, new: int | None = None
                  ) -> tuple[ArticleView, RevisionView, RevisionView]:
        """Two revisions to compare; by default the newest this principal may read and the readable one before."""
        article = self.readable(principal, ref)
        numbers = [r.number for r in self.revisions(principal, article.id)]  # newest first
        new_n = new or (numbers[0] if numbers else article.revision)
        old_n = old or next((n for n in numbers if n < new_n), new_n)
        return article, self.revision(principal, article.id, old_n), self.revision(principal, article.id, new_n)

    def changed_fields(self, before: ArticleView, data: Mapping[str, Any]) -> dict[str, Any]:
        """The fields of `data` that differ from the article once normalised (invalid input raises here)."""
        data = _without_unchanged_owner(before, data)
        fields = validate_article_fields(data, creating=False, max_body_bytes=self.store.max_body_bytes)
        current = {**before.to_dict(include_body=True), "tags": list(before.tags), "review_by": before.review_by}
        return {name: value for name, value in fields.items() if current.get(name) != value}

    def create(self, principal: Principal, data: Mapping[str, Any], *, message: str = "Created") -> ArticleView:
        """A new article, owned by its author (or the account a token names) and, unless given, the author's team."""
        # A token acts for no one: its article has the owner the request names (an account), or none yet.
        fields = {**data, "owner": data.get("owner") or ("" if principal.kind == "token" else principal.name)}
        fields["team"] = fields.get("team") or principal.team
        require_save(principal, None, fields)  # before the owner's account is looked up: no hint to others
        if data.get("owner"):
            fields["owner"] = self._named_owner(data["owner"], clean_team(fields["team"]))
        return self.store.create(fields, author=principal.actor, message=message or "Created")

    def save(self, principal: Principal, ref: int | str, data: Mapping[str, Any], *, base_revision: int,
             message: str = "", along: Along | None = None) -> ArticleView:
        """A new revision, if this principal may change this article and move it to that status."""
        before = self.readable(principal, ref)
        if base_revision < before.revision:
            # The form was filled in against an older revision: its fields differ from the current ones by the
            # other save's changes too (a new owner reads as a handover). Say what changed before judging them.
            require(principal, "edit", team=before.team)
            return self.store.update(before.id, data, base_revision=base_revision, author=principal.actor)
        data = _without_unchanged_owner(before, data)
        changed = self.changed_fields(before, data)
        if "owner" in changed and not changed["owner"]:  # someone must answer for a stale article
            raise ValidationFailed("'owner' may not be emptied: hand the article to someone", field="owner")
        require_save(principal, before.to_dict(include_body=False), changed)
        team = changed.get("team", before.team)
        if "owner" in changed:
            data = {**data, "owner": self._named_owner(changed["owner"], team)}
        elif "team" in changed:
            self._owner_keeps_access(before.owner, team)
        check_transition(before.status, data.get("status", before.status))
        return self.store.update(before.id, data, base_revision=base_revision, author=principal.actor,
                                 message=message, along=along)

    def restore(self, principal: Principal, ref: int | str, number: int, *,
                base_revision: int | None = None) -> ArticleView:
        """An old revision made current again, under the same rules as a save."""
        before = self.readable(principal, ref)
        old = self.store.revision(before.id, number)
        require_save(principal, before.to_dict(include_body=False), self.changed_fields(before, old.content_fields()))
        base = before.revision if base_revision is None else base_revision  # what the check above saw
        return self.store.restore(before.id, number, author=principal.actor, base_revision=base)

    def may_restore(self, principal: Principal, article: ArticleView) -> bool:
        """True when this principal may bring back an old text of this article (the history page asks)."""
        try:
            require_save(principal, article.to_dict(include_body=False), {"body": ""})
        except Forbidden:
            return False
        return True

    def archive(self, principal: Principal, ref: int | str, *, base_revision: int | None = None) -> ArticleView:
        """Archive instead of deleting."""
        before = self.readable(principal, ref)
        require(principal, "archive", team=before.team)
        check_transition(before.status, "archived")
        base = before.revision if base_revision is None else base_revision
        return self.store.archive(before.id, author=principal.actor, base_revision=base)

    def request_review(self, principal: Principal, ref: int | str, reason: str) -> ArticleView:
        """The owner (or a team member) asks for a review."""
        before = self.readable(principal, ref)
        require(principal, "edit", team=before.team)
        return self.workflow.request_review(before.id, by=principal.actor, reason=reason or "asked by the owner")

    def mark_reviewed(self, principal: Principal, ref: int | str, review_by: date | None) -> ArticleView:
        """A reviewer confirms the article is still right."""
        before = self.readable(principal, ref)
        require(principal, "review", team=before.team)
        return self.workflow.mark_reviewed(before.id, by=principal.actor, review_by=review_by)

    def purge(self, principal: Principal, ref: int | str) -> dict[str, Any]:
        """Delete an article and its revisions for good (admins only); the audit log keeps the record."""
        require(principal, "purge")
        article = self.store.get(ref)
        require(principal, "purge", team=article.team)  # a team-bound admin token purges its team's only
        db = self.store.db
        with db.session() as session:
            session.execute(delete(Revision).where(Revision.article_id == article.id))
            session.execute(delete(ArticleStats).where(ArticleStats.article_id == article.id))
            session.execute(delete(ArticleReadCount).where(ArticleReadCount.article_id == article.id))
            session.execute(delete(ArticleVote).where(ArticleVote.article_id == article.id))
            session.delete(session.get(Article, article.id))  # its tags go with it
            session.add(Change(article_id=article.id, at=utcnow()))  # the indexes drop it on their next sync
            self.workflow.audit.add(session, actor=principal.actor, action="article.purged", article_id=article.id,
                                    slug=article.slug, before=article.revision,
                                    detail={"title": article.title, "status": article.status,
                                            "revisions": article.revision})
        self.store._notify([article.id])
        return {"id": article.id, "slug": article.slug, "purged": True}
