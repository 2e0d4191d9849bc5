"""The semantic index on disk: two files, each written atomically, checked against each other on load.

A folder holds ``semantic.faiss`` (faiss.write_index format) and ``semantic.json`` (dimension,
index kind, nprobe, the sha256 of the .faiss file, and one record per chunk: id, chunk_id,
article_id, tags, team, language, status).  Both are written to temporary files and moved into
place with os.replace; ``read`` checks the hash so a torn save is reported as IndexUnavailable
instead of pairing vectors with the wrong chunks.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import faiss
import numpy as np

from kb.index import semantic_ivf
from kb.index.base import IndexUnavailable

FORMAT = "kb-semantic-index"
FORMAT_VERSION = 1
INDEX_FILE = "semantic.faiss"
META_FILE = "semantic.json"
# The index kinds, as recorded in semantic.json.
EXACT = "exact"
APPROX = "approximate"


@dataclass
class Stored:
    """A saved index as read back: the FAISS index and the metadata saved with it."""

    index: Any
    dim: int
    kind: str
    meta: dict[str, Any]
    records: list[dict[str, Any]]


def metadata(
    data: np.ndarray,
    *,
    dim: int,
    kind: str,
    nprobe: int,
    trained_n: int,
    count: int,
    next_id: int,
    records: list[dict[str, Any]],
) -> dict[str, Any]:
    """The semantic.json content for the serialised index `data` and its chunk records."""
    return {
        "format": FORMAT,
        "version": FORMAT_VERSION,
        "dim": dim,
        "kind": kind,
        "nprobe": nprobe,
        "trained_n": trained_n,
        "count": count,
        "next_id": next_id,
        "index_file": INDEX_FILE,
        "index_bytes": int(data.nbytes),
        "index_sha256": hashlib.sha256(data).hexdigest(),
        "chunks": records,
    }


def write(folder: Path, data: np.ndarray, meta: dict[str, Any]) -> None:
    """Write semantic.faiss and semantic.json into `folder`, atomically per file."""
    meta_bytes = json.dumps(meta, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    atomic_write(folder / INDEX_FILE, memoryview(data))
    atomic_write(folder / META_FILE, meta_bytes)
    fsync_dir(folder)


def read(folder: Path, expected_dim: int | None) -> Stored:
    """Read what `write` saved; IndexUnavailable if missing, corrupt or of another dim."""
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
        if kind not in (EXACT, APPROX) or not isinstance(records, list):
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
    return Stored(index, dim, kind, meta, records)


def check_index(index: Any, kind: str, dim: int, meta: dict[str, Any], records: list[dict[str, Any]]) -> int:
    """Check a read FAISS index against its records; returns the next free chunk id, ValueError on a mismatch."""
    if index.d != dim or index.metric_type != faiss.METRIC_INNER_PRODUCT:
        raise ValueError("FAISS index dimension or metric does not match the metadata")
    if kind == EXACT:
        if not isinstance(index, faiss.IndexIDMap2):
            raise ValueError(f"expected IndexIDMap2 for an exact index, found {type(index).__name__}")
        stored_ids = faiss.vector_to_array(index.id_map)
    else:
        if not isinstance(index, faiss.IndexIVFFlat):
            raise ValueError(f"expected IndexIVFFlat for an approximate index, found {type(index).__name__}")
        stored_ids = semantic_ivf.stored_ids(index)
        if index.direct_map.type != faiss.DirectMap.Hashtable:
            index.set_direct_map_type(faiss.DirectMap.Hashtable)
    ids = np.asarray([int(r["id"]) for r in records], dtype=np.int64)
    if len(ids) != index.ntotal or not np.array_equal(np.sort(ids), np.sort(stored_ids)):
        raise ValueError("chunk ids in the metadata differ from those in the FAISS index")
    if len(np.unique(ids)) != len(ids) or (len(ids) and ids.min() < 0):
        raise ValueError("duplicate or negative chunk ids")
    next_id = int(ids.max()) + 1 if len(ids) else 0
    return max(next_id, int(meta.get("next_id", 0)))


def atomic_write(path: Path, data: bytes | memoryview) -> None:
    """Write `data` to `path` through a synced temporary file, so readers see the old or the new bytes."""
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


def fsync_dir(folder: Path) -> None:
    """Make the renames in `folder` durable (best effort: some file systems cannot sync a folder)."""
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
