"""A save based on an old revision: refused with what changed since, so nobody's work is overwritten."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from kb.diff import revision_text, unified_diff
from kb.errors import Conflict, ValidationFailed
from kb.models import Article, Revision


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
