"""The analytics pages: what agents search for, what helps, what is missing (reviewers and up)."""

from __future__ import annotations

from flask import Response, redirect, render_template, request, url_for

from kb.analytics import charts
from kb.analytics.article_reports import ARTICLE_SORTS, median_hours
from kb.web.analytics_api import analytics, build_report, csv_response, window_from_args
from kb.web.current import actor
from kb.web.pages import pages


def _daily_charts(daily: list[dict]) -> dict[str, str]:
    days = [row["day"] for row in daily]
    return {
        "searches": charts.daily_bars("Searches per day, and those with no result", days, [
            ("searches", [r["searches"] for r in daily]), ("with no result", [r["no_result"] for r in daily])]),
        "suggestions": charts.daily_bars("Suggestions per day, and those abstained", days, [
            ("suggestions", [r["suggestions"] for r in daily]), ("abstained", [r["abstained"] for r in daily])]),
    }


@pages.get("/analytics", endpoint="analytics")
def analytics_page() -> str:
    """Searches and suggestions per day, top and unanswered queries, click-through, articles, stale, drift."""
    window = window_from_args()
    sort = request.args.get("sort", "links")
    sort = sort if sort in ARTICLE_SORTS else "links"
    a = analytics()
    daily = [dict(r) for r in a.searches.daily(window).rows]
    top = a.searches.top_queries(window)
    articles = a.articles.articles(window, sort)
    time_to_article = a.articles.time_to_article(window)
    return render_template(
        "analytics.html", window=window, sort=sort, sorts=ARTICLE_SORTS, summary=a.searches.summary(window).rows[0],
        charts=_daily_charts(daily), top=top.rows, unanswered=a.searches.unanswered(window, limit=20).rows,
        top_chart=charts.horizontal_bars("Top queries", [(r["query"], r["searches"]) for r in top.rows[:10]],
                                         "searches"),
        articles=articles.rows, stale=a.articles.stale(window.until).rows, time_to_article=time_to_article.rows,
        median_hours=median_hours(time_to_article), drift=a.drift.table(window).rows,
        flagged=request.args.get("flagged"))


@pages.get("/analytics/gaps")
def analytics_gaps() -> str:
    """Content gaps: unanswered searches and abstained tickets grouped by meaning, each with a write button."""
    window = window_from_args()
    groups = analytics().gap_groups(window)
    sparks = {g.id: charts.sparkline(f"{g.title}: {' '.join(map(str, g.trend))} per period", g.trend)
              for g in groups}
    return render_template("analytics_gaps.html", window=window, groups=groups, sparks=sparks,
                           search_enabled=analytics().gaps.embedder() is not None)


@pages.get("/analytics/export/<report>.csv")
def analytics_export(report: str) -> Response:
    """Any analytics report as CSV (the same tables as GET /api/v1/analytics/<report>?format=csv)."""
    window = window_from_args()
    return csv_response(build_report(report, window), window)


@pages.post("/analytics/drift")
def analytics_flag_drift() -> Response:
    """Flag the drifting articles "needs review" for their owners (what `python -m kb analytics-drift` does)."""
    window = window_from_args()
    flagged = analytics().flag_drift(window, by=actor() or "system:analytics")
    return redirect(url_for("pages.analytics", days=window.days, flagged=len(flagged)), code=303)
