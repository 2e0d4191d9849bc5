"""The knowledge base the current Flask app serves."""

from __future__ import annotations

from flask import current_app

from kb.knowledge_base import KnowledgeBase


def kb() -> KnowledgeBase:
    """The knowledge base of the app handling this request."""
    return current_app.extensions["kb"]


def actor() -> str:
    """Who is acting, as recorded in revisions, the audit log and analytics: a username, or "token:<name>"."""
    from kb.web.identity import current_actor

    return current_actor()
