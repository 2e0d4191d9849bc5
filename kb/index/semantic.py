"""Dense-vector index of chunks: FAISS inner product over L2-normalised vectors.

FAISS types never leave this module and its helpers: callers pass numpy vectors and base.Chunk/Filters,
and get base.Hit back.  Each chunk gets an int64 id of ours; the per-id metadata used for filtering
lives in numpy columns indexed by that id (semantic_columns), so the allowed-id bitmap for a Filters
value is a few vectorised operations, cached per distinct Filters until the next upsert/delete, and
handed to FAISS as a selector (filtering happens inside the search, not on a short list afterwards).

Up to ``approx_threshold`` live chunks (default 100,000) the index is exact
(IndexIDMap2 over IndexFlatIP).  Above it, it becomes an IndexIVFFlat (semantic_ivf).
It goes back to exact below 80% of the threshold, and is retrained on save/load when the number
of chunks has doubled or halved since training.

In the exact index, replaced/deleted chunks are first tombstoned (excluded by the selector) and
physically removed in one pass once enough accumulate, or on save: FAISS's removal from a flat
index is O(n) per call, which a single-article upsert must not pay.

``save`` and ``load`` use two files, written atomically and checked against each other on load
(semantic_store).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import faiss
import numpy as np

from kb.index import semantic_ivf, semantic_store
from kb.index.base import Chunk, IndexUnavailable
from kb.index.faiss_threads import single_thread, threads_for
from kb.index.semantic_columns import ChunkColumns, FiltersKey
from kb.index.semantic_search import Allowed, SemanticSearch
from kb.index.semantic_store import APPROX, EXACT

DEFAULT_APPROX_THRESHOLD = 100_000
_BACK_TO_EXACT = 0.8  # go back to the exact index below this fraction of the threshold
_COMPACT_MIN = 1024  # tombstones tolerated before a physical removal pass...
_COMPACT_FRACTION = 0.10  # ...or this fraction of the live chunks, whichever is larger


def unit_rows(vectors: np.ndarray, dim: int, what: str) -> np.ndarray:
    """float32 (n, dim) copy with unit rows; rejects wrong shapes, NaN/inf and zero vectors."""
    arr = np.asarray(vectors, dtype=np.float32)
    if arr.size == 0:
        arr = arr.reshape(0, dim)
    if arr.ndim == 1:
        arr = arr.reshape(1, -1)
    if arr.ndim != 2 or arr.shape[1] != dim:
        raise ValueError(f"{what} must have shape (n, {dim}), got {np.shape(vectors)}")
    if not np.isfinite(arr).all():
        raise ValueError(f"{what} contain NaN or infinite values")
    norms = np.linalg.norm(arr, axis=1, keepdims=True)
    if arr.shape[0] and (norms == 0).any():
        raise ValueError(f"{what} contain a zero vector")
    return np.ascontiguousarray(arr / norms, dtype=np.float32) if arr.shape[0] else arr.copy()


class SemanticIndex(SemanticSearch):
    """Chunks' embedding vectors, searchable by inner product with in-index filtering."""

    def __init__(self, dim: int, *, approx_threshold: int = DEFAULT_APPROX_THRESHOLD) -> None:
        if not isinstance(dim, (int, np.integer)) or int(dim) < 1:
            raise ValueError(f"dim must be a positive integer, got {dim!r}")
        if int(approx_threshold) < 1:
            raise ValueError("approx_threshold must be positive")
        self._dim = int(dim)
        self._threshold = int(approx_threshold)
        self._lock = threading.RLock()
        self._index: Any = None
        self._kind = EXACT
        self._nprobe = 1
        self._trained_n = 0
        self._use_columns(ChunkColumns(capacity=1024))
        self._index = self._new_exact()

    # ------------------------------------------------------------------ construction

    @classmethod
    def create(cls, dim: int, *, approx_threshold: int = DEFAULT_APPROX_THRESHOLD) -> SemanticIndex:
        """An empty exact index for vectors of `dim` dimensions."""
        return cls(dim, approx_threshold=approx_threshold)

    def _use_columns(self, columns: ChunkColumns) -> None:
        # Tombstones and cached selectors name ids of the previous columns: they go with them.
        self._cols = columns
        self._tombstones: list[int] = []
        self._selectors: OrderedDict[FiltersKey, Allowed] = OrderedDict()

    def _new_exact(self) -> Any:
        return faiss.IndexIDMap2(faiss.IndexFlatIP(self._dim))

    # ------------------------------------------------------------------ properties

    @property
    def dim(self) -> int:
        return self._dim

    @property
    def kind(self) -> str:
        """'exact' or 'approximate'."""
        return self._kind

    @property
    def nprobe(self) -> int | None:
        """Lists probed per search by the approximate index (None when exact)."""
        return self._nprobe if self._kind == APPROX else None

    @property
    def approx_threshold(self) -> int:
        return self._threshold

    def count(self) -> int:
        """Number of live chunks."""
        return self._cols.live

    def __len__(self) -> int:
        return self._cols.live

    def has_article(self, article_id: int) -> bool:
        return int(article_id) in self._cols.by_article

    # ------------------------------------------------------------------ writes

    def upsert(self, chunks: Sequence[Chunk], vectors: np.ndarray, article_ids: Iterable[int]) -> None:
        """Replace every chunk of `article_ids` by `chunks` (whose articles must be among them)."""
        chunks = list(chunks)
        articles = {int(a) for a in article_ids}
        vecs = unit_rows(vectors, self._dim, "vectors")
        if vecs.shape[0] != len(chunks):
            raise ValueError(f"{len(chunks)} chunks but {vecs.shape[0]} vectors")
        seen: set[str] = set()
        for chunk in chunks:
            if int(chunk.article_id) not in articles:
                raise ValueError(
                    f"chunk {chunk.chunk_id!r} belongs to article {chunk.article_id}, which is not in article_ids"
                )
            if chunk.chunk_id in seen:
                raise ValueError(f"duplicate chunk_id {chunk.chunk_id!r}")
            seen.add(chunk.chunk_id)
        with self._lock:
            self._remove_articles(articles)
            if chunks:
                ids = self._cols.append(chunks)
                with threads_for(len(chunks)):
                    self._index.add_with_ids(vecs, ids)
            self._selectors.clear()
            self._after_write()

    def delete(self, article_ids: Iterable[int]) -> None:
        """Remove every chunk of these articles (unknown ids are ignored)."""
        articles = {int(a) for a in article_ids}
        with self._lock:
            if self._remove_articles(articles):
                self._selectors.clear()
                self._after_write()

    def _remove_articles(self, articles: set[int]) -> int:
        removed = self._cols.remove_articles(articles)
        if not removed:
            return 0
        if self._kind == APPROX:
            # Hashtable direct map: removal costs O(removed), not O(n).
            with single_thread():
                self._index.remove_ids(np.asarray(removed, dtype=np.int64))
        else:
            self._tombstones.extend(removed)
        return len(removed)

    def _after_write(self) -> None:
        if self._kind == EXACT and self._cols.live > self._threshold:
            self._rebuild(APPROX, retrain=True)
        elif self._kind == APPROX and self._cols.live < self._threshold * _BACK_TO_EXACT:
            self._rebuild(EXACT, retrain=False)
        elif len(self._tombstones) > max(_COMPACT_MIN, _COMPACT_FRACTION * self._cols.live):
            self._compact()

    def _compact(self) -> None:
        """Physically drop tombstoned vectors; renumber ids when the id space got sparse."""
        if self._cols.next_id > 2 * self._cols.live + 4 * _COMPACT_MIN:
            self._rebuild(self._kind, retrain=False)
        elif self._tombstones:
            self._index.remove_ids(np.asarray(self._tombstones, dtype=np.int64))
            self._tombstones.clear()
            self._selectors.clear()

    # ------------------------------------------------------------------ (re)building

    def _rebuild(self, kind: str, *, retrain: bool) -> None:
        """Rebuild the FAISS index from the live vectors, renumbering ids densely from 0.

        The new index is complete before any state changes, so a failure leaves the old one.
        """
        with threads_for(self._cols.live):
            self._rebuild_now(kind, retrain=retrain)

    def _rebuild_now(self, kind: str, *, retrain: bool) -> None:
        live = self._cols.live_ids()
        vectors = self._vectors(live)
        n = len(live)
        ids = np.arange(n, dtype=np.int64)
        nprobe, trained_n = self._nprobe, self._trained_n
        if kind == EXACT:
            index = self._new_exact()
            nprobe, trained_n = 1, 0
        elif not retrain and self._kind == APPROX and n:
            index = semantic_ivf.empty_copy(self._index, self._dim)
        else:
            index = semantic_ivf.train(vectors, self._dim)
        if n:
            index.add_with_ids(vectors, ids)
        if kind == APPROX and (retrain or self._kind != APPROX or not n):
            nprobe, trained_n = semantic_ivf.tune_nprobe(index, vectors, self._dim), n
        self._use_columns(self._cols.renumbered(live))
        self._index, self._kind = index, kind
        self._nprobe, self._trained_n = nprobe, trained_n

    def _maybe_retrain(self) -> None:
        if self._kind == EXACT and self._cols.live > self._threshold:
            self._rebuild(APPROX, retrain=True)
        elif self._kind == APPROX and self._cols.live < self._threshold * _BACK_TO_EXACT:
            self._rebuild(EXACT, retrain=False)
        elif self._kind == APPROX and not (self._trained_n / 2 <= self._cols.live <= self._trained_n * 2):
            self._rebuild(APPROX, retrain=True)

    # ------------------------------------------------------------------ persistence

    def save(self, folder: Path) -> None:
        """Write semantic.faiss and semantic.json into `folder`, atomically per file."""
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        with self._lock:
            self._maybe_retrain()
            if self._tombstones or self._cols.next_id > 2 * self._cols.live + 4 * _COMPACT_MIN:
                self._compact()
            self._selectors.clear()
            data = faiss.serialize_index(self._index)
            meta = semantic_store.metadata(
                data,
                dim=self._dim,
                kind=self._kind,
                nprobe=self._nprobe,
                trained_n=self._trained_n,
                count=self._cols.live,
                next_id=self._cols.next_id,
                records=self._cols.records(),
            )
        semantic_store.write(folder, data, meta)

    @classmethod
    def load(
        cls,
        folder: Path,
        *,
        expected_dim: int | None = None,
        approx_threshold: int = DEFAULT_APPROX_THRESHOLD,
    ) -> SemanticIndex:
        """Read an index saved by `save`; IndexUnavailable if missing, corrupt or of another dim."""
        folder = Path(folder)
        stored = semantic_store.read(folder, expected_dim)
        loaded = cls(stored.dim, approx_threshold=approx_threshold)
        try:
            loaded._adopt(stored.index, stored.kind, stored.meta, stored.records)
        except (ValueError, KeyError, TypeError) as exc:
            raise IndexUnavailable(f"semantic index in {folder} is inconsistent: {exc}") from exc
        with loaded._lock:
            loaded._maybe_retrain()
        return loaded

    def _adopt(self, index: Any, kind: str, meta: dict[str, Any], records: list[dict[str, Any]]) -> None:
        next_id = semantic_store.check_index(index, kind, self._dim, meta, records)
        self._use_columns(ChunkColumns.from_records(records, next_id))
        self._index = index
        self._kind = kind
        self._nprobe = max(1, int(meta.get("nprobe", 1)))
        self._trained_n = int(meta.get("trained_n", 0))
