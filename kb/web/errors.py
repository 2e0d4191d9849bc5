"""One JSON error shape for the API: {"error": {"code", "message", ...details}}."""

from __future__ import annotations

from typing import Any

from flask import Flask, Response, jsonify, render_template, request
from sqlalchemy.exc import DBAPIError, OperationalError
from werkzeug.exceptions import HTTPException

from kb.errors import Conflict, KBError, NotFound, PreconditionRequired, TooLarge, ValidationFailed
from kb.permissions import Forbidden
from kb.users import LoginFailed

REFUSED_WRITES = {"25006", "42501"}  # PostgreSQL: read-only transaction, insufficient privilege
STATUS_BY_ERROR: dict[type[KBError], int] = {
    NotFound: 404, ValidationFailed: 422, TooLarge: 413, Conflict: 409, PreconditionRequired: 428,
}


class BadRequest(KBError):
    """The request itself is malformed: not JSON, wrong parameter types."""

    code = "bad_request"


STATUS_BY_ERROR[BadRequest] = 400
STATUS_BY_ERROR[Forbidden] = 403
STATUS_BY_ERROR[LoginFailed] = 401


def _register_late() -> None:
    from kb.web.identity import SingleSignOnRefused

    STATUS_BY_ERROR[SingleSignOnRefused] = 403


def register_status(error: type[KBError], status: int) -> None:
    """Declare the HTTP status of a core or web error class."""
    STATUS_BY_ERROR[error] = status


def status_of(exc: KBError) -> int:
    """The HTTP status of a core or web error (400 for one never declared)."""
    return STATUS_BY_ERROR.get(type(exc), 400)


def error_response(status: int, code: str, message: str, **details: Any) -> Response:
    """The API's error body with the given HTTP status."""
    response = jsonify({"error": {"code": code, "message": message, **details}})
    response.status_code = status
    return response


def _wants_json() -> bool:
    return request.path.startswith("/api/v1/") or request.path in ("/api/v1", "/healthz")


def register_error_handlers(app: Flask) -> None:
    """Map core errors and HTTP errors to JSON for the API and to a page elsewhere."""
    _register_late()

    @app.errorhandler(KBError)
    def handle_kb_error(exc: KBError):  # noqa: ANN202
        status = status_of(exc)
        if _wants_json():
            return error_response(status, exc.code, exc.message, **exc.details)
        return render_template("error.html", status=status, message=exc.message), status

    @app.errorhandler(HTTPException)
    def handle_http_error(exc: HTTPException):  # noqa: ANN202
        status = exc.code or 500
        code = (exc.name or "error").lower().replace(" ", "_")
        message = exc.description or exc.name
        if _wants_json():
            response = error_response(status, code, message)
            for header in ("Retry-After", "Allow"):
                if exc.get_response().headers.get(header):
                    response.headers[header] = exc.get_response().headers[header]
            return response
        return render_template("error.html", status=status, message=message), status

    @app.errorhandler(DBAPIError)
    def handle_database_error(exc: DBAPIError):  # noqa: ANN202
        state = getattr(exc.orig, "sqlstate", None)
        if not (isinstance(exc, OperationalError) or state in REFUSED_WRITES):
            return handle_unexpected(exc)
        app.logger.error("database unavailable: %s", exc.orig)  # down, restarting, read-only, or no privilege
        message = "the database is unavailable or refuses writes; try again shortly"
        if _wants_json():
            return error_response(503, "database_unavailable", message)
        return render_template("error.html", status=503, message=message), 503

    @app.errorhandler(Exception)
    def handle_unexpected(exc: Exception):  # noqa: ANN202
        app.logger.exception("unhandled error")
        if _wants_json():
            return error_response(500, "internal_error", "unexpected server error")
        return render_template("error.html", status=500, message="Unexpected server error"), 500
