"""The same store, migrations, API and round trip on a real PostgreSQL server (pgserver, started by the tests)."""

from __future__ import annotations

import uuid
import warnings
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, text, update

from kb.analytics import REPORTS
from kb.analytics.drift import REJECTED
from kb.content_io import export_directory, import_directory
from kb.errors import Conflict
from kb.knowledge_base import open_knowledge_base
from kb.models import Article, Base, utcnow
from kb.store import ArticleQuery
from kb.web import create_app

pgserver = pytest.importorskip("pgserver")


@pytest.fixture(scope="module")
def server_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # platformdirs warns about XDG_RUNTIME_DIR on servers
        server = pgserver.get_server(tmp_path_factory.mktemp("pg"), cleanup_mode="stop")
    yield server.get_uri().replace("postgresql://", "postgresql+psycopg://")
    server.cleanup()


@pytest.fixture
def pg_settings(settings, server_url: str):
    name = f"kb_{uuid.uuid4().hex[:10]}"
    admin = create_engine(server_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f"CREATE DATABASE {name}"))
    admin.dispose()
    return settings.with_overrides(database_url=server_url.replace("/postgres?", f"/{name}?"))


@pytest.fixture
def pg_kb(pg_settings):
    kb = open_knowledge_base(pg_settings, with_search=False)
    yield kb
    kb.close()


def test_migrations_create_every_table(pg_kb) -> None:
    with pg_kb.db.engine.connect() as connection:
        tables = set(connection.execute(text(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public'")).scalars())
    assert {"articles", "article_tags", "revisions", "changes", "alembic_version"} <= tables
    with pg_kb.db.engine.connect() as connection:  # and exactly the schema the models describe
        assert compare_metadata(MigrationContext.configure(connection, opts={"compare_type": True}),
                                Base.metadata) == []


def test_revisions_conflicts_and_filters(pg_kb) -> None:
    store = pg_kb.store
    article = store.create({"title": "Kassen åbner ikke", "body": "v1", "tags": ["hardware"], "language": "da",
                            "status": "published"}, author="maja")
    store.update(article.id, {"body": "v2"}, base_revision=1, author="tomasz", message="fix")
    with pytest.raises(Conflict):
        store.update(article.id, {"body": "v3"}, base_revision=1, author="maja")
    restored = store.restore(article.id, 1, author="maja")
    assert (restored.revision, restored.body) == (3, "v1")
    assert store.list(ArticleQuery(tag="hardware", languages=("da",))).total == 1
    assert store.changed_since(0)[1] == [article.id]


def test_helpful_votes_count_once_per_person_and_follow_a_changed_mind(pg_kb) -> None:
    article = pg_kb.store.create({"title": "Votes", "body": "x", "status": "published"}, author="maja")
    for helpful in (True, True, False, False, True):
        stats = pg_kb.feedback.vote(article.id, helpful, "maja")
    pg_kb.feedback.vote(article.id, False, "ole")
    assert (stats.helpful, pg_kb.feedback.stats(article.id).did_not_answer) == (1, 1)


def test_timestamps_read_back_in_utc_whatever_the_servers_zone(pg_kb) -> None:
    article = pg_kb.store.create({"title": "Zoned", "body": "x"}, author="maja")
    with pg_kb.db.engine.begin() as connection:
        database = connection.exec_driver_sql("SELECT current_database()").scalar()
        connection.exec_driver_sql(f"ALTER DATABASE \"{database}\" SET timezone = 'America/New_York'")
    pg_kb.db.engine.dispose()  # new connections take the zone
    try:
        again = pg_kb.store.get(article.id)
        assert again.created_at == article.created_at and again.created_at.utcoffset().total_seconds() == 0
    finally:
        with pg_kb.db.engine.begin() as connection:
            connection.exec_driver_sql(f"ALTER DATABASE \"{database}\" RESET timezone")
        pg_kb.db.engine.dispose()


def test_health_says_no_writes_for_a_read_only_session_or_a_role_that_may_only_read(pg_kb) -> None:
    from kb.db import Database

    assert pg_kb.db.ping()
    url = pg_kb.db.engine.url
    role = f"ro_{uuid.uuid4().hex[:8]}"
    with pg_kb.db.engine.begin() as connection:
        connection.exec_driver_sql(f"CREATE ROLE {role} LOGIN")
        connection.exec_driver_sql(f"GRANT SELECT ON ALL TABLES IN SCHEMA public TO {role}")
    reader = Database(url.set(username=role, password=None).render_as_string(hide_password=False))
    read_only = Database(url.render_as_string(hide_password=False).replace(
        "?", "?options=-c%20default_transaction_read_only%3Don&", 1))
    try:
        assert not reader.ping() and not read_only.ping()
    finally:
        reader.dispose()
        read_only.dispose()


def test_content_round_trip(pg_kb, tmp_path: Path) -> None:
    source = Path(__file__).resolve().parent.parent / "content"
    report = import_directory(pg_kb.store, source)
    assert not report.errors
    export_directory(pg_kb.store, tmp_path)
    for path in sorted(source.glob("*.md")):
        assert (tmp_path / path.name).read_text() == path.read_text(), path.name


def test_api_with_search_on_postgres(pg_settings) -> None:
    kb = open_knowledge_base(pg_settings)
    try:
        client = create_app(knowledge_base=kb).test_client()
        created = client.post("/api/v1/articles", json={"title": "Zebra label offset", "status": "published",
                                                         "body": "## Fix\n\nCalibrate the Zebra printer."})
        assert created.status_code == 201
        results = client.get("/api/v1/search?q=zebra+calibrate").json["results"]
        assert results[0]["url"] == "/articles/zebra-label-offset#fix"
        health = client.get("/healthz")
        assert health.status_code == 200 and health.json["database"] == {**health.json["database"], "ok": True,
                                                                       "dialect": "postgresql"}
        article = created.json["id"]
        with kb.db.session() as session:  # saved an hour ago: the verdicts below come after it, whatever the clock
            session.execute(update(Article).where(Article.id == article).values(
                updated_at=utcnow() - timedelta(hours=1)))
        for _ in range(3):  # suggestions (daily counts upserted) and rejections: drift on PostgreSQL's SQL
            answer = client.post("/api/v1/suggest", json={"text": "the zebra label prints offset"}).json
            assert answer["suggestions"][0]["id"] == article
            client.post(f"/api/v1/suggest/{answer['query_id']}/feedback",
                        json={"article_id": article, "outcome": "not_related"})
        for report in REPORTS:
            assert client.get(f"/api/v1/analytics/{report}").status_code == 200, report
        drift = client.get("/api/v1/analytics/drift").json["rows"]  # PostgreSQL's date and time SQL
        assert [(r["id"], r["rejected"], r["reason"]) for r in drift] == [(article, 3, REJECTED)]
        for outcome in ("linked", "linked", "not_related"):  # a retry, then the slip taken back
            stats = client.post(f"/api/v1/suggest/{answer['query_id']}/feedback",
                                json={"article_id": article, "outcome": outcome}).json["stats"]
        assert (stats["links"], stats["not_related"]) == (0, 3)  # counters updated in PostgreSQL's own SQL
        client.get(f"/articles/{created.json['slug']}")
        assert kb.reads.recent(article) == 1  # the daily reads upsert, on PostgreSQL
        assert client.get("/analytics").status_code == 200 and client.get("/admin/audit").status_code == 200
        kb.users.create("pg-author", role="author", password="correct horse battery", team="ops", by="t")
        assert kb.users.authenticate("pg-author", "correct horse battery").role == "author"
        actions = {e.action for e in kb.audit.list()[0]}
        assert {"article.created", "user.created", "token.created"} <= actions
    finally:
        kb.close()
