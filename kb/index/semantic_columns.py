"""Per-chunk metadata of the semantic index: numpy columns indexed by our int64 chunk id.

Filtering reads these columns, so the chunks one Filters value admits are a few vectorised
operations over arrays rather than a walk over chunk objects.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from kb.index.base import Chunk, Filters

FiltersKey = tuple[frozenset[str], ...]


def filters_key(filters: Filters) -> FiltersKey:
    """A hashable form of `filters`: (tags, teams, languages, statuses) as frozensets."""
    return (
        frozenset(filters.tags),
        frozenset(filters.teams),
        frozenset(filters.languages),
        frozenset(filters.statuses),
    )


class ChunkColumns:
    """Liveness, article, status, team, language and tags of every chunk id handed out so far."""

    def __init__(self, capacity: int = 1024) -> None:
        self.next_id = 0
        self.live = 0
        self.alive = np.zeros(capacity, dtype=bool)
        self.article = np.full(capacity, -1, dtype=np.int64)
        self.status = np.full(capacity, -1, dtype=np.int32)
        self.team = np.full(capacity, -1, dtype=np.int32)
        self.language = np.full(capacity, -1, dtype=np.int32)
        self.chunk_ids: list[str | None] = []
        self.chunk_tags: list[tuple[str, ...]] = []
        self.vocab: dict[str, int] = {}
        self._vocab_list: list[str] = []
        self.tag_ids: dict[str, set[int]] = {}
        self.by_article: dict[int, list[int]] = {}

    def code(self, value: str) -> int:
        """The integer standing for a status, team or language value, assigned on first use."""
        code = self.vocab.get(value)
        if code is None:
            code = self.vocab[value] = len(self.vocab)
        return code

    def decode(self, code: int) -> str:
        """The status, team or language value `code` stands for."""
        if len(self._vocab_list) != len(self.vocab):
            self._vocab_list = [""] * len(self.vocab)
            for value, c in self.vocab.items():
                self._vocab_list[c] = value
        return self._vocab_list[int(code)]

    def _grow(self, needed: int) -> None:
        capacity = len(self.alive)
        if needed <= capacity:
            return
        new_capacity = max(needed, capacity * 2)
        for name, fill in (("alive", False), ("article", -1), ("status", -1), ("team", -1), ("language", -1)):
            old = getattr(self, name)
            new = np.full(new_capacity, fill, dtype=old.dtype)
            new[:capacity] = old
            setattr(self, name, new)

    def append(self, chunks: Sequence[Chunk]) -> np.ndarray:
        """Record `chunks` under the next free ids, and return those ids."""
        start = self.next_id
        ids = np.arange(start, start + len(chunks), dtype=np.int64)
        self._grow(start + len(chunks))
        for offset, chunk in enumerate(chunks):
            cid = start + offset
            self.alive[cid] = True
            self.article[cid] = int(chunk.article_id)
            self.status[cid] = self.code(chunk.status)
            self.team[cid] = self.code(chunk.team)
            self.language[cid] = self.code(chunk.language)
            tags = tuple(dict.fromkeys(chunk.tags))
            self.chunk_ids.append(chunk.chunk_id)
            self.chunk_tags.append(tags)
            for tag in tags:
                self.tag_ids.setdefault(tag, set()).add(cid)
            self.by_article.setdefault(int(chunk.article_id), []).append(cid)
        self.next_id += len(chunks)
        self.live += len(chunks)
        return ids

    def remove_articles(self, articles: set[int]) -> list[int]:
        """Mark every chunk of these articles dead, and return their ids."""
        removed: list[int] = []
        for article_id in articles:
            removed.extend(self.by_article.pop(article_id, ()))
        if not removed:
            return removed
        for cid in removed:
            self.alive[cid] = False
            for tag in self.chunk_tags[cid]:
                members = self.tag_ids.get(tag)
                if members is not None:
                    members.discard(cid)
                    if not members:
                        del self.tag_ids[tag]
        self.live -= len(removed)
        return removed

    def live_ids(self) -> np.ndarray:
        """Ids of the live chunks, ascending."""
        return np.flatnonzero(self.alive[: self.next_id]).astype(np.int64)

    def mask(self, key: FiltersKey) -> np.ndarray:
        """Boolean mask over ids [0, next_id): the live chunks passing the filters `key` stands for."""
        n = self.next_id
        mask = self.alive[:n].copy()
        for column, values in (
            (self.status, key[3]),
            (self.team, key[1]),
            (self.language, key[2]),
        ):
            if values:
                codes = [self.vocab[v] for v in values if v in self.vocab]
                mask &= np.isin(column[:n], codes) if codes else False
        for tag in key[0]:
            members = self.tag_ids.get(tag)
            if not members:
                mask[:] = False
                break
            has_tag = np.zeros(n, dtype=bool)
            has_tag[np.fromiter(members, dtype=np.int64, count=len(members))] = True
            mask &= has_tag
        return mask

    def renumbered(self, live: np.ndarray) -> ChunkColumns:
        """The columns of the `live` ids only, renumbered densely from 0; the vocabulary is shared."""
        n = len(live)
        chunk_ids = [self.chunk_ids[i] for i in live]
        tags = [self.chunk_tags[i] for i in live]
        article = self.article[live]
        status, team, language = self.status[live], self.team[live], self.language[live]
        out = ChunkColumns(capacity=max(1024, n))
        out.vocab = self.vocab
        out.next_id = out.live = n
        out.alive[:n] = True
        out.article[:n] = article
        out.status[:n], out.team[:n], out.language[:n] = status, team, language
        out.chunk_ids = chunk_ids
        out.chunk_tags = tags
        for cid in range(n):
            for tag in tags[cid]:
                out.tag_ids.setdefault(tag, set()).add(cid)
            out.by_article.setdefault(int(article[cid]), []).append(cid)
        return out

    def records(self) -> list[dict[str, Any]]:
        """One JSON-ready record per live chunk: id, chunk_id, article_id, tags, team, language, status."""
        return [
            {
                "id": int(cid),
                "chunk_id": self.chunk_ids[cid],
                "article_id": int(self.article[cid]),
                "tags": list(self.chunk_tags[cid]),
                "team": self.decode(self.team[cid]),
                "language": self.decode(self.language[cid]),
                "status": self.decode(self.status[cid]),
            }
            for cid in self.live_ids().tolist()
        ]

    @classmethod
    def from_records(cls, records: list[dict[str, Any]], next_id: int) -> ChunkColumns:
        """Columns rebuilt from saved `records`, with ids below `next_id` taken."""
        out = cls(capacity=max(1024, next_id))
        out.chunk_ids = [None] * next_id
        out.chunk_tags = [()] * next_id
        for record in records:
            cid = int(record["id"])
            article_id = int(record["article_id"])
            tags = tuple(str(t) for t in record.get("tags", ()))
            out.alive[cid] = True
            out.article[cid] = article_id
            out.status[cid] = out.code(str(record.get("status", "published")))
            out.team[cid] = out.code(str(record.get("team", "")))
            out.language[cid] = out.code(str(record.get("language", "en")))
            out.chunk_ids[cid] = str(record["chunk_id"])
            out.chunk_tags[cid] = tags
            for tag in tags:
                out.tag_ids.setdefault(tag, set()).add(cid)
            out.by_article.setdefault(article_id, []).append(cid)
        out.next_id = next_id
        out.live = len(records)
        return out
