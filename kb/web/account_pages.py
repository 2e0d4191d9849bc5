"""Sign in and out, and the admins' user management page."""

from __future__ import annotations

from collections import Counter

from flask import Response, redirect, render_template, request, session, url_for
from flask_login import login_user, logout_user

from kb.errors import KBError
from kb.models import ROLES
from kb.users import MAX_PASSWORD, LoginFailed
from kb.web.current import kb, principal
from kb.web.identity import SessionUser
from kb.web.pages import pages
from kb.web.requests import safe_next


@pages.route("/login", methods=["GET", "POST"])
def login() -> Response | tuple[str, int]:
    """The sign-in form; a wrong password counts towards the account's lock-out."""
    target = safe_next(request.values.get("next", "/"))
    if request.method == "GET":
        return render_template("login.html", next=target, error=""), 200
    username = request.form.get("username", "")[:100]
    try:
        # One character over the longest a password may be: bounded hashing, and never a cut-off match.
        user = kb().users.authenticate(username, request.form.get("password", "")[:MAX_PASSWORD + 1])
    except LoginFailed as exc:
        return render_template("login.html", next=target, error=exc.message, username=username), 401
    loaded = kb().users.session_user(user.id)
    assert loaded is not None
    session.clear()  # nothing planted before sign-in (a CSRF token, say) survives into the signed-in session
    session.permanent = True  # ends after PERMANENT_SESSION_LIFETIME (a working day), even with the browser open
    login_user(SessionUser(*loaded))
    return redirect(target, code=303)


@pages.post("/logout")
def logout() -> Response:
    """End the session, and forget everything it held (recent search state included)."""
    logout_user()
    session.clear()
    response = redirect(url_for("pages.login"), code=303)
    # What the browser kept for this person (recent searches, editor copies, a ticket's suggestions) goes too.
    response.headers["Clear-Site-Data"] = '"storage"'
    return response


@pages.get("/admin/users")
def users() -> tuple[str, int]:
    """Every account with its role and team; forms to add one or change one."""
    return _users_page("", 200)


def _users_page(error: str, status: int) -> tuple[str, int]:
    # An account that owns articles it can no longer edit (disabled, demoted, moved team): say so where it happened.
    orphaned = Counter(o.article.owner for o in kb().workflow.orphaned())
    return render_template("users.html", users=kb().users.list(), roles=ROLES, error=error,
                           orphaned=orphaned), status


@pages.post("/admin/users")
def create_user() -> Response | tuple[str, int]:
    """Add an account."""
    form = request.form
    try:
        kb().users.create(form.get("username", ""), role=form.get("role", "reader"),
                          password=form.get("password") or None, team=form.get("team", ""),
                          display_name=form.get("display_name", ""), by=principal().actor)
    except KBError as exc:
        return _users_page(exc.message, 422)
    return redirect(url_for("pages.users"), code=303)


@pages.post("/admin/users/<int:user_id>")
def update_user(user_id: int) -> Response | tuple[str, int]:
    """Change an account's role, team, password or disabled state."""
    form = request.form
    disabled = {"yes": True, "no": False}.get(form.get("disabled", ""))
    try:
        kb().users.update(user_id, by=principal().actor, role=form.get("role") or None,
                          team=form.get("team") if "team" in form else None,
                          password=form.get("password") or None, disabled=disabled)
    except KBError as exc:
        return _users_page(exc.message, 422)
    return redirect(url_for("pages.users"), code=303)
