"""GET /api/v1/analytics/<report>: every analytics figure as JSON, or as CSV with ?format=csv."""

from __future__ import annotations

from flask import Response, jsonify, request

from kb.analytics import REPORTS, Analytics, default_window
from kb.analytics.article_reports import ARTICLE_SORTS
from kb.analytics.window import MAX_DAYS, Table, Window
from kb.errors import NotFound
from kb.web.api import api
from kb.web.current import kb
from kb.web.downloads import csv_download
from kb.web.errors import BadRequest
from kb.web.requests import format_arg, int_arg

FORMATS = ("json", "csv")
DEFAULT_DAYS = 30


def analytics() -> Analytics:
    """The knowledge base's analytics (always built by open_knowledge_base)."""
    return kb().analytics


def window_from_args() -> Window:
    """The report window from ?days= (default the last 30 days, today included)."""
    return default_window(int_arg("days", DEFAULT_DAYS, maximum=MAX_DAYS))


def csv_response(table: Table, window: Window) -> Response:
    """A table as a CSV download named after the report and its window."""
    return csv_download(table.to_csv(), f"kb-{table.name}-{window.since.isoformat()}-{window.until.isoformat()}.csv")


def build_report(name: str, window: Window) -> Table:
    """One report by name with the ?sort= of the request, or NotFound."""
    sort = request.args.get("sort", "links")
    if sort not in ARTICLE_SORTS:
        raise BadRequest(f"'sort' must be one of {', '.join(ARTICLE_SORTS)}", parameter="sort")
    table = analytics().report(name, window, sort) if name in REPORTS else None
    if table is None:
        raise NotFound(f"no analytics report {name!r}; reports: {', '.join(REPORTS)}")
    return table


@api.get("/analytics/<report>")
def analytics_report(report: str) -> Response:
    """One analytics report: columns and rows over the last `days` days.

    Reports: summary, daily, top-queries, unanswered, articles (by `sort`), stale, time-to-article, gaps and
    drift. `format=csv` answers the same table as CSV.
    """
    output = format_arg(FORMATS)
    window = window_from_args()
    table = build_report(report, window)
    return csv_response(table, window) if output == "csv" else jsonify(table.to_dict(window))
