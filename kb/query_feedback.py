"""Pseudo-relevance feedback for a question asked in another language: its vectors moved toward what it found.

e5 places a Danish question nearer Danish text than the English article that answers it; the articles the
first fusion ranks best, found by every run together (the translation's keywords and English sentence
included), show where in the vector space the answers lie. Rocchio's rule, with no negative part: the
question's unit vectors plus a share of those articles' mean vector, searched again.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from kb.embedding_base import normalise
from kb.index.semantic import SemanticIndex


def feedback_centroid(index: SemanticIndex, articles: Sequence[int]) -> np.ndarray | None:
    """The unit mean of the articles' own mean vectors (each article counts once, however many sections it has)."""
    vectors = [v for v in map(index.article_vector, articles) if v is not None]
    if not vectors:
        return None
    mean = np.mean(vectors, axis=0)
    norm = float(np.linalg.norm(mean))
    return (mean / norm).astype(np.float32) if norm > 0 else None


def moved_toward(vectors: np.ndarray, centroid: np.ndarray, share: float) -> np.ndarray:
    """Each query vector, made unit, plus `share` of the centroid (the index normalises the sum again)."""
    # A copy: normalise divides in place, and these may be the embedder's cached query vectors.
    unit = normalise(np.array(vectors, dtype=np.float32, copy=True), centroid.shape[0])
    return (unit + share * centroid).astype(np.float32)
