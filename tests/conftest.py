"""Shared fixtures: every test gets its own database, index and instance folder under tmp_path."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from kb.config import Settings
from kb.knowledge_base import KnowledgeBase, open_knowledge_base
from kb.web import create_app


def sign_in(client: FlaskClient, username: str, role: str, team: str = "") -> None:
    """Put a session for this user (created if missing) into the client, as a successful login would."""
    from kb.web.identity import SessionUser

    users = client.application.extensions["kb"].users
    user = users.find(username) or users.create(username, role=role, password=None, team=team, by="test")
    loaded = users.session_user(user.id)
    with client.session_transaction() as session:
        session["_user_id"] = SessionUser(*loaded).get_id()
        session["_fresh"] = True


class AdminTokenClient(FlaskClient):
    """A test client signed in as an admin and sending an admin token, so other tests need no auth set-up."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        knowledge_base = self.application.extensions.get("kb")
        if knowledge_base is not None:
            _, secret = knowledge_base.tokens.create("test-client", "admin")
            self.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {secret}"
            sign_in(self, "test-admin", "admin")

    def open(self, *args, **kwargs):
        """Close each response as a WSGI server does, which runs the work deferred until after it (the query log)."""
        response = super().open(*args, **kwargs)
        response.get_data()  # kept: the test can still read it after the close
        response.close()
        return response


@pytest.fixture(autouse=True)
def _clients_send_an_admin_token(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every app.test_client() authenticates as admin; tests of auth itself drop the header."""
    monkeypatch.setattr(Flask, "test_client_class", AdminTokenClient)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """Settings on temporary folders, with an empty content folder and no auto-import."""
    content = tmp_path / "content"
    content.mkdir()
    return Settings(
        database_url=f"sqlite:///{tmp_path / 'kb.sqlite'}",
        index_dir=tmp_path / "index",
        content_dir=content,
        instance_dir=tmp_path / "instance",
        secret_key="test-secret",
        embedding_model="fake",
        max_body_bytes=20_000,
        max_request_bytes=100_000,
        auto_import=False,
        secure_cookies=False,
    )


@pytest.fixture
def knowledge_base(settings: Settings) -> Iterator[KnowledgeBase]:
    """A migrated, empty knowledge base without search (fast: most tests need only the store)."""
    kb = open_knowledge_base(settings, with_search=False)
    yield kb
    kb.close()


@pytest.fixture
def searchable_kb(settings: Settings) -> Iterator[KnowledgeBase]:
    """A migrated, empty knowledge base with both indexes, on the deterministic fake embedder."""
    kb = open_knowledge_base(settings)
    yield kb
    kb.close()


@pytest.fixture
def search_client(searchable_kb: KnowledgeBase):
    """A test client (sending an admin token) of an app whose knowledge base can search."""
    application = create_app(knowledge_base=searchable_kb)
    application.config["TESTING"] = True
    return application.test_client()


@pytest.fixture
def store(knowledge_base: KnowledgeBase):
    """The article store of the test knowledge base."""
    return knowledge_base.store


@pytest.fixture
def app(knowledge_base: KnowledgeBase):
    """The Flask app over the test knowledge base."""
    application = create_app(knowledge_base=knowledge_base)
    application.config["TESTING"] = True
    return application


@pytest.fixture
def client(app):
    """A test client of the app, sending an admin token."""
    return app.test_client()


@pytest.fixture
def cli_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """KB_* variables pointing the command line (and `app.py`) at a temporary installation."""
    monkeypatch.setenv("KB_INSTANCE_DIR", str(tmp_path / "instance"))
    monkeypatch.setenv("KB_INDEX_DIR", str(tmp_path / "index"))
    monkeypatch.setenv("KB_DATABASE_URL", f"sqlite:///{tmp_path / 'cli.sqlite'}")
    monkeypatch.setenv("KB_EMBEDDING_MODEL", "fake")
    monkeypatch.setenv("KB_AUTO_IMPORT", "0")
    return tmp_path


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    """One headless Chromium for every browser test module (launching it takes a second or two)."""
    from browser_support import chromium

    with chromium() as launched:
        yield launched
