"""GET /api/v1/search: the same search the search page uses."""

from __future__ import annotations

from flask import Response, jsonify, request

from kb.errors import KBError
from kb.index.base import Filters
from kb.pasted_message import search_box
from kb.search import MODES
from kb.search_results import SearchResponse
from kb.validation import base_language, normalise_tag
from kb.web.api import api
from kb.web.current import kb
from kb.web.errors import BadRequest, register_status
from kb.web.query_logging import log_search
from kb.web.requests import int_arg, languages_arg, list_arg

MAX_QUERY_CHARS = 10_000


class SearchUnavailable(KBError):
    """This instance was started without search."""

    code = "search_unavailable"


register_status(SearchUnavailable, 503)


def filters_from_args() -> Filters:
    """Filters from repeated or comma-separated tag, team and lang parameters; readers see published only."""
    return Filters(tags=tuple(normalise_tag(t) for t in list_arg("tag")), teams=list_arg("team"),
                   languages=languages_arg(kb().store.languages))


def run_search(query: str, mode: str, limit: int, filters: Filters) -> SearchResponse:
    """Validate and run one search."""
    if mode not in MODES:
        raise BadRequest(f"'mode' must be one of {', '.join(MODES)}", parameter="mode")
    if len(query) > MAX_QUERY_CHARS:
        raise BadRequest(f"'q' is longer than {MAX_QUERY_CHARS} characters", parameter="q")
    engine = kb().search
    if engine is None:
        raise SearchUnavailable("search is not enabled on this instance")
    return search_box(engine, query, mode=mode, limit=limit, filters=filters, prefer_languages=preferred_languages())


def preferred_languages() -> tuple[str, ...]:
    """The reader's first language from Accept-Language (its base code), or none.

    Only the first: browsers list English as a fallback ("da-DK,da;q=0.9,en;q=0.8"), and nudging the
    fallback as well would cancel the nudge for the language the reader asked for.
    """
    for code, quality in request.accept_languages:  # sorted by quality
        if code != "*" and quality > 0:
            return (base_language(code),)
    return ()


@api.get("/search")
def search() -> Response:
    """Articles for a query, best section first, matched words in <mark>."""
    query, filters = request.args.get("q", ""), filters_from_args()
    response = run_search(query, request.args.get("mode", "hybrid"), int_arg("limit", 10, maximum=100), filters)
    log_search(response.cleaned_query or query, response.mode, filters, response, "api")
    return jsonify({"query": query, "mode": response.mode, "results": [r.to_dict() for r in response.results],
                    "total": response.total, "took_ms": response.took_ms, "cleaned_query": response.cleaned_query,
                    "translation": response.translation.to_dict() if response.translation else None})
