"""Writes searches, suggestions and opened results to the query log, with who asked and from where."""

from __future__ import annotations

import time

from flask import session

from kb.index.base import Filters
from kb.search import SearchResponse
from kb.suggest import SuggestResult
from kb.web.current import actor, kb

TYPING_SECONDS = 10.0  # a page search refined within this long is the same search still being typed
LAST_SEARCH = "kb_last_search"


def filters_dict(filters: Filters) -> dict[str, list[str]]:
    """The filters that were set, as JSON."""
    return {"tag": list(filters.tags), "team": list(filters.teams), "lang": list(filters.languages)}


def _still_typing(key: str) -> str | None:
    """The log id of this browser's previous search when the new query only extends or trims it."""
    last = session.get(LAST_SEARCH)
    if not isinstance(last, list) or len(last) != 3 or time.time() - float(last[2]) > TYPING_SECONDS:
        return None
    previous = str(last[1])
    return str(last[0]) if key.startswith(previous) or previous.startswith(key) else None


def log_search(query: str, mode: str, filters: Filters, response: SearchResponse, source: str) -> str | None:
    """Log one search; search-as-you-type keystrokes of one page search collapse into a single row."""
    analytics = kb().analytics
    if analytics is None or not analytics.log.enabled:
        return None
    key = " ".join(query.lower().split())
    replaces = _still_typing(key) if source == "page" else None
    log_id = analytics.log.record_search(
        query, mode=mode, filters=filters_dict(filters), shown=[r.id for r in response.results],
        total=response.total, took_ms=response.took_ms, actor=actor(), source=source, replaces=replaces)
    if source == "page" and log_id:
        session[LAST_SEARCH] = [log_id, key, time.time()]
    return log_id


def log_suggestion(result: SuggestResult, filters: dict[str, object], source: str = "api") -> None:
    """Log one suggestion under its query_id, with its latency and who asked."""
    analytics = kb().analytics
    if analytics is None:
        return
    text = "\n".join(part for part in (result.cleaned.subject, result.cleaned.text) if part)
    analytics.log.record_suggest(result.query_id, text, filters=filters, shown=[s.id for s in result.suggestions],
                                 abstained=result.abstained, took_ms=result.took_ms, actor=actor(), source=source)


def log_opened(log_id: str, article_id: str) -> None:
    """An agent opened a result of a logged search."""
    analytics = kb().analytics
    if analytics is not None and log_id and article_id.isdigit():
        analytics.log.click(log_id, int(article_id))
