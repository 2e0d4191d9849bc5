"""One knowledge base instance: settings, database, article store and search, wired together."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from kb.analytics import Analytics
from kb.article_reads import ArticleReads
from kb.audit import AuditLog
from kb.change_requests import ChangeRequests
from kb.config import Settings
from kb.content_io import ImportReport, import_directory
from kb.db import Database
from kb.editing import ArticleEditing
from kb.feedback import FeedbackStore
from kb.search_counts import SearchCounts
from kb.store import ArticleStore
from kb.tokens import TokenStore
from kb.users import UserStore
from kb.workflow import Workflow

if TYPE_CHECKING:
    from kb.embedding_base import Embedder

log = logging.getLogger(__name__)


@dataclass
class KnowledgeBase:
    """The core objects the web layer and the CLI share; built by `open_knowledge_base`."""

    settings: Settings
    db: Database
    store: ArticleStore
    indexes: Any = field(default=None)  # kb.index.manager.IndexManager when search is enabled
    search: Any = field(default=None)  # kb.search.SearchEngine when search is enabled
    suggester: Any = field(default=None)  # kb.suggest.Suggester when search is enabled
    feedback: Any = field(default=None)  # kb.feedback.FeedbackStore
    search_counts: Any = field(default=None)  # kb.search_counts.SearchCounts
    reads: Any = field(default=None)  # kb.article_reads.ArticleReads
    analytics: Any = field(default=None)  # kb.analytics query log and reports

    @property
    def tokens(self) -> TokenStore:
        """API tokens (stateless over the database, so a fresh store per use is fine)."""
        return TokenStore(self.db)

    @property
    def users(self) -> UserStore:
        """User accounts (stateless over the database)."""
        s = self.settings
        return UserStore(self.db, max_failures=s.login_max_failures, lockout_minutes=s.login_lockout_minutes)

    @property
    def workflow(self) -> Workflow:
        """Review requests, the review queue and stale articles."""
        return Workflow(self.db, self.store)

    @property
    def editing(self) -> ArticleEditing:
        """Article changes on behalf of a user or token, with every permission and workflow rule."""
        return ArticleEditing(self.store, self.workflow, self.users.find)

    @property
    def change_requests(self) -> ChangeRequests:
        """Authors' changes to published articles, waiting for a reviewer."""
        return ChangeRequests(self.editing)

    @property
    def audit(self) -> AuditLog:
        """The audit log of every change."""
        return AuditLog(self.db)

    def import_content_if_empty(self) -> ImportReport | None:
        """First start: load the shipped content/ folder into an empty database."""
        if self.db.article_count() > 0 or not self.settings.content_dir.is_dir():
            return None
        report = import_directory(self.store, self.settings.content_dir)
        log.info("imported %s: %s", self.settings.content_dir, report.summary())
        return report

    def health(self) -> dict[str, Any]:
        """Database and index state for /healthz."""
        database_ok = self.db.ping()
        state: dict[str, Any] = {
            "database": {"ok": database_ok, "dialect": self.db.engine.dialect.name},
        }
        if database_ok:
            state["database"]["articles"] = self.db.article_count()
            state["database"]["generation"] = self.db.generation()
        if self.indexes is not None:
            state["index"] = self._index_health()
        state["ok"] = database_ok and (self.indexes is None or state["index"]["ok"])
        return state

    def _index_health(self) -> dict[str, Any]:
        assert self.indexes is not None
        try:
            self.indexes.sync()  # figures as of now, and a build another process broke shows up
        except Exception as exc:  # health reports a failure, it never is one
            return {**self.indexes.status(), "ok": False, "state": f"sync failed: {type(exc).__name__}"}
        return self.indexes.status()

    def close(self) -> None:
        """Release files and connections."""
        if self.search is not None:
            self.search.close()
        if self.indexes is not None:
            self.indexes.close()
        self.db.dispose()


def open_knowledge_base(settings: Settings, *, with_search: bool = True) -> KnowledgeBase:
    """Connect, migrate, and (on an empty database) import the shipped content."""
    db = Database(settings.database_url, wait_seconds=settings.database_wait_seconds)
    db.migrate()
    feedback = FeedbackStore(db, keep_text=settings.query_log_enabled)
    store = ArticleStore(db, max_body_bytes=settings.max_body_bytes, review_interval_days=settings.review_interval_days)
    kb = KnowledgeBase(settings=settings, db=db, store=store, feedback=feedback,
                       search_counts=SearchCounts(db), reads=ArticleReads(db))
    kb.analytics = Analytics(kb)
    if settings.auto_import:
        kb.import_content_if_empty()
    if with_search:
        enable_search(kb)
    return kb


def enable_search(kb: KnowledgeBase, progress: Any = None, embedder: Embedder | None = None,
                  companion: Embedder | None = None) -> None:
    """Load (or rebuild) the indexes and keep them current on every save.

    An `embedder` given (tests, benches) comes with the `companion` given, or none; otherwise both follow the
    settings.
    """
    from kb.embeddings import CachedEmbedder, load_embedder
    from kb.fusion import FusionConfig
    from kb.index.manager import IndexManager
    from kb.lemmas import lemmatizer
    from kb.search import SearchEngine
    from kb.suggest import Suggester
    from kb.translation import QueryTranslator

    settings = kb.settings
    settings.embedding_cache_path.parent.mkdir(parents=True, exist_ok=True)
    if embedder is None:
        embedder = load_embedder(settings.embedding_model)
        companion = load_companion(settings.companion_model, embedder.name)
    cached = CachedEmbedder(embedder, settings.embedding_cache_path)
    beside = CachedEmbedder(companion, settings.embedding_cache_path) if companion is not None else None
    kb.indexes = IndexManager(settings.index_dir, kb.store, cached, companion=beside, lines=settings.section_lines)
    kb.indexes.open(progress)
    kb.store.on_change(lambda ids: kb.indexes.sync(force=True, articles=ids))
    translator = QueryTranslator(settings.dictionary_dir, lemmatizer(settings)) if settings.dictionary_dir else None
    if translator is not None:
        translator.preload_in_background()
    kb.search = SearchEngine(kb.indexes, FusionConfig(companion_reads_questions=settings.companion_questions),
                             translator=translator)
    kb.suggester = Suggester(kb.search, kb.feedback)


def load_companion(spec: str, main_model: str) -> Embedder | None:
    """The English companion model for translated questions (Settings.companion_model), or None.

    "auto" picks MiniLM beside e5 only (measured there; beside MiniLM itself it would be the same opinion
    twice), and a missing MiniLM package then turns the companion off, not the app.
    """
    from kb.embedding_base import EmbedderUnavailable
    from kb.embeddings import E5_SMALL, MINILM, load_embedder

    lowered = spec.strip().lower()
    if lowered in ("off", "none", ""):
        return None
    if lowered != "auto":
        return load_embedder(spec)
    if main_model != E5_SMALL:
        return None
    try:
        return load_embedder(MINILM)
    except EmbedderUnavailable as exc:
        log.warning("no English companion model for translated questions: %s", exc)
        return None
