"""The contract every embedder meets: the Embedder protocol, its error, and the row helpers they share.

Every embedder returns float32 arrays of shape (n, dim) whose rows are L2-normalised, so the
inner product of two rows is their cosine similarity.  Passages and queries go through separate
methods because some models (E5) embed them differently ("passage: " / "query: ").
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, runtime_checkable

import numpy as np

BATCH_SIZE = 32


class EmbedderUnavailable(ImportError):
    """A model's package (or its bundled files) is not installed."""


@runtime_checkable
class Embedder(Protocol):
    """Turns texts into L2-normalised float32 vectors of shape (n, dim)."""

    name: str
    dim: int

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray: ...

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray: ...


def normalise(matrix: np.ndarray, dim: int) -> np.ndarray:
    """float32, C-contiguous, (n, dim), unit rows (zero rows stay zero)."""
    out = np.ascontiguousarray(matrix, dtype=np.float32).reshape(-1, dim)
    norms = np.linalg.norm(out, axis=1, keepdims=True)
    np.divide(out, norms, out=out, where=norms > 0)
    return out


def as_list(texts: Sequence[str]) -> list[str]:
    """The texts as a list; a bare string is refused rather than embedded character by character."""
    if isinstance(texts, str):
        raise TypeError("pass a sequence of texts, not a single string")
    return list(texts)
