"""Ticket text in, article suggestions out: clean the ticket, search, calibrate confidence, abstain honestly."""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import dataclass

from kb.errors import ValidationFailed
from kb.feedback import FeedbackStore
from kb.index.base import Filters
from kb.pasted_message import ticket_query
from kb.search import SearchEngine
from kb.search_results import SearchResponse
from kb.ticket_cleaning import CleanedTicket, clean_ticket, mask_personal_data
from kb.translation import Translation

# Logistic calibration of P(this suggestion is right) from its evidence (see features());
# fitted on the dev tickets by benchmarks/calibrate_confidence.py.
# Negatives (other sets' questions against the corpus) teach it when to abstain. Cosines differ per model,
# so each model has its own fit; other models use the most conservative one.
CALIBRATION: dict[str, tuple[float, tuple[float, float, float]]] = {
    "multilingual-e5-small": (-24.426, (20.09, 6.726, 51.622)),
}
DEFAULT_CALIBRATION = CALIBRATION["multilingual-e5-small"]
ABSTAIN_BELOW = 0.5
# A ticket of nothing but an error code, and an article that holds that exact code: the calibration, fitted on
# prose, reads a bare code's weak cosine as doubt. One such article is the answer; several share the code.
CODE_CONFIDENCE = (0.9, 0.6)


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
    translation: Translation | None = None  # how a ticket in another language was also searched in English


def features(response: SearchResponse, rank: int) -> list[float]:
    """Evidence behind the article at `rank`: its cosine, its share of the best keyword score, its lead."""
    ranking = response.article_ranking
    keyword, semantic = response.evidence.get(ranking[rank], (0.0, 0.0))
    top_keyword = max((k for k, _ in response.evidence.values()), default=0.0) or 1.0
    following = response.evidence.get(ranking[rank + 1], (0.0, 0.0))[1] if rank + 1 < len(ranking) else 0.0
    return [semantic, keyword / top_keyword, semantic - following]


def confidence(response: SearchResponse, rank: int, model: str = "") -> float:
    """Calibrated probability that the article at `rank` answers the ticket (0..1)."""
    if rank >= len(response.article_ranking):
        return 0.0
    bias, weights = CALIBRATION.get(model, DEFAULT_CALIBRATION)
    z = bias + sum(w * f for w, f in zip(weights, features(response, rank), strict=True))
    # A calibrated probability is never certainty: keep it strictly inside (0, 1).
    calibrated = min(0.999, max(0.001, round(1.0 / (1.0 + math.exp(-max(-50.0, min(50.0, z)))), 3)))
    if response.article_ranking[rank] in response.code_holders:
        return max(calibrated, CODE_CONFIDENCE[len(response.code_holders) > 1])
    return calibrated


class Suggester:
    """Cleans tickets and asks the search engine, through the same code path as search."""

    def __init__(self, engine: SearchEngine, feedback: FeedbackStore) -> None:
        self.engine = engine
        self.feedback = feedback

    def rank(self, cleaned: CleanedTicket, *, limit: int = 100, filters: Filters = Filters(),
             language: str | None = None) -> SearchResponse:
        """The search behind a suggestion: whole ticket for keywords, windows for meaning, identifiers exact."""
        query = ticket_query(cleaned)
        return self.engine.search(query.text, mode="hybrid", limit=limit, filters=filters, language=language,
                                  exact_terms=query.exact_terms, semantic_queries=query.semantic_queries,
                                  boosts=self.feedback.boosts())

    def suggest(self, text: str, *, subject: str | None = None, channel: str | None = None, limit: int = 5,
                tags: Sequence[str] = (), languages: Sequence[str] = (), min_score: float | None = None,
                token_id: int | None = None) -> SuggestResult:
        """Suggest articles for a raw ticket; abstain (still listing candidates) when none is a good match."""
        started = time.perf_counter()
        cleaned = clean_ticket(text, subject, channel)
        if not cleaned.question.strip():  # only a signature, quoted history or empty markup
            raise ValidationFailed("nothing is left to search once quotes, signatures and markup are removed",
                                   field="text")
        if cleaned.pleasantries_only and not cleaned.subject:  # "Hi,\n\nKind regards, Anna": nothing is asked
            raise ValidationFailed("nothing is left to search: the ticket holds only a greeting, a sign-off or "
                                   "polite filler", field="text")
        filters = Filters(tags=tuple(tags), languages=tuple(languages))
        response = self.rank(cleaned, limit=limit, filters=filters)
        model = self.engine.indexes.embedder.name
        rank = {article_id: i for i, article_id in enumerate(response.article_ranking)}
        suggestions = tuple(
            Suggestion(r.id, r.slug, r.title, r.url, r.section, r.snippet, r.score,
                       confidence(response, rank[r.id], model))
            for r in response.results)
        if min_score is not None:
            suggestions = tuple(s for s in suggestions if s.confidence >= min_score)
        # The best confidence anywhere in the list, not the first one's: a confident second is still an answer.
        top_confidence = max((s.confidence for s in suggestions), default=0.0)
        abstained = top_confidence < max(ABSTAIN_BELOW, min_score or 0.0)
        query_id = self.feedback.record_query(
            query_text=mask_personal_data(cleaned.question),
            shown=[s.id for s in suggestions], abstained=abstained, top_confidence=top_confidence,
            channel=channel or "", token_id=token_id)
        took = round((time.perf_counter() - started) * 1000, 2)
        return SuggestResult(query_id, suggestions, abstained, took, cleaned, response.translation)
