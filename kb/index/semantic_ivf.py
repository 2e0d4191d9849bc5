"""The approximate side of the semantic index: an IndexIVFFlat, its training, nprobe and searches.

The index has nlist ~ 4*sqrt(n) lists, is trained on the current vectors, and keeps a hashtable
direct map so removal and reconstruction stay cheap.  Its nprobe is chosen as the smallest
reaching recall@10 >= TARGET_RECALL against exact search on a sample.
"""

from __future__ import annotations

import math
from typing import Any

import faiss
import numpy as np

TARGET_RECALL = 0.95


def train(vectors: np.ndarray, dim: int) -> Any:
    """An empty IndexIVFFlat (inner product, hashtable direct map) trained on `vectors`."""
    n = len(vectors)
    nlist = max(1, min(int(4 * math.sqrt(max(n, 1))), n // 39))
    index = faiss.IndexIVFFlat(faiss.IndexFlatIP(dim), dim, nlist, faiss.METRIC_INNER_PRODUCT)
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


def empty_copy(old: Any, dim: int) -> Any:
    """An empty IndexIVFFlat with the trained lists of `old`, so rebuilding needs no retraining."""
    quantizer = faiss.clone_index(faiss.downcast_index(old.quantizer))
    index = faiss.IndexIVFFlat(quantizer, dim, old.nlist, faiss.METRIC_INNER_PRODUCT)
    index.is_trained = True
    index.set_direct_map_type(faiss.DirectMap.Hashtable)
    return index


def tune_nprobe(index: Any, vectors: np.ndarray, dim: int) -> int:
    """Smallest power-of-two nprobe with recall@10 >= TARGET_RECALL vs exact, on a sample."""
    n, nlist = len(vectors), int(index.nlist)
    if n == 0 or nlist <= 1:
        return 1
    rng = np.random.default_rng(4321)
    picks = rng.choice(n, size=min(200, n), replace=False)
    # Queries near, but not on, stored vectors (real queries are not copies of passages).
    noise = rng.standard_normal((len(picks), dim)).astype(np.float32) * (0.8 / math.sqrt(dim))
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


def search_params(index: Any, selector: Any, count: int, nprobe: int) -> Any:
    """Search parameters for a selector admitting `count` of the index's vectors, from a tuned `nprobe`."""
    nlist = int(index.nlist)
    fraction = count / max(1, index.ntotal)
    # A restrictive filter leaves few candidates per list: probe proportionally more lists.
    probes = min(nlist, max(nprobe, math.ceil(nprobe / max(fraction, 1e-9))))
    return faiss.SearchParametersIVF(sel=selector, nprobe=probes)


def search(index: Any, q: np.ndarray, k: int, params: Any) -> tuple[np.ndarray, np.ndarray]:
    """FAISS search of the queries `q`, falling back to all lists when the probed ones fall short."""
    scores, ids = index.search(q, k, params=params)
    if (ids[0] < 0).any() and params.nprobe < index.nlist:
        # Fewer than k allowed vectors in the probed lists: look at all of them.
        full = faiss.SearchParametersIVF(sel=params.sel, nprobe=int(index.nlist))
        scores, ids = index.search(q, k, params=full)
    return scores, ids


def stored_ids(index: Any) -> np.ndarray:
    """The ids held in the index's inverted lists."""
    invlists = index.invlists
    parts = [
        faiss.rev_swig_ptr(invlists.get_ids(i), invlists.list_size(i)).copy()
        for i in range(index.nlist)
        if invlists.list_size(i)
    ]
    return np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64)
