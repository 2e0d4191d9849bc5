"""The knowledge base the current Flask app serves."""

from __future__ import annotations

from flask import current_app

from kb.knowledge_base import KnowledgeBase
from kb.permissions import Forbidden, Principal


def kb() -> KnowledgeBase:
    """The knowledge base of the app handling this request."""
    return current_app.extensions["kb"]


def actor() -> str:
    """Who is acting, as recorded in revisions, the audit log and analytics: a username, or "token:<name>"."""
    from kb.web.identity import current_actor

    return current_actor()


def principal() -> Principal:
    """The user or token making this request (the access guard has already refused anonymous ones)."""
    from kb.web.identity import current_principal

    found = current_principal()
    if found is None:
        raise Forbidden("sign in first")
    return found
