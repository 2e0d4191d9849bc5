"""Bearer-token authentication, per-endpoint scopes and rate limits for the /api/v1 blueprint.

Rate limits are counted in KB_RATELIMIT_STORAGE_URI. The default, memory://, counts per process:
with several workers (gunicorn -w N) each would allow the full limit, so use a shared store such as
redis://host:6379 there. Behind a reverse proxy, apply werkzeug's ProxyFix so unauthenticated
requests are keyed by the client's address rather than the proxy's.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable

from flask import Flask, Response, current_app, g, request
from flask_limiter import Limiter, RateLimitExceeded
from flask_limiter.util import get_remote_address
from limits import parse_many

from kb.tokens import TokenView, scope_allows
from kb.web.errors import error_response

API_BLUEPRINT = "api"
DEFAULT_RATE_LIMIT = "600 per minute"
DEFAULT_STORAGE_URI = "memory://"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

# Public by URL rather than endpoint name: the OpenAPI route is registered by another module.
PUBLIC_RULES = frozenset({"/api/v1/healthz", "/api/v1/openapi.json"})

# The one place that decides which scope each API endpoint needs (Flask endpoint name -> scope).
# Endpoints not listed here follow the rules in `required_scope`.
REQUIRED_SCOPES: dict[str, str] = {
    "api.list_articles": "read",
    "api.get_article": "read",
    "api.list_revisions": "read",
    "api.get_revision": "read",
    "api.diff_revisions": "read",
    "api.search": "read",
    "api.create_article": "write",
    "api.replace_article": "write",
    "api.patch_article": "write",
    "api.delete_article": "write",
    "api.restore_revision": "write",
    "api.suggest": "suggest",
    "api.suggest_feedback": "suggest",
    "api.create_article_from_ticket": "write",
    "api.list_tokens": "admin",
    "api.create_token": "admin",
    "api.revoke_token": "admin",
}
ADMIN_MODULES = frozenset({"kb.web.tokens_api"})


def required_scope(endpoint: str, method: str, module: str = "") -> str:
    """The scope an API request needs: the table first; an unlisted endpoint fails closed."""
    if endpoint in REQUIRED_SCOPES:
        return REQUIRED_SCOPES[endpoint]
    if module in ADMIN_MODULES:
        return "admin"
    # A new endpoint nobody classified: reads need write, writes need admin, never the lowest scope.
    return "write" if method.upper() in SAFE_METHODS else "admin"


def _bearer_secret() -> str | None:
    scheme, _, secret = request.headers.get("Authorization", "").strip().partition(" ")
    if scheme.lower() != "bearer" or not secret.strip():
        return None
    return secret.strip()


def current_token() -> TokenView | None:
    """The token that authenticated this request; None when it sent no valid one."""
    if "token" not in g:
        secret = _bearer_secret()
        g.token = current_app.extensions["kb"].tokens.verify(secret) if secret else None
    return g.token


def _is_public() -> bool:
    rule = request.url_rule
    return rule is not None and rule.rule in PUBLIC_RULES and request.method in ("GET", "HEAD")


def _unauthorized() -> Response:
    if "Authorization" not in request.headers:
        response = error_response(401, "unauthorized", "send 'Authorization: Bearer <token>'")
        response.headers["WWW-Authenticate"] = 'Bearer realm="kb"'
    else:
        # Never echo the presented credential: it may be a real secret with a typo.
        response = error_response(401, "unauthorized", "the bearer token is malformed, unknown or revoked")
        response.headers["WWW-Authenticate"] = 'Bearer realm="kb", error="invalid_token"'
    return response


def _forbidden(have: str, need: str) -> Response:
    response = error_response(403, "forbidden", f"this token's scope '{have}' does not allow this; "
                              f"it needs '{need}' or higher", required_scope=need, token_scope=have)
    response.headers["WWW-Authenticate"] = f'Bearer realm="kb", error="insufficient_scope", scope="{need}"'
    return response


def _enforce() -> Response | None:
    """before_request: reject API requests without a token of a sufficient scope."""
    if request.blueprint != API_BLUEPRINT or request.url_rule is None or _is_public():
        return None
    token = current_token()
    if token is None:
        return _unauthorized()
    endpoint = request.endpoint or ""
    view = current_app.view_functions.get(endpoint)
    need = required_scope(endpoint, request.method, getattr(view, "__module__", ""))
    if not scope_allows(token.scope, need):
        return _forbidden(token.scope, need)
    return None


def _rate_limit_key() -> str:
    # The token id, not the secret: limiter keys end up in the store and in Flask-Limiter's log lines.
    token = current_token()
    return f"token:{token.id}" if token is not None else f"addr:{get_remote_address()}"


def _configured_limit() -> str:
    # Read per request so tests (and operators in a shell) can change app.config["KB_RATE_LIMIT"].
    return current_app.config["KB_RATE_LIMIT"]


def _outside_api() -> bool:
    return request.blueprint != API_BLUEPRINT


def _rate_limited_handler(limiter: Limiter) -> Callable[[RateLimitExceeded], Response]:
    def handle(exc: RateLimitExceeded) -> Response:
        current = limiter.current_limit
        reset_at = current.window.reset_time if current is not None else time.time() + 60
        response = error_response(429, "rate_limited", f"rate limit exceeded: at most {exc.description}",
                                  limit=exc.description)
        response.headers["Retry-After"] = str(max(1, math.ceil(reset_at - time.time())))
        return response
    return handle


def init_auth(app: Flask) -> Limiter:
    """Protect the API blueprint: rate limit first (so floods of bad tokens are limited too), then auth."""
    app.config.setdefault("KB_RATE_LIMIT", DEFAULT_RATE_LIMIT)
    app.config.setdefault("KB_RATELIMIT_STORAGE_URI", DEFAULT_STORAGE_URI)
    parse_many(app.config["KB_RATE_LIMIT"])  # a typo in the setting fails at start, not on every request
    limiter = Limiter(
        _rate_limit_key,
        application_limits=[_configured_limit],
        application_limits_exempt_when=_outside_api,
        storage_uri=app.config["KB_RATELIMIT_STORAGE_URI"],
        headers_enabled=False,
        key_prefix="kb",
    )
    limiter.init_app(app)  # registers its before_request hook, which must run before _enforce
    app.before_request(_enforce)
    app.register_error_handler(RateLimitExceeded, _rate_limited_handler(limiter))
    app.extensions["kb_limiter"] = limiter
    return limiter

