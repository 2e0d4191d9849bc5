"""Keeps both indexes in step with the database: build, load, swap, and replay the change log."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import numpy as np

from kb.chunking import CHUNKER_VERSION, chunk_article, passage_text
from kb.embeddings import Embedder
from kb.index import keyword as keyword_module
from kb.index.base import Chunk, IndexUnavailable
from kb.index.catch_up import CATCH_UP_BATCH, INLINE_CHANGES, BackgroundCatchUp, Prepared
from kb.index.chunk_file import ArticleMeta, read_chunks, write_chunks
from kb.index.keyword import KeywordIndex
from kb.index.layout import SCHEMA_VERSION, IndexFolder, Manifest, read_generation, read_manifest, write_json_atomic
from kb.index.line_vectors import LineVectors
from kb.index.semantic import SemanticIndex
from kb.section_lines import LINES_VERSION, section_lines
from kb.store import ArticleStore
from kb.validation import base_language

log = logging.getLogger(__name__)
EMBED_BATCH = 64
KEYWORD_LOOKBACK = 16  # change ids re-read below the shared keyword marker (ids can commit out of order)


def _english(chunk: Chunk) -> bool:
    """Sections the companion model embeds: English ones (en, en-GB, …), all that translated questions look for."""
    return base_language(chunk.language) == "en"


class IndexManager(BackgroundCatchUp):
    """One process's view of the shared index folder."""

    def __init__(self, root: Path, store: ArticleStore, embedder: Embedder, *, sync_interval: float = 1.0,
                 companion: Embedder | None = None, lines: bool = False) -> None:
        self.folder = IndexFolder(root)
        self.store = store
        self.embedder = embedder
        self.companion_embedder = companion  # English sections only: see Settings.companion_model
        self.companion: SemanticIndex | None = None
        self.lines_version = LINES_VERSION if lines else 0  # sections' lines embedded too (kb/section_lines.py)
        self.lines: LineVectors | None = None
        self.sync_interval = sync_interval
        self.keyword: KeywordIndex | None = None
        self.semantic: SemanticIndex | None = None
        self.chunks: dict[str, Chunk] = {}
        self.articles: dict[int, ArticleMeta] = {}
        self.manifest: Manifest | None = None
        self.generation = 0
        self._build: Path | None = None
        self._checked = 0.0
        self._seen: set[int] = set()  # change ids applied recently (see ArticleStore.changed_since)
        self.problem = ""  # why the current build on disk could not be loaded, while the old one answers
        self._lock = threading.RLock()
        self._catch_up: threading.Thread | None = None
        self._spawning = threading.Lock()
        self._indexed_meanwhile: set[int] = set()  # saved by this process while a catch-up embeds
        self.built_on_open = False  # open() found no usable build and made one (`kb reindex` needs no second)

    # -- opening and building ----------------------------------------------

    def open(self, progress: Callable[[int, int], None] | None = None) -> None:
        """Load the current build, or rebuild it from the database when missing, corrupt or mismatched."""
        with self._lock:
            try:
                self._load(self.folder.current_build())
            except IndexUnavailable as exc:
                log.warning("index unusable (%s); rebuilding from the database", exc)
                with self.folder.lock("build"):
                    try:  # another process may have rebuilt it while we waited
                        self._load(self.folder.current_build())
                    except IndexUnavailable:
                        build = self.build(progress)
                        self._load(build)  # a build that cannot be read back is never made current
                        self.folder.activate(build)
                        self.built_on_open = True
            self.sync(force=True)

    def _load(self, build: Path | None) -> None:
        if build is None:
            raise IndexUnavailable("no current index build")
        manifest = read_manifest(build)
        expected = (SCHEMA_VERSION, self.embedder.name, self.embedder.dim, CHUNKER_VERSION,
                    keyword_module.SCHEMA_VERSION, *self._companion_model(), self.lines_version)
        found = (manifest.schema_version, manifest.model, manifest.dim, manifest.chunker_version,
                 manifest.keyword_schema, manifest.companion, manifest.companion_dim, manifest.section_lines)
        if found != expected:
            raise IndexUnavailable(f"index built for {found}, this process needs {expected}")
        database = self.store.db.generation()
        if manifest.generation > database or read_generation(build / "keyword.generation") > database:
            # The database was restored from a backup: changes the index holds are gone, and the next ones
            # would reuse their generations and be skipped.
            raise IndexUnavailable(f"index reflects database generation {manifest.generation}, "
                                   f"the database is at {database}")
        semantic = SemanticIndex.load(build / "semantic", expected_dim=self.embedder.dim)
        companion = (SemanticIndex.load(build / "companion", expected_dim=self.companion_embedder.dim)
                     if self.companion_embedder else None)
        lines = LineVectors.load(build / "lines", expected_dim=self.embedder.dim) if self.lines_version else None
        keyword = KeywordIndex.open(build / "keyword")
        chunks, articles = read_chunks(build / "chunks.jsonl")
        # The previous keyword index is not closed here: a search in another thread may still read it;
        # its files close when the last reference goes.
        self.keyword, self.semantic, self.companion, self.lines, self.chunks, self.articles = (
            keyword, semantic, companion, lines, chunks, articles)
        self.manifest, self.generation, self._build = manifest, manifest.generation, build
        self._seen, self.problem = set(), ""

    def build(self, progress: Callable[[int, int], None] | None = None) -> Path:
        """Build both indexes of every article into a new folder (not yet active)."""
        generation = self.store.db.generation()  # read first: later changes are replayed after the swap
        articles = self.store.all_articles()
        build = self.folder.new_build()
        chunks = [c for a in articles for c in chunk_article(a)]
        # On a first start this is the slow part; say so, since the server is silent meanwhile.
        log.warning("building the search index: %d articles, %d sections, model %s (cached embeddings are reused)",
                    len(articles), len(chunks), self.embedder.name)
        english = [c for c in chunks if _english(c)] if self.companion_embedder is not None else []
        lines = section_lines(chunks) if self.lines_version else []
        total = len(chunks) + len(english) + len(lines)  # one progress bar over every passage embedded
        ids = [a.id for a in articles]
        self._build_semantic(build / "semantic", chunks, ids, self.embedder, progress and (
            lambda done, _: progress(done, total)))
        if self.companion_embedder is not None:
            self._build_semantic(build / "companion", english, ids, self.companion_embedder, progress and (
                lambda done, _: progress(len(chunks) + done, total)))
        if self.lines_version:
            before = len(chunks) + len(english)
            LineVectors.embedded(self.embedder.dim, lines, lambda part, done: self._embed(part, progress and (
                lambda n, _: progress(before + done + n, total)))).save(build / "lines")
        keyword = KeywordIndex.create(build / "keyword")
        keyword.upsert(chunks, [a.id for a in articles])
        keyword.close()
        (build / "keyword.generation").write_text(str(generation))
        write_chunks(build / "chunks.jsonl", chunks, [ArticleMeta.of(a) for a in articles])
        manifest = Manifest(SCHEMA_VERSION, build.name, self.embedder.name, self.embedder.dim, CHUNKER_VERSION,
                            keyword_module.SCHEMA_VERSION, len(articles), len(chunks), generation,
                            time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), *self._companion_model(),
                            self.lines_version)
        write_json_atomic(build / "manifest.json", manifest.to_json())
        return build

    def reindex(self, progress: Callable[[int, int], None] | None = None) -> Manifest:
        """Rebuild into a new folder and swap it in atomically; searches go on meanwhile."""
        with self.folder.lock("build"):  # one builder at a time, across processes
            build = self.build(progress)
            with self._lock:
                self._load(build)  # a build that cannot be read back is never made current
                self.folder.activate(build)
                self.sync(force=True)
        return read_manifest(build)

    def _build_semantic(self, folder: Path, chunks: list[Chunk], article_ids: list[int], embedder: Embedder,
                        progress: Callable[[int, int], None] | None) -> None:
        index = SemanticIndex.create(embedder.dim)
        index.upsert(chunks, self._embed(chunks, progress, embedder), article_ids)
        index.save(folder)

    def _companion_model(self) -> tuple[str, int]:
        model = self.companion_embedder
        return (model.name, model.dim) if model is not None else ("", 0)

    def _embed(self, chunks: list[Chunk], progress: Callable[[int, int], None] | None = None,
               embedder: Embedder | None = None) -> np.ndarray:
        embedder = embedder or self.embedder
        texts = [passage_text(c) for c in chunks]
        # A background catch-up embeds a few passages at a time: a search's query waits for one batch at most.
        batch = CATCH_UP_BATCH if threading.current_thread() is self._catch_up else EMBED_BATCH
        parts = []
        for start in range(0, len(texts), batch):
            parts.append(embedder.embed_passages(texts[start:start + batch]))
            if progress:
                progress(min(start + batch, len(texts)), len(texts))
        return np.vstack(parts) if parts else np.zeros((0, embedder.dim), dtype=np.float32)

    # -- staying current -----------------------------------------------------

    def sync(self, force: bool = False, articles: Iterable[int] = ()) -> bool:
        """Catch up with database changes (at most once per sync_interval unless forced); True if any.

        A search that finds a backlog of more than INLINE_CHANGES (a bulk import by another process) has it
        embedded in a background thread and answers from the index as it is, instead of waiting minutes for
        e5. Forced syncs (this process's own saves, start, reindex) stay inline; a save made during such a
        catch-up (`articles`, the ones it changed) is indexed at once, ahead of the backlog.
        """
        now = time.monotonic()
        if self.catching_up():
            if force and articles:
                self._index_now(list(articles))
            return False
        if not force and now - self._checked < self.sync_interval:
            return False
        if not force and self.store.db.generation() - self.generation > INLINE_CHANGES:
            self._start_catch_up()
            return False
        return self._sync(now)

    def _sync(self, now: float) -> bool:
        with self._lock:
            self._checked = now
            if self.folder.current_build() != self._build:
                self._follow_swap()
            generation, changed = self.store.changed_since(self.generation, self._seen)
            if changed:  # a stale build still learns of edits, archivals and purges (its semantic side)
                self._install(self._prepare(changed))
            self.generation = generation
            self._keep_keyword_current()
            return bool(changed)

    def _keep_keyword_current(self) -> None:
        """Sync the shared keyword index; a build folder deleted under us is a problem for /healthz, not a 500."""
        try:
            if self._build is None or not self._build.is_dir():
                raise FileNotFoundError(f"the loaded index build {self._build} was deleted")
            self._sync_keyword()
        except OSError as exc:
            if self.problem != str(exc):
                log.error("keyword index not updated (%s): run `python -m kb reindex`", exc)
            self.problem = str(exc)

    def _follow_swap(self) -> bool:
        """Load the build another process swapped in; False (and a reason for /healthz) when it is unusable."""
        try:
            self._load(self.folder.current_build())
        except IndexUnavailable as exc:
            if self.problem != str(exc):
                log.error("the current index is unusable (%s); still answering from the loaded build: "
                          "run `python -m kb reindex`", exc)
            self.problem = str(exc)
            return False
        return True

    def _prepare(self, article_ids: list[int]) -> dict[int, Prepared]:
        """Each article's current state, sections and their vectors (None and no sections once it is gone)."""
        current = self.store.articles_by_id(article_ids)
        by_article = {a: chunk_article(current[a]) if a in current else [] for a in article_ids}
        vectors = self._embed([c for cs in by_article.values() for c in cs])
        english = [c for cs in by_article.values() for c in cs if _english(c)] if self.companion_embedder else []
        others = dict(zip((c.chunk_id for c in english), self._embed(english, None, self.companion_embedder)
                          if english else (), strict=True))
        lines = {a: section_lines(cs) for a, cs in by_article.items()} if self.lines_version else {}
        line_vectors = self._embed([line for ls in lines.values() for line in ls])
        prepared, start, line_start = {}, 0, 0
        for article_id, chunks in by_article.items():
            beside = [others[c.chunk_id] for c in chunks if c.chunk_id in others]
            count = len(lines.get(article_id, ()))
            prepared[article_id] = (current.get(article_id), chunks, vectors[start:start + len(chunks)],
                                    np.vstack(beside) if beside else None,
                                    line_vectors[line_start:line_start + count])
            start, line_start = start + len(chunks), line_start + count
        return prepared

    def _install(self, prepared: dict[int, Prepared]) -> None:
        """Swap prepared articles into the semantic index and the in-memory sections (under the lock)."""
        assert self.semantic is not None
        chunks = [c for _, cs, _, _, _ in prepared.values() for c in cs]
        vectors = [v for _, _, v, _, _ in prepared.values()]
        dim = self.embedder.dim
        self.semantic.upsert(chunks, np.vstack(vectors) if vectors else np.zeros((0, dim), np.float32),
                            list(prepared))
        if self.companion is not None and self.companion_embedder is not None:
            english = [c for c in chunks if _english(c)]
            beside = [v for _, _, _, v, _ in prepared.values() if v is not None]
            self.companion.upsert(english, np.vstack(beside) if beside else
                                  np.zeros((0, self.companion_embedder.dim), np.float32), list(prepared))
        if self.lines is not None:
            line_vectors = [v for *_, v in prepared.values()]
            self.lines.upsert(section_lines(chunks), np.vstack(line_vectors) if line_vectors else
                              np.zeros((0, dim), np.float32), list(prepared))
        for chunk_id in [k for k, c in self.chunks.items() if c.article_id in prepared]:
            del self.chunks[chunk_id]
        for article_id, (article, article_chunks, *_) in prepared.items():
            self.chunks.update((c.chunk_id, c) for c in article_chunks)
            if article is not None:
                self.articles[article_id] = ArticleMeta.of(article)
            else:
                self.articles.pop(article_id, None)

    def _sync_keyword(self) -> None:
        """Bring the shared Whoosh index up to date once, whichever process gets the lock first."""
        assert self.keyword is not None and self._build is not None
        marker = self._build / "keyword.generation"
        if read_generation(marker) >= self.generation:
            self.keyword.refresh()
            return
        with self.folder.lock("keyword"):
            done = read_generation(marker)
            if done < self.generation:
                # Re-read a window below the marker too: ids may commit out of order; upserts are idempotent.
                _, changed = self.store.changed_since(max(0, done - KEYWORD_LOOKBACK))
                wanted = set(changed)
                changed_chunks = [c for c in self.chunks.values() if c.article_id in wanted]
                self.keyword.upsert(changed_chunks, changed)
                write_json_atomic(marker, str(self.generation))
        self.keyword.refresh()

    def status(self) -> dict[str, Any]:
        """Index facts for /healthz."""
        if self.manifest is None:
            return {"ok": False, "state": "not loaded"}
        problem = {"state": f"stale: {self.problem}"} if self.problem else {}
        return {"ok": not self.problem, **problem, "catching_up": self.catching_up(),
                "model": self.embedder.name, "dim": self.embedder.dim, "companion": self._companion_model()[0] or None,
                "build": self.manifest.build_id, "built_at": self.manifest.built_at,
                "generation": self.generation, "chunks": len(self.chunks), "articles": len(self.articles)}

    def close(self) -> None:
        """Release the Whoosh files (safe to call twice), once a catch-up under way has finished."""
        if self._catch_up is not None:
            self._catch_up.join(timeout=60)
        if self.keyword is not None:
            self.keyword.close()
            self.keyword = None
