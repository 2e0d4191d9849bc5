"""Admin pages beside users and the audit log: API tokens, teams, and the settings in effect."""

from __future__ import annotations

import secrets
from collections import Counter
from dataclasses import fields

from flask import Response, make_response, redirect, render_template, request, url_for
from sqlalchemy import func, select

from kb.errors import KBError
from kb.models import Article
from kb.tokens import SCOPES
from kb.web.current import kb, principal
from kb.web.pages import pages
from kb.web.requests import record_sent, sent_before

HIDDEN_SETTINGS = frozenset({"secret_key"})


SENT_FORMS = "token_forms"  # the new-token forms already sent: a reload resends one, which creates nothing


def _tokens_page(error: str = "", created: dict | None = None, status: int = 200, resent: bool = False) -> Response:
    # Each page's form carries a fresh id; the secret is shown in the POST's answer only (never in the session
    # cookie, which is signed, not encrypted) and never cached.
    page = make_response(render_template("tokens.html", tokens=kb().tokens.list(), scopes=SCOPES, error=error,
                                         created=created, resent=resent, form_id=secrets.token_urlsafe(12)), status)
    page.headers["Cache-Control"] = "no-store"
    return page


@pages.get("/admin/tokens")
def tokens() -> Response:
    """API tokens: who they are for, their scope and team, when last used; create and revoke."""
    return _tokens_page()


@pages.post("/admin/tokens")
def create_token() -> Response:
    """Create a token and show its secret, once; the same form sent again (a reload) creates no second one."""
    form = request.form
    form_id = form.get("form_id", "")[:64]
    if sent_before(SENT_FORMS, form_id) is not None:
        return _tokens_page(resent=True)
    try:
        token, secret = kb().tokens.create(form.get("name", ""), form.get("scope", ""), form.get("team", ""),
                                           by=principal().actor)
    except KBError as exc:
        return _tokens_page(exc.message, status=422)
    record_sent(SENT_FORMS, form_id, token.id)
    return _tokens_page(created={"name": token.name, "scope": token.scope, "secret": secret})


@pages.post("/admin/tokens/<int:token_id>/revoke")
def revoke_token(token_id: int) -> Response:
    """Revoke a token: its next request is refused."""
    kb().tokens.revoke(token_id, by=principal().actor)
    return redirect(url_for("pages.tokens"), code=303)


@pages.get("/admin/teams")
def teams() -> str:
    """Every team with its members by role and its articles by status."""
    members: dict[str, Counter[str]] = {}
    for user in kb().users.list():
        if not user.disabled:
            members.setdefault(user.team, Counter())[user.role] += 1
    with kb().db.session() as session:
        rows = session.execute(select(Article.team, Article.status, func.count()).group_by(Article.team,
                                                                                        Article.status)).all()
    articles: dict[str, Counter[str]] = {}
    for team, status, n in rows:
        articles.setdefault(team, Counter())[status] = n
    names = sorted(set(members) | set(articles), key=lambda t: (t == "", t))
    return render_template("teams.html", names=names, members=members, articles=articles)


@pages.get("/admin/settings")
def settings() -> str:
    """The settings in effect (from KB_* variables); secrets are never shown."""
    current = kb().settings
    shown = []
    for field in fields(current):
        value = getattr(current, field.name)
        if field.name in HIDDEN_SETTINGS:
            value = "(set)" if value else "(not set)"
        elif "://" in str(value) and "@" in str(value):  # database, limiter store: never the credentials
            scheme, _, rest = str(value).partition("://")
            value = f"{scheme}://…@{rest.rpartition('@')[2]}"
        shown.append((field.name, value))
    return render_template("settings.html", settings=shown)
