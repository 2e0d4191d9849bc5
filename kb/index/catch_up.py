"""Indexing a backlog of changes (a bulk import by another process) in a background thread."""

from __future__ import annotations

import logging
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from kb.index.base import Chunk
from kb.views import ArticleView

if TYPE_CHECKING:
    from kb.index.keyword import KeywordIndex
    from kb.index.layout import IndexFolder
    from kb.store import ArticleStore

log = logging.getLogger(__name__)
INLINE_CHANGES = 20  # a larger backlog of changes is indexed in the background
CATCH_UP_BATCH = 2  # passages per embedding call in the background: a search's query waits for one at most
# An article as it now is, its sections, their vectors, its English sections' companion vectors (or None), and
# its sections' line vectors (kb/section_lines.py; none when the lines are not indexed).
Prepared = tuple[ArticleView | None, list[Chunk], np.ndarray, np.ndarray | None, np.ndarray]


class BackgroundCatchUp:
    """The IndexManager's background catch-up: searches answer from the index as it is meanwhile."""

    folder: IndexFolder
    store: ArticleStore
    keyword: KeywordIndex | None
    generation: int
    _build: Path | None
    _checked: float
    _seen: set[int]
    _lock: threading.RLock
    _spawning: threading.Lock
    _catch_up: threading.Thread | None
    _indexed_meanwhile: set[int]

    def _start_catch_up(self) -> None:
        with self._spawning:  # two searches at once start one catch-up
            if not self.catching_up():
                self._catch_up = threading.Thread(target=self._sync_in_background, name="kb-index-catch-up",
                                                  daemon=True)
                self._catch_up.start()

    def catching_up(self) -> bool:
        """True while a background thread indexes a backlog (the calling thread is not it)."""
        thread = self._catch_up
        return thread is not None and thread.is_alive() and thread is not threading.current_thread()

    def _sync_in_background(self) -> None:
        try:
            # One process at a time embeds a backlog; the others then find it in the shared embedding cache.
            with self.folder.lock("catch-up"):
                with self._lock:
                    if self.folder.current_build() != self._build:
                        self._follow_swap()
                    seen = set(self._seen)  # committed only once the backlog is in
                    generation, changed = self.store.changed_since(self.generation, seen)
                    self._indexed_meanwhile = set()
                # The slow part runs outside the lock, so that this process's own saves are indexed meanwhile.
                prepared = self._prepare(changed)
                with self._lock:
                    self._install({a: p for a, p in prepared.items() if a not in self._indexed_meanwhile})
                    self._seen, self.generation, self._checked = seen, generation, time.monotonic()
                    self._keep_keyword_current()
        except Exception:  # the next sync tries again; searches go on from the index as it is
            log.exception("indexing a backlog of changes failed")

    def _index_now(self, article_ids: list[int]) -> None:
        """Index articles this process just saved while a catch-up runs: searchable now, not after the backlog."""
        with self._lock:
            prepared = self._prepare(article_ids)
            self._install(prepared)
            self._indexed_meanwhile.update(article_ids)
            if self.keyword is not None:  # the shared marker is left alone: the catch-up replays these again
                with self.folder.lock("keyword"):
                    self.keyword.upsert([c for _, chunks, *_ in prepared.values() for c in chunks], article_ids)
                self.keyword.refresh()

    # Provided by IndexManager.
    def _follow_swap(self) -> bool: ...
    def _prepare(self, article_ids: list[int]) -> dict[int, Prepared]: ...
    def _install(self, prepared: dict[int, Prepared]) -> None: ...
    def _keep_keyword_current(self) -> None: ...
