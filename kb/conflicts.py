"""A save based on an old revision: refused with what changed since, so nobody's work is overwritten."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from kb.diff import revision_text, unified_diff
from kb.errors import Conflict, ValidationFailed
from kb.models import Article, Revision
from kb.validation import normalise_tag
from kb.views import ArticleView, RevisionView


def refuse_stale_base(session: Session, article: Article, base_revision: int) -> None:
    """Raise Conflict (the newer revisions and a diff) unless `base_revision` is the article's current one."""
    if base_revision == article.revision:
        return
    if base_revision > article.revision or base_revision < 1:
        raise ValidationFailed(f"revision {base_revision} does not exist", field="base_revision")
    base = session.scalar(select(Revision).where(
        Revision.article_id == article.id, Revision.number == base_revision))
    newer = session.scalars(select(Revision).where(
        Revision.article_id == article.id, Revision.number > base_revision
    ).order_by(Revision.number)).all()
    raise Conflict(
        f"article changed since revision {base_revision}: now at revision {article.revision}",
        current_revision=article.revision,
        changes=[{"number": r.number, "author": r.author, "message": r.message,
                  "created_at": r.created_at.strftime("%Y-%m-%dT%H:%M:%SZ")} for r in newer],
        diff=unified_diff(revision_text(base), revision_text(newer[-1]),
                          f"revision {base_revision}", f"revision {article.revision}"),
    )


MERGED_FIELDS = ("title", "tags", "status", "language", "team", "owner", "review_by")


def merge_fields(base: RevisionView, current: ArticleView, mine: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """A stale editor's fields three-way merged with the current revision, the body left as typed.

    A field this editor left as it was takes the other save's value (a re-save must not undo it); a field
    both changed keeps ours and is named, for the author to decide.
    """
    merged, both = dict(mine), []
    for name in MERGED_FIELDS:
        if name not in mine:
            continue
        ours, theirs, was = (_comparable(name, v) for v in (mine[name], getattr(current, name), getattr(base, name)))
        if ours == was and theirs != was:
            merged[name] = list(current.tags) if name == "tags" else getattr(current, name)
        elif ours != was and theirs != was and ours != theirs:
            both.append(name)
    return merged, both


def _comparable(name: str, value: Any) -> Any:
    if name == "tags":
        return tuple(sorted(normalise_tag(t) for t in value if str(t).strip()))
    if name == "review_by":
        return str(value) if value else None
    return value.strip() if isinstance(value, str) else value


def rebased(base: RevisionView, current: ArticleView, mine: dict[str, Any]) -> dict[str, Any] | None:
    """The fields `mine` changed against `base`, when no later revision changed any of them; else None.

    A change request made before a "Reviewed" revision (a new review date) still applies: it did not touch
    the date, and the date is not put back.
    """
    changed = {}
    for name, value in mine.items():
        was = _comparable(name, getattr(base, name, None))
        if _comparable(name, value) == was:
            continue
        if _comparable(name, getattr(current, name, None)) != was:
            return None
        changed[name] = value
    return changed
