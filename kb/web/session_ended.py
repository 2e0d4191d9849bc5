"""A form sent after its session ended (signed out in another tab, the working day over): sign in and go on."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Flask, redirect, render_template, request, url_for
from flask_wtf.csrf import CSRFError

from kb.web.errors import error_response
from kb.web.identity import current_principal
from kb.web.requests import safe_next

ENDED = ("Your session ended, so this was not saved. Sign in to go on: the editor keeps the text you typed "
         "in this browser and offers it again.")
EXPIRED = "The sign-in page had expired. Please sign in again."
STALE = ("This page was opened before you last signed in or out, so it was not sent. Reload the page and try "
         "again: the editor keeps the text you typed in this browser and offers it again.")


def _back() -> str:
    """The page the form was on, when it is on this site."""
    referrer = urlsplit(request.referrer or "")
    if referrer.netloc and referrer.netloc != request.host:
        return safe_next("")
    return safe_next(referrer.path + (f"?{referrer.query}" if referrer.query else ""))


def register_session_ended(app: Flask) -> None:
    """Answer a refused CSRF token with the sign-in form (session gone) or a way back, never a bare 400."""

    @app.errorhandler(CSRFError)
    def handle_csrf_error(exc: CSRFError):  # noqa: ANN202
        if request.path.startswith("/api/"):
            return error_response(400, "bad_request", exc.description)
        signed_in = current_principal() is not None
        if request.endpoint == "pages.logout" and not signed_in:  # signing out of a session that already ended
            return redirect(url_for("pages.login"), code=303)
        if request.endpoint == "pages.login":  # the sign-in page itself sat open too long: it goes where it went
            return render_template("login.html", next=safe_next(request.form.get("next", "/")), error=EXPIRED), 400
        if not signed_in:
            return render_template("login.html", next=_back(), error=ENDED), 401
        return render_template("error.html", status=400, message=STALE, back=_back()), 400
