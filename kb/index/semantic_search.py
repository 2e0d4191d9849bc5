"""The read side of the semantic index: filtered nearest-neighbour search and related articles.

A Filters value becomes a FAISS selector over the chunk columns, cached per distinct Filters until
the next write, so filtering happens inside the search rather than on a short list afterwards.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import faiss
import numpy as np

from kb.index import semantic_ivf
from kb.index.base import Filters, Hit
from kb.index.faiss_threads import single_thread
from kb.index.semantic_columns import ChunkColumns, FiltersKey, filters_key
from kb.index.semantic_store import APPROX, EXACT

_SELECTOR_CACHE_SIZE = 64


@dataclass
class Allowed:
    """The chunks one Filters value admits, ready to hand to FAISS."""

    count: int
    bitmap: np.ndarray | None  # packed little-endian bits over ids; None = every id in the index
    selector: Any  # faiss.IDSelector (kept referenced while params use it)
    params: Any  # faiss.SearchParameters / SearchParametersIVF


class SemanticSearch:
    """The search methods of SemanticIndex, which owns the state below and guards it with `_lock`."""

    _dim: int
    _lock: Any
    _index: Any  # faiss.IndexIDMap2 (exact) or faiss.IndexIVFFlat (approximate)
    _kind: str
    _nprobe: int
    _cols: ChunkColumns
    _selectors: OrderedDict[FiltersKey, Allowed]

    def _vectors(self, ids: np.ndarray) -> np.ndarray:
        if len(ids) == 0:
            return np.zeros((0, self._dim), dtype=np.float32)
        return np.ascontiguousarray(self._index.reconstruct_batch(np.ascontiguousarray(ids, dtype=np.int64)))

    # ------------------------------------------------------------------ filtering

    def _allowed(self, filters: Filters) -> Allowed:
        key = filters_key(filters)
        cached = self._selectors.get(key)
        if cached is not None:
            self._selectors.move_to_end(key)
            return cached
        mask = self._cols.mask(key)
        count = int(mask.sum())
        if count == self._index.ntotal:  # everything stored is allowed: no bitmap needed
            bitmap = None
            selector = faiss.IDSelectorAll()
        else:
            bitmap = np.packbits(mask, bitorder="little")
            selector = faiss.IDSelectorBitmap(bitmap)
        allowed = Allowed(count, bitmap, selector, self._params(selector, count))
        self._selectors[key] = allowed
        while len(self._selectors) > _SELECTOR_CACHE_SIZE:
            self._selectors.popitem(last=False)
        return allowed

    def _params(self, selector: Any, count: int) -> Any:
        if self._kind == EXACT:
            # Even "allow all" goes through a selector: FAISS then scans single-threaded, which
            # is faster for one query than its multi-threaded path on this hardware.
            return faiss.SearchParameters(sel=selector)
        return semantic_ivf.search_params(self._index, selector, count, self._nprobe)
    # ------------------------------------------------------------------ reads

    def _query(self, query_vector: np.ndarray) -> np.ndarray | None:
        q = np.asarray(query_vector, dtype=np.float32).reshape(-1)
        if q.shape[0] != self._dim:
            raise ValueError(f"query vector must have {self._dim} dimensions, got {q.shape[0]}")
        if not np.isfinite(q).all():
            raise ValueError("query vector contains NaN or infinite values")
        norm = float(np.linalg.norm(q))
        if norm == 0.0:
            return None
        return (q / norm).reshape(1, -1)

    def _run(self, q: np.ndarray, k: int, params: Any) -> tuple[np.ndarray, np.ndarray]:
        # One query: an OpenMP team costs more than it saves (and much more on a busy machine).
        with single_thread():
            if self._kind == APPROX:
                scores, ids = semantic_ivf.search(self._index, q, k, params)
            else:
                scores, ids = self._index.search(q, k, params=params)
        return scores[0], ids[0]

    def search(self, query_vector: np.ndarray, *, limit: int = 100, filters: Filters = Filters()) -> list[Hit]:
        """At most `limit` chunks passing `filters`, best first; score = inner product."""
        q = self._query(query_vector)
        if q is None or limit <= 0:
            return []
        with self._lock:
            if self._cols.live == 0:
                return []
            allowed = self._allowed(filters)
            if allowed.count == 0:
                return []
            scores, ids = self._run(q, min(int(limit), allowed.count), allowed.params)
            return [
                Hit(chunk_id=self._cols.chunk_ids[i], article_id=int(self._cols.article[i]), score=float(s))  # type: ignore[arg-type]
                for s, i in zip(scores.tolist(), ids.tolist(), strict=True)
                if i >= 0
            ]

    def _scored_rows(self, article_ids: Sequence[int], q: np.ndarray) -> tuple[list[int], np.ndarray]:
        """The rows of these articles' sections (each article once) and their scores, (rows, query vectors)."""
        rows = [row for a in dict.fromkeys(article_ids) for row in self._cols.by_article.get(int(a), ())]
        if not rows:
            return rows, np.zeros((0, len(q)), dtype=np.float32)
        with single_thread():
            return rows, self._vectors(np.asarray(rows, dtype=np.int64)) @ q.T

    def score_articles(self, query_vector: np.ndarray, article_ids: Sequence[int], limit: int = 100) -> list[Hit]:
        """The sections of these articles scored exactly against the query, best `limit` first: re-scoring
        candidates already found costs some thousand dot products, where a search scans every section."""
        q = self._query(query_vector)
        if q is None or limit <= 0:
            return []
        with self._lock:
            rows, scored = self._scored_rows(article_ids, q)
            scores = scored[:, 0]
            best = np.argsort(-scores, kind="stable")[:limit].tolist()
            return [Hit(chunk_id=self._cols.chunk_ids[rows[i]], article_id=int(self._cols.article[rows[i]]),  # type: ignore[arg-type]
                        score=float(scores[i])) for i in best]

    def best_per_article(self, query_vectors: np.ndarray, article_ids: Sequence[int]) -> dict[int, np.ndarray]:
        """For each of these articles that has sections here, each query vector's best cosine among them."""
        unit = [q for q in map(self._query, query_vectors) if q is not None]
        if not unit:
            return {}
        best: dict[int, np.ndarray] = {}
        with self._lock:
            rows, scores = self._scored_rows(article_ids, np.vstack(unit))
            articles = self._cols.article[rows].tolist() if rows else []
        for article, row_scores in zip(articles, scores, strict=True):
            best[article] = np.maximum(best[article], row_scores) if article in best else row_scores
        return best

    def article_vector(self, article_id: int) -> np.ndarray | None:
        """Mean of the article's chunk vectors, normalised; None for an unknown article."""
        with self._lock:
            ids = self._cols.by_article.get(int(article_id))
            if not ids:
                return None
            with single_thread():
                mean = self._vectors(np.asarray(ids, dtype=np.int64)).mean(axis=0)
        norm = float(np.linalg.norm(mean))
        if norm == 0.0:
            return None
        return (mean / norm).astype(np.float32)

    def related(self, article_id: int, *, limit: int = 5, filters: Filters = Filters()) -> list[Hit]:
        """Best chunk of each of the `limit` nearest other articles to this article's mean vector."""
        vector = self.article_vector(article_id)
        if vector is None or limit <= 0:
            return []
        q = vector.reshape(1, -1)
        with self._lock:
            own = self._cols.by_article.get(int(article_id), [])
            allowed = self._allowed(filters)
            if allowed.bitmap is None:
                bitmap = np.packbits(self._cols.alive[: self._cols.next_id], bitorder="little")
            else:
                bitmap = allowed.bitmap.copy()
            for cid in own:
                bitmap[cid >> 3] &= np.uint8(0xFF ^ (1 << (cid & 7)))
            available = allowed.count - int(
                sum(1 for cid in own if allowed.bitmap is None or (allowed.bitmap[cid >> 3] >> (cid & 7)) & 1)
            )
            if available <= 0:
                return []
            selector = faiss.IDSelectorBitmap(bitmap)
            params = self._params(selector, available)
            k = min(available, max(8 * limit, 50))
            while True:
                scores, ids = self._run(q, k, params)
                best: dict[int, Hit] = {}
                for s, i in zip(scores.tolist(), ids.tolist(), strict=True):
                    if i < 0:
                        continue
                    art = int(self._cols.article[i])
                    if art not in best:
                        best[art] = Hit(chunk_id=self._cols.chunk_ids[i], article_id=art, score=float(s))  # type: ignore[arg-type]
                if len(best) >= limit or k >= available:
                    break
                k = min(available, k * 4)
            return list(best.values())[:limit]
