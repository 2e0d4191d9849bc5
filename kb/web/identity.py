"""Who is making this request: a signed-in user (session or trusted proxy header) or an API token."""

from __future__ import annotations

from kb.web.auth import current_token


def current_actor() -> str:
    """A username, "token:<name>" for API tokens, or "" when nobody is identified."""
    token = current_token()
    return f"token:{token.name}" if token is not None else ""
