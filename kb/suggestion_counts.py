"""Per-day, per-article suggestion counts, kept up to date as suggestions are written (one upsert each)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from datetime import date
from typing import Any

from sqlalchemy.orm import Session

from kb.db import upsert
from kb.models import SuggestionCount


def add_daily_counts(session: Session, model: type[Any], column: str,
                     counts: Iterable[tuple[date, int, int]]) -> None:
    """Add (day, article id, n) to a per-day, per-article counter table, inserting rows that do not exist yet."""
    rows = [{"day": day, "article_id": article_id, column: n} for day, article_id, n in counts]
    if not rows:
        return
    insert = upsert(session, model)
    # One statement either way: parallel workers never lose a count to a read-then-write race.
    session.execute(insert.values(rows).on_conflict_do_update(
        index_elements=["day", "article_id"], set_={column: getattr(model, column) + insert.excluded[column]}))


def add_counts(session: Session, counts: Iterable[tuple[date, int, int]]) -> None:
    """Add (day, article id, times shown) to the running suggestion counts."""
    add_daily_counts(session, SuggestionCount, "shown", counts)


def count_answers(answers: Iterable[tuple[date, Iterable[int]]]) -> list[tuple[date, int, int]]:
    """(day, shown ids) of many answers -> (day, article id, times shown), an article once per answer."""
    counter: Counter[tuple[date, int]] = Counter()
    for day, shown in answers:
        counter.update((day, int(article_id)) for article_id in set(shown or ()))
    return [(day, article_id, n) for (day, article_id), n in counter.items()]
