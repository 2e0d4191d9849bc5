"""Flask application factory: the thin HTTP layer over the kb core."""

from __future__ import annotations

from typing import Any

from flask import Flask, Response, jsonify
from flask_limiter.util import get_remote_address
from flask_talisman import Talisman
from flask_wtf.csrf import CSRFProtect
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import IntegerConverter, Map

from kb.config import PROJECT_ROOT, Settings, load_settings
from kb.knowledge_base import KnowledgeBase, open_knowledge_base
from kb.store import MAX_ID
from kb.web import (  # noqa: F401 - these modules register their routes on the blueprints
    account_pages,
    admin_api,
    admin_pages,
    analytics_api,
    analytics_pages,
    change_api,
    change_pages,
    editor_pages,
    openapi,
    review_pages,
    search_api,
    suggest_api,
    ticket_pages,
    tokens_api,
)
from kb.web.api import api
from kb.web.auth import init_auth
from kb.web.errors import register_error_handlers
from kb.web.guard import init_guard
from kb.web.identity import init_identity
from kb.web.pages import pages
from kb.web.query_logging import init_query_logging
from kb.web.session_ended import register_session_ended

LOGIN_RATE_LIMIT = "10 per minute"
LOGIN_BURST_LIMIT = "60 per minute"
# Everything from this server only; images may also come from https (screenshots linked in articles).
CONTENT_SECURITY_POLICY = {
    "default-src": "'self'", "script-src": "'self'", "style-src": "'self'", "img-src": ["'self'", "data:", "https:"],
    "object-src": "'none'", "base-uri": "'self'", "form-action": "'self'", "frame-ancestors": "'none'",
}


class StoredInt(IntegerConverter):
    """An <int:…> in a route matches only numbers a database column can hold; a larger one is a 404, not a 500."""

    def __init__(self, url_map: Map, *args: Any, **kwargs: Any) -> None:
        super().__init__(url_map, *args, **{"max": MAX_ID, **kwargs})


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
        SESSION_COOKIE_SECURE=settings.secure_cookies,
        REMEMBER_COOKIE_SECURE=settings.secure_cookies,
        REMEMBER_COOKIE_HTTPONLY=True,
        PERMANENT_SESSION_LIFETIME=12 * 3600,  # one working day; then sign in again
        # The session cookie is written only when the session changes. Rewritten on every response, a request in
        # flight while another tab signed out (the editor's live preview) answered with the old session's
        # cookie, and the next Save went through signed in (a browser test that failed now and then).
        SESSION_REFRESH_EACH_REQUEST=False,
        KB_TRUSTED_USER_HEADER=settings.trusted_user_header,
        KB_TRUSTED_PROXIES=settings.trusted_proxies,
        WTF_CSRF_TIME_LIMIT=None,  # an editor may stay open for hours; the token is bound to the session
        KB_RATE_LIMIT=settings.rate_limit,
        KB_RATELIMIT_STORAGE_URI=settings.ratelimit_storage_uri,
    )
    if settings.proxy_hops > 0:
        # Behind N proxies: client address (rate limits), scheme and host come from their X-Forwarded-* headers.
        n = settings.proxy_hops
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_host=n)  # type: ignore[method-assign]
    app.extensions["kb"] = knowledge_base or open_knowledge_base(settings)
    app.url_map.converters["int"] = StoredInt
    app.register_blueprint(pages)
    app.register_blueprint(api)
    csrf = CSRFProtect(app)
    csrf.exempt(api)  # the API authenticates with bearer tokens, never cookies: nothing to forge
    register_error_handlers(app)
    register_session_ended(app)
    limiter = init_auth(app)
    # Guessing passwords: at most 10 failed tries a minute per address, on top of the per-account lock-out.
    # Only failures count (a team behind one office address signs in at shift start); they are counted
    # after the answer, so a second limit counts every try before it, or a burst sent at once would pass.
    login = limiter.limit(LOGIN_RATE_LIMIT, key_func=get_remote_address, methods=["POST"],
                          deduct_when=lambda response: response.status_code == 401)(app.view_functions["pages.login"])
    app.view_functions["pages.login"] = limiter.limit(LOGIN_BURST_LIMIT, key_func=get_remote_address,
                                                      methods=["POST"])(login)
    init_identity(app)
    init_query_logging(app)
    init_guard(app)
    Talisman(app, force_https=False, session_cookie_secure=settings.secure_cookies,
             content_security_policy=CONTENT_SECURITY_POLICY, frame_options="DENY",
             strict_transport_security=settings.secure_cookies)

    @app.get("/healthz")
    def healthz() -> tuple[Response, int]:
        state = app.extensions["kb"].health()
        return jsonify(state), 200 if state["ok"] else 503

    return app
