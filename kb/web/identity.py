"""Who is making this request: a signed-in user (Flask-Login session or trusted proxy header) or an API token."""

from __future__ import annotations

import hashlib
import ipaddress

from flask import Flask, current_app, g, request
from flask_login import LoginManager, UserMixin, current_user

from kb.errors import Conflict, KBError, ValidationFailed
from kb.permissions import Principal, allows
from kb.tokens import SCOPE_ROLES
from kb.users import UserView
from kb.web.auth import current_token


class SessionUser(UserMixin):
    """Flask-Login's view of an account; its id changes with the password or a disabling, ending older sessions."""

    def __init__(self, user: UserView, session_key: str) -> None:
        self.user = user
        self.session_id = f"{user.id}:{hashlib.sha256(session_key.encode()).hexdigest()[:16]}"

    def get_id(self) -> str:
        """The session key: the user id and a fingerprint of the password hash and the last disabling."""
        return self.session_id


def _load_user(session_id: str) -> SessionUser | None:
    user_id = session_id.partition(":")[0]
    if not (user_id.isascii() and user_id.isdigit()):
        return None
    loaded = current_app.extensions["kb"].users.session_user(int(user_id))
    if loaded is None:
        return None
    user = SessionUser(*loaded)
    return user if user.session_id == session_id and not user.user.disabled else None


class SingleSignOnRefused(KBError):
    """The proxy named a user this app cannot accept (disabled, or not a valid username)."""

    code = "sso_refused"


def _peer_address() -> str:
    """The address that opened this connection: the proxy's own, before ProxyFix put the client's in its place."""
    environ = request.environ
    original = environ.get("werkzeug.proxy_fix.orig")
    # Over a Unix socket the original is "" and must stay so: the rewritten one is the client's.
    return (original.get("REMOTE_ADDR") if original is not None else environ.get("REMOTE_ADDR")) or ""


def _from_trusted_proxy() -> bool:
    address = _peer_address()
    if not address:  # a Unix socket: only a process on this machine, the proxy, can reach it
        return True
    try:
        peer = ipaddress.ip_address(address.split("%")[0])
    except ValueError:
        return False
    peer = getattr(peer, "ipv4_mapped", None) or peer  # a dual-stack listener sees 127.0.0.1 as ::ffff:127.0.0.1
    networks = current_app.config.get("KB_TRUSTED_PROXIES", ())
    return any(peer in ipaddress.ip_network(network, strict=False) for network in networks)


def _proxy_user() -> UserView | None:
    header = current_app.config.get("KB_TRUSTED_USER_HEADER")
    name = request.headers.get(header, "").strip().lower() if header else ""
    if not name:
        return None
    if not _from_trusted_proxy():
        # Someone reached the app around the proxy and named a user: refuse rather than sign them in.
        current_app.logger.warning("%s header from %s, not a trusted proxy (KB_TRUSTED_PROXIES)",
                                   header, _peer_address() or "an unknown address")
        raise SingleSignOnRefused(f"the {header} header is only accepted from the sign-on proxy "
                                  "(KB_TRUSTED_PROXIES)")
    users = current_app.extensions["kb"].users
    user = users.find(name)
    if user is None:
        try:
            user = users.create(name, role="reader", password=None, by="system:sso")
        except Conflict:  # a parallel first request made it
            user = users.find(name)
        except ValidationFailed as exc:
            raise SingleSignOnRefused(f"the sign-on proxy sent an unusable username: {exc.message}") from None
    if user is None or user.disabled:
        # Never fall back to a session cookie: the proxy has said who this is.
        raise SingleSignOnRefused(f"the account {name!r} is disabled")
    return user


def current_principal() -> Principal | None:
    """The user or token making this request, or None for an anonymous one."""
    if "principal" in g:
        return g.principal
    g.principal = principal = None  # if the proxy's user is refused below, the error page renders anonymous
    token = current_token() if request.blueprint == "api" else None
    if token is not None:
        principal = Principal(token.name, SCOPE_ROLES.get(token.scope, ""), token.team, "token")
    else:
        user = _proxy_user() or (current_user.user if current_user.is_authenticated else None)
        if user is not None:
            principal = Principal(user.username, user.role, user.team, "user")
    g.principal = principal
    return principal


def current_actor() -> str:
    """A username, "token:<name>" for API tokens, or "" when nobody is identified."""
    principal = current_principal()
    return principal.actor if principal is not None else ""


def init_identity(app: Flask) -> LoginManager:
    """Sign-in by session cookie; the login page is where anonymous page requests are sent."""
    manager = LoginManager(app)
    manager.user_loader(_load_user)
    manager.login_view = "pages.login"
    manager.session_protection = "basic"
    app.context_processor(_template_helpers)
    return manager


def _template_helpers() -> dict[str, object]:
    def can(action: str, team: str | None = None) -> bool:
        principal = current_principal()
        return principal is not None and allows(principal, action, team)
    return {"me": current_principal, "can": can}
