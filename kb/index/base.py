"""Types shared by the index backends: chunks in, hits out."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Chunk:
    """One searchable section of an article, as both engines index it."""

    chunk_id: str  # "<article_id>:<ordinal>", stable while the article's sections are
    article_id: int
    ordinal: int
    title: str
    heading_path: tuple[str, ...]  # headings from the top of the article down to this section
    anchor: str  # HTML id of the section heading; "" for the text before the first heading
    text: str  # plain text of the section (Markdown stripped)
    tags: tuple[str, ...] = ()
    language: str = "en"
    team: str = ""
    status: str = "published"

    @property
    def heading(self) -> str:
        """The nearest heading, or "" for the article's introduction."""
        return self.heading_path[-1] if self.heading_path else ""


@dataclass(frozen=True)
class Filters:
    """Restrictions every backend applies before ranking; empty means no restriction."""

    tags: tuple[str, ...] = ()  # a chunk must carry all of them
    teams: tuple[str, ...] = ()  # any of them
    languages: tuple[str, ...] = ()  # any of them
    statuses: tuple[str, ...] = ("published",)  # any of them

    def accepts(self, chunk: Chunk) -> bool:
        """True when the chunk passes every restriction."""
        return (
            all(t in chunk.tags for t in self.tags)
            and (not self.teams or chunk.team in self.teams)
            and (not self.languages or chunk.language in self.languages)
            and (not self.statuses or chunk.status in self.statuses)
        )


@dataclass(frozen=True)
class Hit:
    """A chunk a backend ranked for a query, best first; scores are backend-specific."""

    chunk_id: str
    article_id: int
    score: float
    matched_terms: tuple[str, ...] = field(default=())  # query words the keyword engine matched


def best_per_article(hits: Iterable[Hit]) -> tuple[dict[int, float], dict[int, str]]:
    """Best score and best chunk per article, from chunk hits: an article ranks by its best section."""
    scores: dict[int, float] = {}
    best: dict[int, str] = {}
    for hit in hits:
        if hit.article_id not in scores or hit.score > scores[hit.article_id]:
            scores[hit.article_id] = hit.score
            best[hit.article_id] = hit.chunk_id
    return scores, best


class IndexUnavailable(Exception):
    """An index folder or file is missing, corrupt or was built for another schema or model."""
