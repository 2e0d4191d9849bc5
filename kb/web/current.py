"""The knowledge base the current Flask app serves."""

from __future__ import annotations

from flask import current_app

from kb.knowledge_base import KnowledgeBase


def kb() -> KnowledgeBase:
    """The knowledge base of the app handling this request."""
    return current_app.extensions["kb"]
