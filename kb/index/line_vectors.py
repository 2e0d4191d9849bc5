"""The sections' line vectors (kb/section_lines.py): per article, half precision, scored among candidates only.

Lines are never searched, only scored among the articles a search already ranked, so they need no FAISS index
and no per-line record: an article's lines are one float16 matrix. On disk a folder holds ``lines.npy`` (every
article's rows, one after another) and ``lines.json`` (dimension, the sha256 of the .npy file, and each
article's id and row count), each written atomically and checked against each other on load.
"""

from __future__ import annotations

import hashlib
import io
import json
import threading
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

import numpy as np

from kb.index.base import Chunk, IndexUnavailable
from kb.index.semantic import unit_rows
from kb.index.semantic_store import atomic_write, fsync_dir

FORMAT = "kb-line-vectors"
FORMAT_VERSION = 1
VECTORS_FILE = "lines.npy"
META_FILE = "lines.json"


class LineVectors:
    """Each article's line vectors, unit length, stored as float16 (half the memory; cosines within 1e-3)."""

    def __init__(self, dim: int) -> None:
        if int(dim) < 1:
            raise ValueError(f"dim must be positive, got {dim!r}")
        self._dim = int(dim)
        self._by_article: dict[int, np.ndarray] = {}
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return sum(self.counts().values())

    def counts(self) -> dict[int, int]:
        """Each article's number of lines."""
        return {a: len(rows) for a, rows in self._by_article.items()}

    @classmethod
    def embedded(cls, dim: int, lines: Iterable[Chunk], embed: Callable[[list[Chunk], int], np.ndarray],
                 batch: int = 4096) -> LineVectors:
        """Lines embedded by `embed(lines, how many were embedded before them)`, some thousands at a time, whole
        articles each: the float32 vectors of every line at once were the peak of a first build's memory."""
        by_article: dict[int, list[Chunk]] = {}
        for line in lines:
            by_article.setdefault(line.article_id, []).append(line)
        store, part, done = cls(dim), [], 0
        for article_lines in [*by_article.values(), []]:  # the empty last one sends the last part
            if part and (len(part) + len(article_lines) > batch or not article_lines):
                store.upsert(part, embed(part, done), {line.article_id for line in part})
                part, done = [], done + len(part)
            part.extend(article_lines)
        return store

    def upsert(self, chunks: Sequence[Chunk], vectors: np.ndarray, article_ids: Iterable[int]) -> None:
        """Replace every line of `article_ids` by `chunks` and their vectors (one row each, in order)."""
        unit = unit_rows(vectors, self._dim, "line vectors")
        if len(chunks) != len(unit):
            raise ValueError(f"{len(chunks)} lines, {len(unit)} vectors")
        rows: dict[int, list[int]] = {int(a): [] for a in article_ids}
        for n, chunk in enumerate(chunks):
            if chunk.article_id not in rows:
                raise ValueError(f"line {chunk.chunk_id} belongs to article {chunk.article_id}, not being replaced")
            rows[chunk.article_id].append(n)
        replaced = {a: unit[n].astype(np.float16) for a, n in rows.items() if n}
        with self._lock:  # readers take the dict as a whole; it is swapped, never changed in place
            kept = {a: v for a, v in self._by_article.items() if a not in rows}
            self._by_article = {**kept, **replaced}

    def best_per_article(self, query_vectors: np.ndarray, article_ids: Sequence[int]) -> dict[int, np.ndarray]:
        """For each of these articles that has lines, each query vector's best cosine among them; a zero query
        vector is left out, as SemanticIndex.best_per_article leaves it out, so their columns stay paired."""
        queries = np.atleast_2d(np.asarray(query_vectors, dtype=np.float32))
        norms = np.linalg.norm(queries, axis=1, keepdims=True)
        queries = queries[norms[:, 0] > 0] / norms[norms[:, 0] > 0]
        if not len(queries):
            return {}
        stored = self._by_article
        return {a: (stored[a].astype(np.float32) @ queries.T).max(axis=0)
                for a in dict.fromkeys(map(int, article_ids)) if a in stored}

    def save(self, folder: Path) -> None:
        """Write lines.npy and lines.json into `folder`, atomically per file."""
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        stored = self._by_article
        matrix = (np.vstack(list(stored.values())) if stored else np.zeros((0, self._dim), np.float16))
        buffer = io.BytesIO()
        np.save(buffer, matrix, allow_pickle=False)
        data = buffer.getbuffer()  # not a copy: the matrix is the size of every line
        meta = {"format": FORMAT, "version": FORMAT_VERSION, "dim": self._dim, "rows": len(matrix),
                "vectors_sha256": hashlib.sha256(data).hexdigest(),
                "articles": [[a, len(rows)] for a, rows in stored.items()]}
        atomic_write(folder / VECTORS_FILE, data)
        atomic_write(folder / META_FILE, json.dumps(meta, separators=(",", ":")).encode("utf-8"))
        fsync_dir(folder)

    @classmethod
    def load(cls, folder: Path, *, expected_dim: int | None = None) -> LineVectors:
        """Read what `save` wrote; IndexUnavailable if missing, damaged or of another dimension."""
        folder = Path(folder)
        try:
            meta = json.loads((folder / META_FILE).read_bytes())
            data = (folder / VECTORS_FILE).read_bytes()
            if meta.get("format") != FORMAT or meta.get("version") != FORMAT_VERSION:
                raise ValueError(f"not a version {FORMAT_VERSION} {FORMAT} file")
            if hashlib.sha256(data).hexdigest() != meta["vectors_sha256"]:
                raise ValueError(f"{VECTORS_FILE} does not match {META_FILE} (damaged or interrupted save)")
            matrix = np.load(io.BytesIO(data), allow_pickle=False)
            counts = [(int(a), int(n)) for a, n in meta["articles"]]
        except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
            raise IndexUnavailable(f"line vectors in {folder} are unreadable: {exc}") from exc
        dim = int(meta["dim"])
        if expected_dim is not None and dim != int(expected_dim):
            raise IndexUnavailable(f"line vectors in {folder} have dimension {dim}, the embedder {expected_dim}")
        if matrix.shape != (sum(n for _, n in counts), dim) or matrix.dtype != np.float16:
            raise IndexUnavailable(f"line vectors in {folder} do not match their article counts")
        loaded = cls(dim)
        ends = np.cumsum([n for _, n in counts], dtype=np.int64)
        loaded._by_article = {a: matrix[end - n:end] for (a, n), end in zip(counts, ends.tolist(), strict=True)}
        return loaded

