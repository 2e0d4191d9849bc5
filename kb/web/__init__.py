"""Flask application factory: the thin HTTP layer over the kb core."""

from __future__ import annotations

from flask import Flask, Response, jsonify
from flask_wtf.csrf import CSRFProtect

from kb.config import PROJECT_ROOT, Settings, load_settings
from kb.knowledge_base import KnowledgeBase, open_knowledge_base
from kb.web import (  # noqa: F401 - these modules register their routes on the blueprints
    editor_pages,
    openapi,
    search_api,
    suggest_api,
    ticket_pages,
    tokens_api,
)
from kb.web.api import api
from kb.web.auth import init_auth
from kb.web.errors import register_error_handlers
from kb.web.pages import pages


def create_app(settings: Settings | None = None, knowledge_base: KnowledgeBase | None = None) -> Flask:
    """Build the app for these settings (default: KB_* environment variables)."""
    settings = settings or (knowledge_base.settings if knowledge_base else load_settings())
    app = Flask(
        __name__,
        template_folder=str(PROJECT_ROOT / "templates"),
        static_folder=str(PROJECT_ROOT / "static"),
        instance_path=str(settings.instance_dir),
    )
    app.config.update(
        SECRET_KEY=settings.secret_key,
        MAX_CONTENT_LENGTH=settings.max_request_bytes,
        JSON_SORT_KEYS=False,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        WTF_CSRF_TIME_LIMIT=None,  # an editor may stay open for hours; the token is bound to the session
        KB_RATE_LIMIT=settings.rate_limit,
        KB_RATELIMIT_STORAGE_URI=settings.ratelimit_storage_uri,
    )
    app.extensions["kb"] = knowledge_base or open_knowledge_base(settings)
    app.register_blueprint(pages)
    app.register_blueprint(api)
    csrf = CSRFProtect(app)
    csrf.exempt(api)  # the API authenticates with bearer tokens, never cookies: nothing to forge
    register_error_handlers(app)
    init_auth(app)

    @app.get("/healthz")
    def healthz() -> tuple[Response, int]:
        state = app.extensions["kb"].health()
        return jsonify(state), 200 if state["ok"] else 503

    return app
