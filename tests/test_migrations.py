"""The Alembic migrations build exactly the schema the models describe (no forgotten migration)."""

from __future__ import annotations

from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from kb.db import Database
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
        assert "sessions_ended_at" not in {c["name"] for c in inspect(connection).get_columns("users")}
    db.migrate()
    with db.engine.connect() as connection:
        assert compare_metadata(MigrationContext.configure(connection, opts={"compare_type": True}),
                                Base.metadata) == []
    db.dispose()
