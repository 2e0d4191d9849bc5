"""Content gaps: unanswered searches and abstained tickets grouped by meaning, each a candidate article."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import numpy as np
from sqlalchemy import func, select

from kb.analytics.cluster import agglomerate, central_order
from kb.analytics.query_log import MISSED, UNANSWERED_TICKET
from kb.analytics.window import Window, day_of
from kb.db import Database
from kb.models import QueryLogEntry, SuggestQuery
from kb.views import iso

Q = QueryLogEntry
MAX_SEARCHES = 300  # distinct unanswered searches clustered (most recent first): keeps clustering well under 1 s
MAX_TICKETS = 150  # abstained tickets clustered (most recent first)
TICKET_CHARS = 300  # a ticket's opening is what it is about; the rest is history and signatures
EXAMPLES = 5
MAX_GROUPS = 30
# Cosine similarity above which two groups are one topic; each model spreads its cosines differently.
# Chosen by benchmarks/tune_gap_threshold.py: best mean B-cubed F1 of grouping dev-set questions that share
# their answer (e5 0.72 at 0.91 against 0.61 at 0.88; MiniLM 0.68 at 0.63 against 0.65 at 0.55).
THRESHOLDS = {"multilingual-e5-small": 0.91, "all-MiniLM-L6-v2": 0.63}
DEFAULT_THRESHOLD = 0.4  # the hashed bag-of-words embedder of the tests
_SENTENCE_END = re.compile(r"(?<=[.!?])\s|\n")


@dataclass(frozen=True)
class GapItem:
    """One unanswered text: a distinct search (with how often it was searched) or one abstained ticket."""

    kind: str  # search, suggestion
    text: str
    count: int
    days: tuple[date, ...]  # the day of each occurrence (per distinct day for searches, with repeats)
    last_at: datetime


@dataclass(frozen=True)
class GapGroup:
    """A topic agents asked about and found nothing on: an article waiting to be written."""

    id: str
    title: str
    size: int  # occurrences: searches plus tickets
    searches: int
    tickets: int
    examples: tuple[str, ...]
    trend: tuple[int, ...]  # occurrences per period, oldest first
    trend_label: str  # new, rising, falling, steady
    last_at: datetime

    def editor_body(self) -> str:
        """Markdown to start the article from: what agents asked, then the usual sections."""
        asked = "\n".join(f"- {example}" for example in self.examples)
        return (f"## Symptoms\n\nWhat agents searched for or customers wrote ({self.size} times):\n\n{asked}\n\n"
                "## Cause\n\n\n## Resolution\n\n1. \n")

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready representation."""
        return {"id": self.id, "title": self.title, "size": self.size, "searches": self.searches,
                "tickets": self.tickets, "examples": list(self.examples), "trend": list(self.trend),
                "trend_label": self.trend_label, "last_at": iso(self.last_at)}


def suggest_title(text: str) -> str:
    """A title from a representative query or ticket: its first sentence, capitalised, at most 90 characters."""
    first = _SENTENCE_END.split(text.strip(), maxsplit=1)[0].strip(" .?!")
    first = " ".join(first.split())[:90]
    return first[:1].upper() + first[1:] if first else "New article"


def trend(days: list[date], window: Window) -> tuple[tuple[int, ...], str]:
    """Occurrences per period of the window (weeks when it spans two or more) and a word for the direction."""
    if window.days < 2:  # one day has no earlier part to compare with
        return (len(days),), "steady"
    periods = max(2, min(8, window.days // 7))
    counts = [0] * periods
    for day in days:
        counts[min(periods - 1, max(0, (day - window.since).days * periods // window.days))] += 1
    earlier = counts[:-1]
    average = sum(earlier) / len(earlier)
    if not any(earlier):
        label = "new"
    elif counts[-1] > 1.5 * average:
        label = "rising"
    elif counts[-1] < 0.5 * average:
        label = "falling"
    else:
        label = "steady"
    return tuple(counts), label


class GapFinder:
    """Collects the unanswered texts of a window, embeds them (through the embedding cache) and groups them."""

    def __init__(self, db: Database, embedder: Callable[[], Any]) -> None:
        self.db = db
        self.embedder = embedder  # called when needed: search (and its embedder) may start after analytics

    def items(self, window: Window) -> list[GapItem]:
        """The most recent distinct unanswered searches and abstained tickets of the window."""
        where = (Q.kind == "search", MISSED, Q.day >= window.since, Q.day <= window.until, Q.query_key != "")
        with self.db.session() as session:
            keys = session.execute(select(Q.query_key, func.count(), func.max(Q.at)).where(*where)
                                   .group_by(Q.query_key).order_by(func.max(Q.at).desc()).limit(MAX_SEARCHES)).all()
            # A query answered since its last miss (an article was written, someone opened a result) is closed.
            answered = dict(session.execute(select(Q.query_key, func.max(Q.at)).where(
                Q.kind == "search", ~MISSED, Q.query_key.in_([k for k, _, _ in keys])).group_by(Q.query_key)).all())
            keys = [(k, n, last) for k, n, last in keys if not (k in answered and answered[k] > last)]
            per_day: dict[str, list[date]] = {}
            for key, day, n in session.execute(select(Q.query_key, Q.day, func.count()).where(
                    *where, Q.query_key.in_([k for k, _, _ in keys])).group_by(Q.query_key, Q.day)):
                per_day.setdefault(key, []).extend([day_of(day)] * n)
            tickets = session.execute(select(SuggestQuery.query_text, SuggestQuery.created_at).where(
                UNANSWERED_TICKET, SuggestQuery.created_at >= window.start,
                SuggestQuery.created_at < window.end).order_by(SuggestQuery.created_at.desc()).limit(MAX_TICKETS))
            found = [GapItem("search", key, n, tuple(per_day.get(key, ())), last) for key, n, last in keys]
            found += [GapItem("suggestion", " ".join(text.split())[:TICKET_CHARS], 1, (at.date(),), at)
                      for text, at in tickets if text.strip()]
        return found

    def groups(self, window: Window) -> list[GapGroup]:
        """The gap groups of the window, largest first."""
        items = self.items(window)
        embedder = self.embedder()
        if not items or embedder is None:
            return []
        # Passages, not queries: the persistent embedding cache keeps them, so the next page view is instant.
        vectors = np.asarray(embedder.embed_passages([item.text for item in items]))
        threshold = THRESHOLDS.get(embedder.name, DEFAULT_THRESHOLD)
        groups = [self._group(items, vectors, members, window) for members in agglomerate(vectors, threshold)]
        groups.sort(key=lambda g: (-g.size, -g.last_at.timestamp(), g.title))
        return groups[:MAX_GROUPS]

    @staticmethod
    def _group(items: list[GapItem], vectors: np.ndarray, members: list[int], window: Window) -> GapGroup:
        ordered = central_order(vectors, members)
        searches = [items[i] for i in ordered if items[i].kind == "search"]
        # The title comes from the most searched query (short, in agents' words), else the most central ticket.
        lead = max(searches, key=lambda item: item.count) if searches else items[ordered[0]]
        examples = tuple(dict.fromkeys(items[i].text[:160] for i in ordered))[:EXAMPLES]
        counts, label = trend([d for i in members for d in items[i].days], window)
        ident = hashlib.sha1("\n".join(sorted(items[i].text for i in members)).encode()).hexdigest()[:10]
        return GapGroup(ident, suggest_title(lead.text), sum(items[i].count for i in members),
                        sum(item.count for item in searches), sum(1 for i in members if items[i].kind != "search"),
                        examples, counts, label, max(items[i].last_at for i in members))
