"""The Alembic migrations build exactly the schema the models describe (no forgotten migration)."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from kb.db import Database
from kb.errors import KBError
from kb.models import Base


def test_migrated_schema_matches_the_models(tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path / 'kb.sqlite'}")
    db.migrate()
    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, Base.metadata) == []
    db.dispose()


def test_the_newest_migrations_go_down_and_up_again(tmp_path: Path) -> None:
    from alembic import command
    from sqlalchemy import inspect

    from kb.db import alembic_config

    db = Database(f"sqlite:///{tmp_path / 'kb.sqlite'}")
    db.migrate()
    config = alembic_config(db.url)
    with db.engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "0010")
    with db.engine.connect() as connection:
        assert "article_votes" not in inspect(connection).get_table_names()
        assert "search_counts" in inspect(connection).get_table_names()  # 0013 dropped it; down brings it back
        assert not inspect(connection).get_unique_constraints("feedback")  # 0014's, gone again
        assert "sessions_ended_at" not in {c["name"] for c in inspect(connection).get_columns("users")}
    db.migrate()
    with db.engine.connect() as connection:
        assert compare_metadata(MigrationContext.configure(connection, opts={"compare_type": True}),
                                Base.metadata) == []
    db.dispose()


def test_0014_keeps_one_of_each_repeated_verdict_and_then_refuses_repeats(tmp_path: Path) -> None:
    import pytest
    from alembic import command
    from sqlalchemy import text
    from sqlalchemy.exc import IntegrityError

    from kb.db import alembic_config

    db = Database(f"sqlite:///{tmp_path / 'kb.sqlite'}")
    config = alembic_config(db.url)
    with db.engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "0013")
        connection.exec_driver_sql("INSERT INTO suggest_queries (id, created_at, channel, query_text, shown, "
                                   "abstained, top_confidence) VALUES ('q', '2026-11-01', '', '', '[1]', 0, 0)")
        for outcome in ("linked", "linked", "helpful"):
            connection.execute(text("INSERT INTO feedback (query_id, article_id, outcome, ticket_ref, created_at) "
                                    "VALUES ('q', 1, :o, '', '2026-11-01')"), {"o": outcome})
    db.migrate()
    with db.engine.begin() as connection:
        kept = connection.exec_driver_sql("SELECT outcome FROM feedback ORDER BY id").scalars().all()
    assert kept == ["linked", "helpful"]
    with pytest.raises(IntegrityError), db.engine.begin() as connection:
        connection.exec_driver_sql("INSERT INTO feedback (query_id, article_id, outcome, ticket_ref, created_at) "
                                   "VALUES ('q', 1, 'linked', '', '2026-11-01')")
    db.dispose()


def test_a_database_server_that_is_down_at_start_is_waited_for(monkeypatch) -> None:
    from sqlalchemy.exc import OperationalError

    db = Database("postgresql+psycopg://kb@127.0.0.1:9/kb", wait_seconds=5)  # nothing connects yet
    attempts = []

    def down_twice() -> None:
        attempts.append(1)
        if len(attempts) < 3:  # the server is restarting
            raise OperationalError("connect", {}, ConnectionRefusedError("refused"))

    monkeypatch.setattr(db, "_migrate", down_twice)
    monkeypatch.setattr("kb.db.time.sleep", lambda seconds: None)
    db.migrate()
    assert len(attempts) == 3
    gone = Database("postgresql+psycopg://kb@127.0.0.1:9/kb", wait_seconds=0)
    attempts.clear()
    monkeypatch.setattr(gone, "_migrate", down_twice)
    with pytest.raises(KBError, match="cannot reach the database"):
        gone.migrate()
    db.dispose()
    gone.dispose()
