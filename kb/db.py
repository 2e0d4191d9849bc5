"""Database engine, sessions and Alembic migrations."""

from __future__ import annotations

import fcntl
import logging
import os
import time
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import create_engine, event, func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Engine
from sqlalchemy.exc import ArgumentError, NoSuchModuleError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from kb.errors import ConfigurationError, KBError
from kb.models import Article, Change

log = logging.getLogger(__name__)
MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


def alembic_config(url: str) -> Config:
    """An Alembic Config pointing at the package's migrations, for any database URL."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upsert(session: Session, model: type[Any]) -> Any:
    """An INSERT for this session's database that takes ON CONFLICT clauses (SQLite and PostgreSQL alike)."""
    return {"sqlite": sqlite_insert, "postgresql": pg_insert}[session.get_bind().dialect.name](model)


def _sqlite_pragmas(dbapi_connection, _record) -> None:  # noqa: ANN001
    cursor = dbapi_connection.cursor()
    # WAL lets several workers read while one writes; foreign keys are off by default in SQLite.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    # With WAL this never corrupts the database; a power cut may lose the last commits, an app crash none.
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


class Database:
    """One engine and its session factory."""

    def __init__(self, url: str, *, wait_seconds: float = 0) -> None:
        self.url = url
        self.wait_seconds = wait_seconds
        if url.startswith("sqlite:///"):
            Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
        try:
            self.engine: Engine = create_engine(url, pool_pre_ping=True)
        except (ArgumentError, NoSuchModuleError, ImportError, ValueError) as exc:  # no driver; port "x"
            raise ConfigurationError(f"KB_DATABASE_URL {url.split('@')[-1]!r} is not a usable database URL "
                                     f"({exc}); use sqlite:///PATH or postgresql+psycopg://…") from None
        if self.engine.dialect.name == "sqlite":
            event.listen(self.engine, "connect", _sqlite_pragmas)
        # A forked child (gunicorn --preload) must not share the parent's pooled connections: it opens its own.
        # A weak reference, so the hook keeps no engine alive.
        engine = weakref.ref(self.engine)
        os.register_at_fork(after_in_child=lambda: engine() and engine().dispose(close=False))
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)

    def migrate(self) -> None:
        """Bring the schema to the newest Alembic revision; several workers starting together take turns."""
        try:
            self._migrate_when_reachable()
        except (OperationalError, PermissionError) as exc:
            if not self.url.startswith("sqlite:///"):
                where = self.engine.url.render_as_string(hide_password=True)
                raise KBError(f"cannot reach the database {where}: {getattr(exc, 'orig', None) or exc}") from None
            path = Path(self.url.removeprefix("sqlite:///"))
            # SQLite only says "unable to open database file": name the file and the likely cause.
            raise KBError(f"cannot open or write the database {path} ({getattr(exc, 'orig', None) or exc}): "
                          f"the folder {path.parent} must be writable by this user") from None

    def _migrate_when_reachable(self) -> None:
        """Migrate; a database server that cannot be reached is tried again for up to `wait_seconds`."""
        deadline = time.monotonic() + self.wait_seconds
        while True:
            try:
                return self._migrate()
            except OperationalError as exc:
                if self.engine.dialect.name == "sqlite" or time.monotonic() >= deadline:
                    raise
                log.warning("database %s not reachable (%s); trying again",
                            self.engine.url.render_as_string(hide_password=True), getattr(exc, "orig", exc))
                time.sleep(min(2.0, max(0.1, deadline - time.monotonic())))

    def _migrate(self) -> None:
        config = alembic_config(self.url)
        sqlite = self.engine.dialect.name == "sqlite"
        with self._migration_lock(), self.engine.connect() as connection:
            if sqlite:
                # Rebuilding a table (Alembic batch mode) drops the old one; with foreign keys on, SQLite would
                # cascade that drop into revisions and tags. The pragma only takes effect outside a transaction.
                connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
                connection.commit()
            with connection.begin():
                if self.engine.dialect.name == "postgresql":
                    connection.exec_driver_sql("SELECT pg_advisory_xact_lock(7316001)")  # released at commit
                config.attributes["connection"] = connection
                command.upgrade(config, "head")
                if sqlite and connection.exec_driver_sql("PRAGMA foreign_key_check").first() is not None:
                    raise RuntimeError("migration left rows pointing at missing ones; rolled back")
            if sqlite:
                connection.exec_driver_sql("PRAGMA foreign_keys=ON")
                connection.commit()

    @contextmanager
    def _migration_lock(self) -> Iterator[None]:
        """A file lock beside an SQLite database (other backends lock inside the transaction)."""
        if self.engine.dialect.name != "sqlite" or not self.url.startswith("sqlite:///"):
            yield
            return
        with open(self.url.removeprefix("sqlite:///") + ".migrate.lock", "a+") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session in a transaction: committed on success, rolled back on error."""
        with self._sessions() as session, session.begin():
            yield session

    def generation(self) -> int:
        """The id of the newest change: indexes that reflect it are current."""
        with self._sessions() as session:
            return session.scalar(select(func.coalesce(func.max(Change.id), 0))) or 0

    def article_count(self) -> int:
        """How many articles exist, any status."""
        with self._sessions() as session:
            return session.scalar(select(func.count(Article.id))) or 0

    def ping(self) -> bool:
        """True when the database answers and would take a write (not a read-only or deleted file, no replica)."""
        try:
            with self.engine.connect() as connection:
                if self.engine.dialect.name == "postgresql":
                    # A read-only server or session, or a role that may read but not save: no writes either way.
                    writable = connection.exec_driver_sql(
                        "SELECT current_setting('transaction_read_only') = 'off' "
                        "AND has_table_privilege('articles', 'INSERT, UPDATE') "
                        "AND has_table_privilege('revisions', 'INSERT')").scalar()
                    return bool(writable)
                connection.exec_driver_sql("SELECT 1")
        except Exception:
            return False
        if self.url.startswith("sqlite:///"):
            # A deleted file goes on answering through open connections, and every write is lost with it.
            path = Path(self.url.removeprefix("sqlite:///"))
            return path.is_file() and os.access(path, os.W_OK) and os.access(path.parent, os.W_OK)
        return True

    def dispose(self) -> None:
        """Close pooled connections."""
        self.engine.dispose()
