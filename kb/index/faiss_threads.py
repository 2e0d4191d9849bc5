"""How many OpenMP threads FAISS may use for a call: one for small jobs and single queries, all for big jobs."""

from __future__ import annotations

import contextlib

import faiss

from kb.openmp import OpenMPThreads

SMALL_WORK = 20_000  # FAISS calls on fewer vectors run single-threaded (OpenMP costs more)


def threads_for(n: int) -> contextlib.AbstractContextManager[None]:
    """Single-threaded for small jobs, FAISS's default (all cores) for big ones."""
    return single_thread() if n < SMALL_WORK else contextlib.nullcontext()


def single_thread() -> contextlib.AbstractContextManager[None]:
    """Run FAISS single-threaded on this thread (OpenMP's thread count is a per-thread setting)."""
    return OpenMPThreads(faiss).limited(1)
