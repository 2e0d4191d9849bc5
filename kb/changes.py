"""The change log: every save writes a row, and each process replays the rows it has not seen."""

from __future__ import annotations

from sqlalchemy import select

from kb.db import Database
from kb.models import Change

CHANGE_LOOKBACK = 256  # more concurrent, uncommitted saves than this at once are not expected


def changed_since(db: Database, generation: int, seen: set[int] | None = None) -> tuple[int, list[int]]:
    """The newest change id and the articles changed after `generation`.

    With `seen` (change ids already applied), ids up to CHANGE_LOOKBACK below `generation` are read
    again: PostgreSQL hands out ids at insert, not commit, so a lower id can become visible later.
    """
    floor = generation - CHANGE_LOOKBACK if seen is not None else generation
    with db.session() as session:
        rows = session.execute(
            select(Change.id, Change.article_id).where(Change.id > floor).order_by(Change.id)
        ).all()
    fresh = [(cid, aid) for cid, aid in rows if seen is None or cid not in seen]
    if seen is not None:
        seen.intersection_update({cid for cid, _ in rows})  # forget ids that left the window
        seen.update(cid for cid, _ in fresh)
    newest = max([generation, *(cid for cid, _ in rows)])
    return newest, sorted({article_id for _, article_id in fresh})
