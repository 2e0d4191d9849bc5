"""One worker thread that runs a step of a request while the request goes on with the next (query encoding,
which leaves the GIL to the C engine, beside the keyword search, which holds it)."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TypeVar

T = TypeVar("T")


class Overlap:
    """A lazily started single-thread pool; a forked child starts its own (the parent's thread is not copied)."""

    def __init__(self, name: str) -> None:
        self._name = name
        self._lock = threading.Lock()
        self._pool: ThreadPoolExecutor | None = None
        self._pid = 0

    def start(self, fn: Callable[..., T], *args: object) -> Future[T]:
        """Run fn(*args) on the worker thread; the future gives its result or raises its error."""
        with self._lock:
            if self._pool is None or self._pid != os.getpid():
                self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix=self._name)
                self._pid = os.getpid()
            return self._pool.submit(fn, *args)

    def close(self) -> None:
        """Stop the worker thread once it has finished what it was given."""
        with self._lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=True)
