"""CachedEmbedder: passages cached by content hash in a shared SQLite file, queries in an in-process LRU."""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import logging
import os
import sqlite3
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from kb.embedding_base import BATCH_SIZE, Embedder, as_list

# The logger these messages have always used, so existing logging configuration still applies.
log = logging.getLogger("kb.embeddings")


def _batches(items: list[str], size: int = BATCH_SIZE) -> Iterator[list[str]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


@dataclass
class CacheStats:
    hits: int = 0  # passages found in the cache file
    misses: int = 0  # passages embedded (distinct texts)
    query_hits: int = 0  # queries found in the in-process LRU
    query_misses: int = 0

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


_SCHEMA = """
CREATE TABLE IF NOT EXISTS embeddings (
    model TEXT NOT NULL,
    key TEXT NOT NULL,            -- sha256 hex of the exact text, UTF-8
    dim INTEGER NOT NULL,
    vector BLOB NOT NULL,         -- little-endian float32 * dim
    PRIMARY KEY (model, key)
) WITHOUT ROWID
"""


def _is_corruption(exc: BaseException) -> bool:
    """sqlite3 raises plain DatabaseError for a damaged file, OperationalError for locks/IO."""
    return isinstance(exc, sqlite3.DatabaseError) and not isinstance(exc, sqlite3.OperationalError)


class CachedEmbedder:
    """Wraps an embedder; passages persist in an SQLite file, queries in a small in-process LRU.

    Rows are keyed by (model name, sha256 of the exact text).  Several processes may share the
    file (WAL journal, busy timeout).  A damaged file is moved aside and recreated.  If the file
    cannot be used at all (e.g. locked for longer than the timeout), texts are embedded uncached
    rather than failing.
    """

    def __init__(
        self,
        inner: Embedder,
        cache_path: Path,
        *,
        query_cache_size: int = 1024,
        batch_size: int = BATCH_SIZE,
        timeout: float = 30.0,
    ) -> None:
        self.inner = inner
        self.name = inner.name
        self.dim = int(inner.dim)
        self.cache_path = Path(cache_path)
        self.stats = CacheStats()
        self._batch_size = max(1, int(batch_size))
        self._timeout = float(timeout)
        self._query_cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self._query_cache_size = max(0, int(query_cache_size))
        self._lock = threading.RLock()
        self._conn: sqlite3.Connection | None = None
        self.cache_path.parent.mkdir(parents=True, exist_ok=True)
        self._connect()

    # -- connection management

    def _open(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self.cache_path, timeout=self._timeout, isolation_level=None, check_same_thread=False)
        try:
            conn.execute(f"PRAGMA busy_timeout = {int(self._timeout * 1000)}")
            conn.execute("PRAGMA journal_mode = WAL")
            conn.execute("PRAGMA synchronous = NORMAL")
            conn.execute(_SCHEMA)
            conn.execute("SELECT count(*) FROM (SELECT 1 FROM embeddings LIMIT 1)").fetchone()
        except BaseException:
            conn.close()
            raise
        return conn

    @contextlib.contextmanager
    def _file_lock(self) -> Iterator[None]:
        """Serialise recreation of a damaged file between processes."""
        lock_path = self.cache_path.with_name(self.cache_path.name + ".lock")
        with open(lock_path, "a+b") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def _connect(self) -> None:
        try:
            self._conn = self._open()
            return
        except sqlite3.DatabaseError as exc:
            if not _is_corruption(exc):
                raise
            first_error = exc
        self._recreate(first_error)

    def _recreate(self, reason: BaseException) -> None:
        if self._conn is not None:
            with contextlib.suppress(Exception):
                self._conn.close()
            self._conn = None
        with self._file_lock():
            try:  # another process may have recreated it meanwhile: check the whole file
                self._conn = self._open()
                if self._conn.execute("PRAGMA quick_check").fetchall() == [("ok",)]:
                    return
                raise sqlite3.DatabaseError("quick_check failed")
            except sqlite3.DatabaseError as exc:
                if self._conn is not None:
                    with contextlib.suppress(Exception):
                        self._conn.close()
                    self._conn = None
                if not _is_corruption(exc):
                    raise
            aside = self.cache_path.with_name(f"{self.cache_path.name}.corrupt-{int(time.time())}")
            log.warning("embedding cache %s is damaged (%s); moving it to %s", self.cache_path, reason, aside)
            with contextlib.suppress(FileNotFoundError):
                os.replace(self.cache_path, aside)
            for suffix in ("-wal", "-shm", "-journal"):
                with contextlib.suppress(FileNotFoundError):
                    os.remove(f"{self.cache_path}{suffix}")
            self._conn = self._open()

    def forget_queries(self) -> None:
        """Drop the in-process query vectors (measurements must not reuse another run's encodings)."""
        with self._lock:
            self._query_cache.clear()

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None

    def __enter__(self) -> CachedEmbedder:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _with_db(self, op: Callable[[sqlite3.Connection], Any], default: Any) -> Any:
        """Run op; recreate the file once if it is damaged; degrade to `default` on lock/IO errors."""
        for attempt in range(2):
            if self._conn is None:
                try:
                    self._connect()
                except sqlite3.Error as exc:
                    log.warning("embedding cache %s unavailable: %s", self.cache_path, exc)
                    return default
            assert self._conn is not None
            try:
                return op(self._conn)
            except sqlite3.DatabaseError as exc:
                if _is_corruption(exc) and attempt == 0:
                    self._recreate(exc)
                    continue
                log.warning("embedding cache %s unavailable: %s", self.cache_path, exc)
                return default
        return default

    def _check(self, vectors: np.ndarray, n: int) -> np.ndarray:
        out = np.asarray(vectors, dtype=np.float32)
        if out.shape != (n, self.dim):
            raise ValueError(f"{self.name} returned shape {out.shape}, expected {(n, self.dim)}")
        return out

    # -- passages

    def _lookup(self, keys: list[str]) -> dict[str, np.ndarray]:
        def op(conn: sqlite3.Connection) -> dict[str, np.ndarray]:
            rows = conn.execute(
                "SELECT key, dim, vector FROM embeddings WHERE model = ? AND key IN (SELECT value FROM json_each(?))",
                (self.name, json.dumps(keys)),
            ).fetchall()
            found = {}
            for key, dim, blob in rows:
                if dim == self.dim and len(blob) == 4 * self.dim:
                    found[key] = np.frombuffer(blob, dtype="<f4")
            return found

        return self._with_db(op, {})

    def _store(self, keys: list[str], vectors: np.ndarray) -> None:
        rows = [(self.name, key, self.dim, vectors[i].astype("<f4").tobytes()) for i, key in enumerate(keys)]

        def op(conn: sqlite3.Connection) -> None:
            conn.execute("BEGIN IMMEDIATE")
            try:
                conn.executemany(
                    "INSERT OR REPLACE INTO embeddings (model, key, dim, vector) VALUES (?, ?, ?, ?)", rows
                )
                conn.execute("COMMIT")
            except BaseException:
                with contextlib.suppress(sqlite3.Error):
                    conn.execute("ROLLBACK")
                raise

        self._with_db(op, None)

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        items = as_list(texts)
        out = np.empty((len(items), self.dim), dtype=np.float32)
        if not items:
            return out
        keys = [hashlib.sha256(t.encode("utf-8", "surrogatepass")).hexdigest() for t in items]
        with self._lock:
            found = self._lookup(sorted(set(keys)))
            missing: dict[str, str] = {}  # key -> text, distinct, in first-seen order
            for key, text in zip(keys, items, strict=True):
                if key not in found and key not in missing:
                    missing[key] = text
            self.stats.hits += len(set(keys)) - len(missing)
            self.stats.misses += len(missing)
            miss_keys = list(missing)
            for start in range(0, len(miss_keys), self._batch_size):
                batch_keys = miss_keys[start : start + self._batch_size]
                vectors = self._check(self.inner.embed_passages([missing[k] for k in batch_keys]), len(batch_keys))
                self._store(batch_keys, vectors)  # per batch, so an interrupted run keeps its work
                for i, key in enumerate(batch_keys):
                    found[key] = vectors[i]
        for row, key in enumerate(keys):
            out[row] = found[key]
        return out

    # -- queries

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        items = as_list(texts)
        out = np.empty((len(items), self.dim), dtype=np.float32)
        if not items:
            return out
        with self._lock:
            missing: list[str] = []
            for text in items:
                if text in self._query_cache:
                    self._query_cache.move_to_end(text)
                elif text not in missing:
                    missing.append(text)
            self.stats.query_hits += len(items) - len(missing)
            self.stats.query_misses += len(missing)
            fresh: dict[str, np.ndarray] = {}
            for batch in _batches(missing, self._batch_size):
                vectors = self._check(self.inner.embed_queries(batch), len(batch))
                for text, vector in zip(batch, vectors, strict=True):
                    fresh[text] = vector
            for row, text in enumerate(items):
                out[row] = fresh[text] if text in fresh else self._query_cache[text]
            if self._query_cache_size:
                for text, vector in fresh.items():
                    vector = vector.copy()
                    vector.flags.writeable = False
                    self._query_cache[text] = vector
                    self._query_cache.move_to_end(text)
                while len(self._query_cache) > self._query_cache_size:
                    self._query_cache.popitem(last=False)
        return out

    def __repr__(self) -> str:
        return f"CachedEmbedder({self.inner!r}, {str(self.cache_path)!r})"
