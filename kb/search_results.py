"""What a search returns: the articles found, each pointing at its best section, and how the search went."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from kb.translation import Translation


@dataclass(frozen=True)
class SearchResult:
    """One article found, pointing at its best section."""

    id: int
    slug: str
    title: str
    url: str
    section: str
    anchor: str
    snippet: str
    score: float
    language: str
    tags: tuple[str, ...]
    updated: str

    def to_dict(self) -> dict[str, object]:
        """JSON-ready representation."""
        return {"id": self.id, "slug": self.slug, "title": self.title, "url": self.url,
                "section": self.section, "anchor": self.anchor, "snippet": self.snippet,
                "score": round(self.score, 6), "language": self.language, "tags": list(self.tags),
                "updated": self.updated}


@dataclass(frozen=True)
class SearchResponse:
    """Results of one search."""

    results: tuple[SearchResult, ...]
    total: int
    took_ms: float
    mode: str
    article_ranking: tuple[int, ...] = field(default=(), repr=False)  # every ranked article id, for eval
    # Per article: (keyword score, semantic cosine), each the better of the query's and its translation's.
    evidence: Mapping[int, tuple[float, float]] = field(default_factory=dict, repr=False)
    translation: Translation | None = None  # how a question in another language was also searched in English
    # For a query of identifiers only: the articles whose section holds every one of them exactly.
    code_holders: frozenset[int] = frozenset()
    cleaned_query: str | None = None  # what was searched of a pasted message (kb/pasted_message.py)
