"""Ticket text in, article suggestions out: clean the ticket, search, calibrate confidence, abstain honestly."""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import dataclass

from kb.feedback import FeedbackStore
from kb.index.base import Filters
from kb.search import SearchEngine, SearchResponse
from kb.ticket_cleaning import CleanedTicket, clean_ticket, mask_personal_data

WINDOW_CHARS = 900  # about what the embedding models read at once
MAX_WINDOWS = 5  # the cleaned ticket is at most 4,000 characters: five windows read all of it
# Logistic calibration of P(top suggestion is right) from the evidence of the top article;
# fitted on the dev tickets by benchmarks/calibrate_confidence.py.
CALIBRATION = {"bias": -6.0, "semantic": 8.0, "keyword_share": 1.5, "margin": 4.0}
ABSTAIN_BELOW = 0.5


@dataclass(frozen=True)
class Suggestion:
    """One suggested article, pointing at its best section."""

    id: int
    slug: str
    title: str
    url: str
    section: str
    snippet: str
    score: float
    confidence: float

    def to_dict(self) -> dict[str, object]:
        """JSON-ready representation."""
        return {"id": self.id, "slug": self.slug, "title": self.title, "url": self.url, "section": self.section,
                "snippet": self.snippet, "score": round(self.score, 6), "confidence": self.confidence}


@dataclass(frozen=True)
class SuggestResult:
    """The answer to one ticket."""

    query_id: str
    suggestions: tuple[Suggestion, ...]
    abstained: bool
    took_ms: float
    cleaned: CleanedTicket


def windows(text: str, size: int = WINDOW_CHARS, most: int = MAX_WINDOWS) -> list[str]:
    """Cut a long text into paragraph-aligned windows, so no part of a long ticket is silently dropped."""
    if len(text) <= size:
        return [text]
    out, current = [], ""
    for paragraph in text.split("\n"):
        if current and len(current) + len(paragraph) > size:
            out.append(current)
            current = ""
        current = f"{current}\n{paragraph}".strip()[: size * 2]
    out.append(current)
    return [w for w in out if w.strip()][:most]


def confidence(response: SearchResponse, rank: int) -> float:
    """Calibrated probability that the article at `rank` answers the ticket (0..1)."""
    ranking = response.article_ranking
    if rank >= len(ranking):
        return 0.0
    keyword, semantic = response.evidence.get(ranking[rank], (0.0, 0.0))
    top_keyword = max((k for k, _ in response.evidence.values()), default=0.0) or 1.0
    scores = [response.evidence.get(a, (0.0, 0.0))[1] for a in ranking[rank:rank + 2]]
    margin = scores[0] - scores[1] if len(scores) == 2 else scores[0]
    z = (CALIBRATION["bias"] + CALIBRATION["semantic"] * semantic
         + CALIBRATION["keyword_share"] * (keyword / top_keyword) + CALIBRATION["margin"] * margin)
    return round(1.0 / (1.0 + math.exp(-z)), 3)


class Suggester:
    """Cleans tickets and asks the search engine, through the same code path as search."""

    def __init__(self, engine: SearchEngine, feedback: FeedbackStore) -> None:
        self.engine = engine
        self.feedback = feedback

    def rank(self, cleaned: CleanedTicket, *, limit: int = 100, filters: Filters = Filters(),
             language: str | None = None) -> SearchResponse:
        """The search behind a suggestion: whole ticket for keywords, windows for meaning, identifiers exact."""
        text = "\n".join(part for part in (cleaned.subject, cleaned.text) if part)
        return self.engine.search(text, mode="hybrid", limit=limit, filters=filters, language=language,
                                  exact_terms=cleaned.search_terms, semantic_queries=windows(text),
                                  boosts=self.feedback.boosts())

    def suggest(self, text: str, *, subject: str | None = None, channel: str | None = None, limit: int = 5,
                tags: Sequence[str] = (), language: str | None = None, min_score: float | None = None,
                token_id: int | None = None) -> SuggestResult:
        """Suggest articles for a raw ticket; abstain (still listing candidates) when none is a good match."""
        started = time.perf_counter()
        cleaned = clean_ticket(text, subject, channel)
        filters = Filters(tags=tuple(tags), languages=(language,) if language else ())
        response = self.rank(cleaned, limit=limit, filters=filters)
        suggestions = tuple(
            Suggestion(r.id, r.slug, r.title, r.url, r.section, r.snippet, r.score, confidence(response, i))
            for i, r in enumerate(response.results))
        if min_score is not None:
            suggestions = tuple(s for s in suggestions if s.confidence >= min_score)
        threshold = max(ABSTAIN_BELOW, min_score or 0.0)
        abstained = not suggestions or suggestions[0].confidence < threshold
        query_id = self.feedback.record_query(
            query_text=mask_personal_data("\n".join(p for p in (cleaned.subject, cleaned.text) if p)),
            shown=[s.id for s in suggestions], abstained=abstained,
            top_confidence=suggestions[0].confidence if suggestions else 0.0, channel=channel or "",
            token_id=token_id)
        took = round((time.perf_counter() - started) * 1000, 2)
        return SuggestResult(query_id, suggestions, abstained, took, cleaned)
