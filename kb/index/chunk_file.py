"""The chunk file of a build: every section and its article's facts, so results need no database read."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from pathlib import Path

from kb.index.base import Chunk, IndexUnavailable
from kb.index.layout import write_json_atomic
from kb.views import ArticleView


@dataclass(frozen=True)
class ArticleMeta:
    """What a search result shows about its article, kept beside the indexes."""

    id: int
    slug: str
    title: str
    language: str
    tags: tuple[str, ...]
    team: str
    status: str
    updated: str

    @classmethod
    def of(cls, article: ArticleView) -> ArticleMeta:
        """From a stored article."""
        return cls(article.id, article.slug, article.title, article.language, article.tags, article.team,
                   article.status, article.updated_at.date().isoformat())


def write_chunks(path: Path, chunks: Iterable[Chunk], articles: Iterable[ArticleMeta]) -> None:
    """Write the sections and their articles' facts, one JSON record a line, atomically."""
    lines = [json.dumps({"article": asdict(a)}, ensure_ascii=False) for a in articles]
    lines += [json.dumps({"chunk": asdict(c)}, ensure_ascii=False) for c in chunks]
    write_json_atomic(path, "\n".join(lines) + "\n")


def read_chunks(path: Path) -> tuple[dict[str, Chunk], dict[int, ArticleMeta]]:
    """The sections by chunk id and the articles' facts by id; IndexUnavailable when unreadable."""
    chunks: dict[str, Chunk] = {}
    articles: dict[int, ArticleMeta] = {}
    try:
        # JSON escapes "\n" inside strings; splitlines() would also split at U+2028 or U+0085 in a title.
        for line in filter(None, path.read_text(encoding="utf-8").split("\n")):
            record = json.loads(line)
            if "chunk" in record:
                c = record["chunk"]
                chunk = Chunk(**{**c, "heading_path": tuple(c["heading_path"]), "tags": tuple(c["tags"])})
                chunks[chunk.chunk_id] = chunk
            else:
                a = record["article"]
                articles[a["id"]] = ArticleMeta(**{**a, "tags": tuple(a["tags"])})
    except (OSError, ValueError, TypeError, KeyError) as exc:
        raise IndexUnavailable(f"chunk file {path} unreadable: {exc}") from exc
    return chunks, articles
