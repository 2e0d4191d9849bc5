"""Average-linkage agglomerative clustering on cosine similarity, numpy only (the inputs are bounded)."""

from __future__ import annotations

import numpy as np


def unit_rows(vectors: np.ndarray) -> np.ndarray:
    """Rows scaled to length 1 (zero rows stay zero)."""
    vectors = np.asarray(vectors, dtype=np.float64)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.where(norms == 0, 1.0, norms)


def agglomerate(vectors: np.ndarray, threshold: float) -> list[list[int]]:
    """Groups of row indices: merge the two most similar groups while their average similarity >= threshold."""
    n = len(vectors)
    if n == 0:
        return []
    unit = unit_rows(vectors)
    sim = unit @ unit.T
    np.fill_diagonal(sim, -np.inf)
    sizes = np.ones(n)
    members: list[list[int]] = [[i] for i in range(n)]
    while n > 1:
        a, b = divmod(int(np.argmax(sim)), n)
        if sim[a, b] < threshold:
            break
        # Average linkage: the merged group's similarity to each other group is the size-weighted mean.
        merged = (sizes[a] * sim[a] + sizes[b] * sim[b]) / (sizes[a] + sizes[b])
        merged[[a, b]] = -np.inf
        sim[b, :] = sim[:, b] = -np.inf
        sim[a, :] = sim[:, a] = merged
        sizes[a] += sizes[b]
        members[a] += members[b]
        members[b] = []
    return [sorted(m) for m in members if m]


def central_order(vectors: np.ndarray, indices: list[int]) -> list[int]:
    """The indices of one group, nearest to the group's centroid first (its most representative members)."""
    unit = unit_rows(vectors[indices])
    centroid = unit.mean(axis=0)
    order = np.argsort(-(unit @ centroid), kind="stable")
    return [indices[i] for i in order]
