"""Writes searches, suggestions and opened results to the query log, with who asked and from where.

The rows are written after the response has gone out (werkzeug's call_on_close), so an agent never
waits for the log: the request only masks nothing and decides the row id, the write happens later.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable

from flask import Flask, Response, g, session

from kb.index.base import Filters
from kb.personal_data import mask_personal_data
from kb.search_results import SearchResponse
from kb.suggest import SuggestResult, confidence
from kb.web.current import actor, kb

log = logging.getLogger(__name__)
TYPING_SECONDS = 10.0  # a page search refined within this long is the same search still being typed
# Measured on the dev sets (questions of one set against another's corpus as the unanswerable ones):
# 0.3 calls 75-88% of those unanswered and 8-22% of answerable questions, most of them answered wrongly.
NO_ANSWER_BELOW = 0.3
TYPED_KEY_CHARS = 200  # of a query kept in the session cookie to tell refinements: a pasted e-mail would burst it
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


def after_response(job: Callable[[], object]) -> None:
    """Run this once the response has been sent (or at once outside a request's response)."""
    g.setdefault("kb_after_response", []).append(job)


def _run(jobs: list[Callable[[], object]]) -> None:
    while jobs:  # popped, so a response closed twice does not write twice
        job = jobs.pop(0)
        try:
            job()
        except Exception:  # a lost log row must never break or slow a search
            log.exception("query log write failed")


def init_query_logging(app: Flask) -> None:
    """Attach the deferred log writes of each request to its response."""
    @app.after_request
    def _attach(response: Response) -> Response:
        jobs = g.pop("kb_after_response", None)
        if jobs:
            response.call_on_close(lambda: _run(jobs))
        return response


def log_search(query: str, mode: str, filters: Filters, response: SearchResponse, source: str) -> str | None:
    """Log one search; search-as-you-type keystrokes of one page search collapse into a single row."""
    analytics = kb().analytics
    if analytics is None or not analytics.log.enabled:
        return None
    key = " ".join(mask_personal_data(query).lower().split())[:TYPED_KEY_CHARS]
    if not key:
        return None  # an empty box is not a search (and must not count as one that found nothing)
    replaces = _still_typing(key) if source == "page" else None
    fresh = uuid.uuid4().hex  # the row's id if it is not a refinement (or the refined row was opened since)
    log_id = replaces or fresh
    record, shown, who = analytics.log.record_search, [r.id for r in response.results], actor()
    total = credible_total(response, kb().settings.embedding_model)
    after_response(lambda: record(query, mode=mode, filters=filters_dict(filters), shown=shown, total=total,
                                  took_ms=response.took_ms, actor=who, source=source, replaces=replaces,
                                  log_id=fresh))
    if source == "page":
        # The cookie is signed, not encrypted: it keeps the masked form, never what was typed.
        session[LAST_SEARCH] = [log_id, key, time.time()]
    return log_id


def credible_total(response: SearchResponse, model: str) -> int:
    """Results the log counts as found: none for a hybrid search whose best article is unlikely to answer."""
    # Hybrid search always lists articles; the suggestions' calibrated confidence says whether any is credible.
    if response.mode != "hybrid" or not response.total:
        return response.total
    return response.total if confidence(response, 0, model) >= NO_ANSWER_BELOW else 0


def log_suggestion(result: SuggestResult, filters: dict[str, object], source: str = "api") -> None:
    """Log one suggestion under its query_id, with its latency and who asked."""
    analytics = kb().analytics
    if analytics is None:
        return
    text = result.cleaned.question
    record, shown, who = analytics.log.record_suggest, [s.id for s in result.suggestions], actor()
    after_response(lambda: record(result.query_id, text, filters=filters, shown=shown, abstained=result.abstained,
                                  took_ms=result.took_ms, actor=who, source=source))


def log_opened(log_id: str, article_id: str) -> None:
    """An agent opened a result of a logged search."""
    analytics = kb().analytics
    session.pop(LAST_SEARCH, None)  # the next search is a new one, not a refinement of a clicked one
    opened = analytics is not None and log_id and article_id.isascii() and article_id.isdigit()
    if opened and analytics.log.click(log_id, int(article_id), actor()):  # now one of the "popular searches"
        kb().search_counts.forget()
