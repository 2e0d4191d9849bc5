"""Dense-vector index of chunks: FAISS inner product over L2-normalised vectors.

FAISS types never leave this module: callers pass numpy vectors and base.Chunk/Filters, and get
base.Hit back.  Each chunk gets an int64 id of ours; the per-id metadata used for filtering lives
in numpy columns indexed by that id, so the allowed-id bitmap for a Filters value is a few
vectorised operations, cached per distinct Filters until the next upsert/delete, and handed to
FAISS as a selector (filtering happens inside the search, not on a short list afterwards).

Up to ``approx_threshold`` live chunks (default 100,000) the index is exact
(IndexIDMap2 over IndexFlatIP).  Above it, it becomes an IndexIVFFlat (nlist ~ 4*sqrt(n), trained
on the current vectors, hashtable direct map so removal and reconstruction stay cheap) whose
nprobe is chosen as the smallest reaching recall@10 >= 0.95 against exact search on a sample.
It goes back to exact below 80% of the threshold, and is retrained on save/load when the number
of chunks has doubled or halved since training.

In the exact index, replaced/deleted chunks are first tombstoned (excluded by the selector) and
physically removed in one pass once enough accumulate, or on save: FAISS's removal from a flat
index is O(n) per call, which a single-article upsert must not pay.

On disk (``save``), a folder holds ``semantic.faiss`` (faiss.write_index format) and
``semantic.json`` (dimension, index kind, nprobe, the sha256 of the .faiss file, and one record
per chunk: id, chunk_id, article_id, tags, team, language, status).  Both are written to temporary
files and moved into place with os.replace; ``load`` checks the hash so a torn save is reported as
IndexUnavailable instead of pairing vectors with the wrong chunks.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import math
import os
import threading
import uuid
from collections import OrderedDict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import faiss
import numpy as np

from kb.index.base import Chunk, Filters, Hit, IndexUnavailable

FORMAT = "kb-semantic-index"
FORMAT_VERSION = 1
INDEX_FILE = "semantic.faiss"
META_FILE = "semantic.json"

DEFAULT_APPROX_THRESHOLD = 100_000
TARGET_RECALL = 0.95
_BACK_TO_EXACT = 0.8  # go back to the exact index below this fraction of the threshold
_SELECTOR_CACHE_SIZE = 64
_COMPACT_MIN = 1024  # tombstones tolerated before a physical removal pass...
_COMPACT_FRACTION = 0.10  # ...or this fraction of the live chunks, whichever is larger
_SMALL_WORK = 20_000  # FAISS calls on fewer vectors run single-threaded (OpenMP costs more)
_EXACT = "exact"
_APPROX = "approximate"


@dataclass
class _Allowed:
    """The chunks one Filters value admits, ready to hand to FAISS."""

    count: int
    bitmap: np.ndarray | None  # packed little-endian bits over ids; None = every id in the index
    selector: Any  # faiss.IDSelector (kept referenced while params use it)
    params: Any  # faiss.SearchParameters / SearchParametersIVF


def _filters_key(filters: Filters) -> tuple[frozenset[str], ...]:
    return (
        frozenset(filters.tags),
        frozenset(filters.teams),
        frozenset(filters.languages),
        frozenset(filters.statuses),
    )


def _unit_rows(vectors: np.ndarray, dim: int, what: str) -> np.ndarray:
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


class SemanticIndex:
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
        self._kind = _EXACT
        self._nprobe = 1
        self._trained_n = 0
        self._reset_metadata(capacity=1024)
        self._index = self._new_exact()

    # ------------------------------------------------------------------ construction

    @classmethod
    def create(cls, dim: int, *, approx_threshold: int = DEFAULT_APPROX_THRESHOLD) -> SemanticIndex:
        """An empty exact index for vectors of `dim` dimensions."""
        return cls(dim, approx_threshold=approx_threshold)

    def _reset_metadata(self, capacity: int) -> None:
        self._next_id = 0
        self._live = 0
        self._alive = np.zeros(capacity, dtype=bool)
        self._article = np.full(capacity, -1, dtype=np.int64)
        self._status = np.full(capacity, -1, dtype=np.int32)
        self._team = np.full(capacity, -1, dtype=np.int32)
        self._language = np.full(capacity, -1, dtype=np.int32)
        self._chunk_ids: list[str | None] = []
        self._chunk_tags: list[tuple[str, ...]] = []
        self._vocab: dict[str, int] = {}
        self._vocab_list: list[str] = []
        self._tag_ids: dict[str, set[int]] = {}
        self._by_article: dict[int, list[int]] = {}
        self._tombstones: list[int] = []
        self._selectors: OrderedDict[tuple[frozenset[str], ...], _Allowed] = OrderedDict()

    def _new_exact(self) -> Any:
        return faiss.IndexIDMap2(faiss.IndexFlatIP(self._dim))

    def _code(self, value: str) -> int:
        code = self._vocab.get(value)
        if code is None:
            code = self._vocab[value] = len(self._vocab)
        return code

    def _grow(self, needed: int) -> None:
        capacity = len(self._alive)
        if needed <= capacity:
            return
        new_capacity = max(needed, capacity * 2)
        for name, fill in (("_alive", False), ("_article", -1), ("_status", -1), ("_team", -1), ("_language", -1)):
            old = getattr(self, name)
            new = np.full(new_capacity, fill, dtype=old.dtype)
            new[:capacity] = old
            setattr(self, name, new)

    def _append_metadata(self, chunks: Sequence[Chunk]) -> np.ndarray:
        start = self._next_id
        ids = np.arange(start, start + len(chunks), dtype=np.int64)
        self._grow(start + len(chunks))
        for offset, chunk in enumerate(chunks):
            cid = start + offset
            self._alive[cid] = True
            self._article[cid] = int(chunk.article_id)
            self._status[cid] = self._code(chunk.status)
            self._team[cid] = self._code(chunk.team)
            self._language[cid] = self._code(chunk.language)
            tags = tuple(dict.fromkeys(chunk.tags))
            self._chunk_ids.append(chunk.chunk_id)
            self._chunk_tags.append(tags)
            for tag in tags:
                self._tag_ids.setdefault(tag, set()).add(cid)
            self._by_article.setdefault(int(chunk.article_id), []).append(cid)
        self._next_id += len(chunks)
        self._live += len(chunks)
        return ids

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
        return self._nprobe if self._kind == _APPROX else None

    @property
    def approx_threshold(self) -> int:
        return self._threshold

    def count(self) -> int:
        """Number of live chunks."""
        return self._live

    def __len__(self) -> int:
        return self._live

    def has_article(self, article_id: int) -> bool:
        return int(article_id) in self._by_article

    # ------------------------------------------------------------------ writes

    def upsert(self, chunks: Sequence[Chunk], vectors: np.ndarray, article_ids: Iterable[int]) -> None:
        """Replace every chunk of `article_ids` by `chunks` (whose articles must be among them)."""
        chunks = list(chunks)
        articles = {int(a) for a in article_ids}
        vecs = _unit_rows(vectors, self._dim, "vectors")
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
                ids = self._append_metadata(chunks)
                with _threads_for(len(chunks)):
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
        removed: list[int] = []
        for article_id in articles:
            removed.extend(self._by_article.pop(article_id, ()))
        if not removed:
            return 0
        for cid in removed:
            self._alive[cid] = False
            for tag in self._chunk_tags[cid]:
                members = self._tag_ids.get(tag)
                if members is not None:
                    members.discard(cid)
                    if not members:
                        del self._tag_ids[tag]
        self._live -= len(removed)
        if self._kind == _APPROX:
            # Hashtable direct map: removal costs O(removed), not O(n).
            with _single_thread():
                self._index.remove_ids(np.asarray(removed, dtype=np.int64))
        else:
            self._tombstones.extend(removed)
        return len(removed)

    def _after_write(self) -> None:
        if self._kind == _EXACT and self._live > self._threshold:
            self._rebuild(_APPROX, retrain=True)
        elif self._kind == _APPROX and self._live < self._threshold * _BACK_TO_EXACT:
            self._rebuild(_EXACT, retrain=False)
        elif len(self._tombstones) > max(_COMPACT_MIN, _COMPACT_FRACTION * self._live):
            self._compact()

    def _compact(self) -> None:
        """Physically drop tombstoned vectors; renumber ids when the id space got sparse."""
        if self._next_id > 2 * self._live + 4 * _COMPACT_MIN:
            self._rebuild(self._kind, retrain=False)
        elif self._tombstones:
            self._index.remove_ids(np.asarray(self._tombstones, dtype=np.int64))
            self._tombstones.clear()
            self._selectors.clear()

    # ------------------------------------------------------------------ (re)building

    def _live_ids(self) -> np.ndarray:
        return np.flatnonzero(self._alive[: self._next_id]).astype(np.int64)

    def _vectors(self, ids: np.ndarray) -> np.ndarray:
        if len(ids) == 0:
            return np.zeros((0, self._dim), dtype=np.float32)
        return np.ascontiguousarray(self._index.reconstruct_batch(np.ascontiguousarray(ids, dtype=np.int64)))

    def _rebuild(self, kind: str, *, retrain: bool) -> None:
        """Rebuild the FAISS index from the live vectors, renumbering ids densely from 0.

        The new index is complete before any state changes, so a failure leaves the old one.
        """
        with _threads_for(self._live):
            self._rebuild_now(kind, retrain=retrain)

    def _rebuild_now(self, kind: str, *, retrain: bool) -> None:
        live = self._live_ids()
        vectors = self._vectors(live)
        n = len(live)
        ids = np.arange(n, dtype=np.int64)
        nprobe, trained_n = self._nprobe, self._trained_n
        if kind == _EXACT:
            index = self._new_exact()
            nprobe, trained_n = 1, 0
        elif not retrain and self._kind == _APPROX and n:
            old = self._index
            quantizer = faiss.clone_index(faiss.downcast_index(old.quantizer))
            index = faiss.IndexIVFFlat(quantizer, self._dim, old.nlist, faiss.METRIC_INNER_PRODUCT)
            index.is_trained = True
            index.set_direct_map_type(faiss.DirectMap.Hashtable)
        else:
            index = self._train_ivf(vectors)
        if n:
            index.add_with_ids(vectors, ids)
        if kind == _APPROX and (retrain or self._kind != _APPROX or not n):
            nprobe, trained_n = self._tune_nprobe(index, vectors), n

        chunk_ids = [self._chunk_ids[i] for i in live]
        tags = [self._chunk_tags[i] for i in live]
        article = self._article[live]
        status, team, language = self._status[live], self._team[live], self._language[live]
        vocab = self._vocab
        self._reset_metadata(capacity=max(1024, n))
        self._vocab = vocab
        self._next_id = self._live = n
        self._alive[:n] = True
        self._article[:n] = article
        self._status[:n], self._team[:n], self._language[:n] = status, team, language
        self._chunk_ids = chunk_ids
        self._chunk_tags = tags
        for cid in range(n):
            for tag in tags[cid]:
                self._tag_ids.setdefault(tag, set()).add(cid)
            self._by_article.setdefault(int(article[cid]), []).append(cid)
        self._index, self._kind = index, kind
        self._nprobe, self._trained_n = nprobe, trained_n

    def _train_ivf(self, vectors: np.ndarray) -> Any:
        n = len(vectors)
        nlist = max(1, min(int(4 * math.sqrt(max(n, 1))), n // 39))
        index = faiss.IndexIVFFlat(faiss.IndexFlatIP(self._dim), self._dim, nlist, faiss.METRIC_INNER_PRODUCT)
        index.cp.niter = 10
        index.cp.seed = 1234
        sample = vectors
        if n > 48 * nlist:  # faiss wants >= 39 points per centroid; more costs training time
            rng = np.random.default_rng(1234)
            sample = vectors[np.sort(rng.choice(n, size=48 * nlist, replace=False))]
        if n:
            index.train(sample)
        index.set_direct_map_type(faiss.DirectMap.Hashtable)
        return index

    def _tune_nprobe(self, index: Any, vectors: np.ndarray) -> int:
        """Smallest power-of-two nprobe with recall@10 >= TARGET_RECALL vs exact, on a sample."""
        n, nlist = len(vectors), int(index.nlist)
        if n == 0 or nlist <= 1:
            return 1
        rng = np.random.default_rng(4321)
        picks = rng.choice(n, size=min(200, n), replace=False)
        # Queries near, but not on, stored vectors (real queries are not copies of passages).
        noise = rng.standard_normal((len(picks), self._dim)).astype(np.float32) * (0.8 / math.sqrt(self._dim))
        queries = vectors[picks] + noise
        queries /= np.linalg.norm(queries, axis=1, keepdims=True)
        k = min(10, n)
        _, truth = faiss.knn(queries, vectors, k, metric=faiss.METRIC_INNER_PRODUCT)
        nprobe = 1
        while nprobe < nlist:
            _, found = index.search(queries, k, params=faiss.SearchParametersIVF(nprobe=nprobe))
            recall = np.mean([len(set(f) & set(t)) / k for f, t in zip(found.tolist(), truth.tolist(), strict=True)])
            if recall >= TARGET_RECALL:
                return nprobe
            nprobe *= 2
        return nlist

    def _maybe_retrain(self) -> None:
        if self._kind == _EXACT and self._live > self._threshold:
            self._rebuild(_APPROX, retrain=True)
        elif self._kind == _APPROX and self._live < self._threshold * _BACK_TO_EXACT:
            self._rebuild(_EXACT, retrain=False)
        elif self._kind == _APPROX and not (self._trained_n / 2 <= self._live <= self._trained_n * 2):
            self._rebuild(_APPROX, retrain=True)

    # ------------------------------------------------------------------ filtering

    def _allowed(self, filters: Filters) -> _Allowed:
        key = _filters_key(filters)
        cached = self._selectors.get(key)
        if cached is not None:
            self._selectors.move_to_end(key)
            return cached
        n = self._next_id
        mask = self._alive[:n].copy()
        for column, values in (
            (self._status, key[3]),
            (self._team, key[1]),
            (self._language, key[2]),
        ):
            if values:
                codes = [self._vocab[v] for v in values if v in self._vocab]
                mask &= np.isin(column[:n], codes) if codes else False
        for tag in key[0]:
            members = self._tag_ids.get(tag)
            if not members:
                mask[:] = False
                break
            has_tag = np.zeros(n, dtype=bool)
            has_tag[np.fromiter(members, dtype=np.int64, count=len(members))] = True
            mask &= has_tag
        count = int(mask.sum())
        if count == self._index.ntotal:  # everything stored is allowed: no bitmap needed
            bitmap = None
            selector = faiss.IDSelectorAll()
        else:
            bitmap = np.packbits(mask, bitorder="little")
            selector = faiss.IDSelectorBitmap(bitmap)
        allowed = _Allowed(count, bitmap, selector, self._params(selector, count))
        self._selectors[key] = allowed
        while len(self._selectors) > _SELECTOR_CACHE_SIZE:
            self._selectors.popitem(last=False)
        return allowed

    def _params(self, selector: Any, count: int) -> Any:
        if self._kind == _EXACT:
            # Even "allow all" goes through a selector: FAISS then scans single-threaded, which
            # is faster for one query than its multi-threaded path on this hardware.
            return faiss.SearchParameters(sel=selector)
        nlist = int(self._index.nlist)
        fraction = count / max(1, self._index.ntotal)
        # A restrictive filter leaves few candidates per list: probe proportionally more lists.
        nprobe = min(nlist, max(self._nprobe, math.ceil(self._nprobe / max(fraction, 1e-9))))
        return faiss.SearchParametersIVF(sel=selector, nprobe=nprobe)

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
        with _single_thread():
            scores, ids = self._index.search(q, k, params=params)
            if self._kind == _APPROX and (ids[0] < 0).any() and params.nprobe < self._index.nlist:
                # Fewer than k allowed vectors in the probed lists: look at all of them.
                full = faiss.SearchParametersIVF(sel=params.sel, nprobe=int(self._index.nlist))
                scores, ids = self._index.search(q, k, params=full)
        return scores[0], ids[0]

    def search(self, query_vector: np.ndarray, *, limit: int = 100, filters: Filters = Filters()) -> list[Hit]:
        """At most `limit` chunks passing `filters`, best first; score = inner product."""
        q = self._query(query_vector)
        if q is None or limit <= 0:
            return []
        with self._lock:
            if self._live == 0:
                return []
            allowed = self._allowed(filters)
            if allowed.count == 0:
                return []
            scores, ids = self._run(q, min(int(limit), allowed.count), allowed.params)
            return [
                Hit(chunk_id=self._chunk_ids[i], article_id=int(self._article[i]), score=float(s))  # type: ignore[arg-type]
                for s, i in zip(scores.tolist(), ids.tolist(), strict=True)
                if i >= 0
            ]

    def article_vector(self, article_id: int) -> np.ndarray | None:
        """Mean of the article's chunk vectors, normalised; None for an unknown article."""
        with self._lock:
            ids = self._by_article.get(int(article_id))
            if not ids:
                return None
            with _single_thread():
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
            own = self._by_article.get(int(article_id), [])
            allowed = self._allowed(filters)
            if allowed.bitmap is None:
                bitmap = np.packbits(self._alive[: self._next_id], bitorder="little")
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
                    art = int(self._article[i])
                    if art not in best:
                        best[art] = Hit(chunk_id=self._chunk_ids[i], article_id=art, score=float(s))  # type: ignore[arg-type]
                if len(best) >= limit or k >= available:
                    break
                k = min(available, k * 4)
            return list(best.values())[:limit]

    # ------------------------------------------------------------------ persistence

    def save(self, folder: Path) -> None:
        """Write semantic.faiss and semantic.json into `folder`, atomically per file."""
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        with self._lock:
            self._maybe_retrain()
            if self._tombstones or self._next_id > 2 * self._live + 4 * _COMPACT_MIN:
                self._compact()
            self._selectors.clear()
            data = faiss.serialize_index(self._index)
            records = [
                {
                    "id": int(cid),
                    "chunk_id": self._chunk_ids[cid],
                    "article_id": int(self._article[cid]),
                    "tags": list(self._chunk_tags[cid]),
                    "team": self._decode(self._team[cid]),
                    "language": self._decode(self._language[cid]),
                    "status": self._decode(self._status[cid]),
                }
                for cid in self._live_ids().tolist()
            ]
            meta = {
                "format": FORMAT,
                "version": FORMAT_VERSION,
                "dim": self._dim,
                "kind": self._kind,
                "nprobe": self._nprobe,
                "trained_n": self._trained_n,
                "count": self._live,
                "next_id": self._next_id,
                "index_file": INDEX_FILE,
                "index_bytes": int(data.nbytes),
                "index_sha256": hashlib.sha256(data).hexdigest(),
                "chunks": records,
            }
        meta_bytes = json.dumps(meta, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        _atomic_write(folder / INDEX_FILE, memoryview(data))
        _atomic_write(folder / META_FILE, meta_bytes)
        _fsync_dir(folder)

    def _decode(self, code: int) -> str:
        if len(self._vocab_list) != len(self._vocab):
            self._vocab_list = [""] * len(self._vocab)
            for value, c in self._vocab.items():
                self._vocab_list[c] = value
        return self._vocab_list[int(code)]

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
        meta_path, index_path = folder / META_FILE, folder / INDEX_FILE
        if not meta_path.is_file() or not index_path.is_file():
            raise IndexUnavailable(f"no semantic index in {folder} (missing {META_FILE} or {INDEX_FILE})")
        try:
            meta = json.loads(meta_path.read_bytes())
            if not isinstance(meta, dict) or meta.get("format") != FORMAT:
                raise ValueError("not a semantic index metadata file")
            if meta.get("version") != FORMAT_VERSION:
                raise ValueError(f"format version {meta.get('version')!r}, expected {FORMAT_VERSION}")
            dim = int(meta["dim"])
            kind = meta["kind"]
            records = meta["chunks"]
            if kind not in (_EXACT, _APPROX) or not isinstance(records, list):
                raise ValueError("bad kind or chunk list")
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise IndexUnavailable(f"semantic index metadata {meta_path} is unreadable: {exc}") from exc
        if expected_dim is not None and dim != int(expected_dim):
            raise IndexUnavailable(
                f"semantic index in {folder} has dimension {dim}, but the embedder produces {expected_dim}"
                " (built with another model?)"
            )
        try:
            data = index_path.read_bytes()
        except OSError as exc:
            raise IndexUnavailable(f"cannot read {index_path}: {exc}") from exc
        if len(data) != meta.get("index_bytes") or hashlib.sha256(data).hexdigest() != meta.get("index_sha256"):
            raise IndexUnavailable(
                f"{index_path} does not match {meta_path} (damaged file or interrupted save); rebuild the index"
            )
        try:
            index = faiss.deserialize_index(np.frombuffer(data, dtype=np.uint8))
        except Exception as exc:  # faiss raises RuntimeError for anything it cannot parse
            raise IndexUnavailable(f"{index_path} is not a readable FAISS index: {exc}") from exc
        del data

        loaded = cls(dim, approx_threshold=approx_threshold)
        try:
            loaded._adopt(index, kind, meta, records)
        except (ValueError, KeyError, TypeError) as exc:
            raise IndexUnavailable(f"semantic index in {folder} is inconsistent: {exc}") from exc
        with loaded._lock:
            loaded._maybe_retrain()
        return loaded

    def _adopt(self, index: Any, kind: str, meta: dict[str, Any], records: list[dict[str, Any]]) -> None:
        if index.d != self._dim or index.metric_type != faiss.METRIC_INNER_PRODUCT:
            raise ValueError("FAISS index dimension or metric does not match the metadata")
        if kind == _EXACT:
            if not isinstance(index, faiss.IndexIDMap2):
                raise ValueError(f"expected IndexIDMap2 for an exact index, found {type(index).__name__}")
            stored_ids = faiss.vector_to_array(index.id_map)
        else:
            if not isinstance(index, faiss.IndexIVFFlat):
                raise ValueError(f"expected IndexIVFFlat for an approximate index, found {type(index).__name__}")
            invlists = index.invlists
            parts = [
                faiss.rev_swig_ptr(invlists.get_ids(i), invlists.list_size(i)).copy()
                for i in range(index.nlist)
                if invlists.list_size(i)
            ]
            stored_ids = np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64)
            if index.direct_map.type != faiss.DirectMap.Hashtable:
                index.set_direct_map_type(faiss.DirectMap.Hashtable)
        ids = np.asarray([int(r["id"]) for r in records], dtype=np.int64)
        if len(ids) != index.ntotal or not np.array_equal(np.sort(ids), np.sort(stored_ids)):
            raise ValueError("chunk ids in the metadata differ from those in the FAISS index")
        if len(np.unique(ids)) != len(ids) or (len(ids) and ids.min() < 0):
            raise ValueError("duplicate or negative chunk ids")
        next_id = int(ids.max()) + 1 if len(ids) else 0
        next_id = max(next_id, int(meta.get("next_id", 0)))
        self._reset_metadata(capacity=max(1024, next_id))
        self._chunk_ids = [None] * next_id
        self._chunk_tags = [()] * next_id
        for record in records:
            cid = int(record["id"])
            article_id = int(record["article_id"])
            tags = tuple(str(t) for t in record.get("tags", ()))
            self._alive[cid] = True
            self._article[cid] = article_id
            self._status[cid] = self._code(str(record.get("status", "published")))
            self._team[cid] = self._code(str(record.get("team", "")))
            self._language[cid] = self._code(str(record.get("language", "en")))
            self._chunk_ids[cid] = str(record["chunk_id"])
            self._chunk_tags[cid] = tags
            for tag in tags:
                self._tag_ids.setdefault(tag, set()).add(cid)
            self._by_article.setdefault(article_id, []).append(cid)
        self._next_id = next_id
        self._live = len(records)
        self._index = index
        self._kind = kind
        self._nprobe = max(1, int(meta.get("nprobe", 1)))
        self._trained_n = int(meta.get("trained_n", 0))


def _threads_for(n: int) -> contextlib.AbstractContextManager[None]:
    """Single-threaded for small jobs, FAISS's default (all cores) for big ones."""
    return _single_thread() if n < _SMALL_WORK else contextlib.nullcontext()


@contextlib.contextmanager
def _single_thread() -> Iterator[None]:
    """Run FAISS single-threaded on this thread (OpenMP's thread count is a per-thread setting)."""
    previous = faiss.omp_get_max_threads()
    faiss.omp_set_num_threads(1)
    try:
        yield
    finally:
        faiss.omp_set_num_threads(previous)


def _atomic_write(path: Path, data: bytes | memoryview) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{uuid.uuid4().hex}.tmp")
    try:
        with open(tmp, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def _fsync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
