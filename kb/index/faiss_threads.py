"""How many OpenMP threads FAISS may use for a call: one for small jobs and single queries, all for big jobs."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import faiss

SMALL_WORK = 20_000  # FAISS calls on fewer vectors run single-threaded (OpenMP costs more)


def threads_for(n: int) -> contextlib.AbstractContextManager[None]:
    """Single-threaded for small jobs, FAISS's default (all cores) for big ones."""
    return single_thread() if n < SMALL_WORK else contextlib.nullcontext()


@contextlib.contextmanager
def single_thread() -> Iterator[None]:
    """Run FAISS single-threaded on this thread (OpenMP's thread count is a per-thread setting)."""
    previous = faiss.omp_get_max_threads()
    faiss.omp_set_num_threads(1)
    try:
        yield
    finally:
        faiss.omp_set_num_threads(previous)
