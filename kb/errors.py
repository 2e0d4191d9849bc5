"""Errors the core raises; the web layer maps each to one HTTP status and the JSON error shape."""

from __future__ import annotations


class KBError(Exception):
    """Base of every expected failure, with a stable machine-readable code."""

    code = "error"

    def __init__(self, message: str, **details: object) -> None:
        super().__init__(message)
        self.message = message
        self.details = details


class NotFound(KBError):
    """The article, revision or other object does not exist."""

    code = "not_found"


class ValidationFailed(KBError):
    """Input was well-formed but not acceptable (a missing title, an unknown status)."""

    code = "validation_failed"


class TooLarge(KBError):
    """A field or request exceeds its size limit."""

    code = "too_large"


class Conflict(KBError):
    """A save was based on a revision that is no longer current."""

    code = "conflict"


class PreconditionRequired(KBError):
    """A save did not say which revision it was based on."""

    code = "precondition_required"


class ConfigurationError(KBError, ValueError):
    """A KB_* setting is unusable: a number that is not one, an unknown model, a database URL nothing can open."""

    code = "configuration"
