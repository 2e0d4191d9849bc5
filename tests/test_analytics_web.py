"""Analytics over HTTP: searches and suggestions are logged, reports answer as JSON, CSV and pages."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from sqlalchemy import select, update
from test_openapi import Contract

from kb.analytics import REPORTS
from kb.cli import main
from kb.models import Article, QueryLogEntry, utcnow

ARTICLE = {"title": "Cash drawer does not open", "status": "published", "tags": ["hardware"], "owner": "maja",
           "body": "## Symptoms\n\nThe drawer stays shut after a sale.\n\n## Fix\n\nCheck the RJ12 cable."}


def rows(kb) -> list[QueryLogEntry]:
    with kb.db.session() as session:
        return list(session.scalars(select(QueryLogEntry).order_by(QueryLogEntry.at)))


def csrf_from(html: str) -> str:
    return html.split('name="csrf-token" content="')[1].split('"')[0]


@pytest.fixture
def drawer(searchable_kb) -> int:
    return searchable_kb.store.create(ARTICLE, author="maja").id


def test_api_searches_and_suggestions_are_logged(search_client, searchable_kb, drawer) -> None:
    search_client.get("/api/v1/search?q=drawer+stays+shut&tag=hardware&limit=5")
    search_client.get("/api/v1/search?q=mail+bo@example.com+about+zzzqx&tag=none")  # no article has it
    answer = search_client.post("/api/v1/suggest", json={"text": "Hi, the cash drawer stays shut. Bo", "limit": 3,
                                                         "channel": "email"}).json
    found, missed, suggested = rows(searchable_kb)
    assert (found.kind, found.source, found.actor, found.shown, found.result_count) == (
        "search", "api", "token:test-client", [drawer], 1)
    assert found.filters == {"tag": ["hardware"]} and found.took_ms > 0 and found.top_article_id == drawer
    assert (missed.query, missed.result_count, missed.top_article_id) == ("mail [email] about zzzqx", 0, None)
    assert (suggested.id, suggested.kind, suggested.shown[0]) == (answer["query_id"], "suggest", drawer)
    assert suggested.filters == {"channel": "email", "limit": 3} and suggested.actor == "token:test-client"


def test_page_search_is_logged_once_while_typing_and_the_opened_result_too(search_client, searchable_kb,
                                                                            drawer) -> None:
    for typed in ("dra", "drawer", "drawer stays"):
        html = search_client.get(f"/search/results?q={typed}").get_data(as_text=True)
    (row,) = rows(searchable_kb)
    assert (row.query, row.source) == ("drawer stays", "page")
    assert f'data-log="{row.id}"' in html and f'data-id="{drawer}"' in html
    token = csrf_from(search_client.get("/").get_data(as_text=True))
    opened = search_client.post("/search/opened", data={"q": "drawer stays", "log": row.id, "article": str(drawer)},
                                headers={"X-CSRFToken": token})
    assert opened.status_code == 204
    (row,) = rows(searchable_kb)
    assert row.clicked_article_id == drawer and row.clicked_at is not None
    search_client.get("/search/results?q=printer")  # a different search is a new row
    assert len(rows(searchable_kb)) == 2


def test_a_pasted_email_is_logged_as_its_question(search_client, searchable_kb, drawer) -> None:
    pasted = "Hi,\n\nthe cash drawer stays shut after a sale.\n\nBest regards,\nBo Lind\nPhone +45 12 34 56 78"
    search_client.get("/search/results", query_string={"q": pasted})
    search_client.get("/api/v1/search", query_string={"q": pasted})
    assert [row.query for row in rows(searchable_kb)] == ["the cash drawer stays shut after a sale."] * 2


def test_every_report_answers_json_and_csv_as_documented(search_client, searchable_kb, drawer) -> None:
    c = Contract(search_client.application, search_client)
    search_client.get("/api/v1/search?q=drawer")
    search_client.get("/api/v1/search?q=zzzqx+nothing&tag=none")
    for name in REPORTS:
        body = c.call("GET", f"/api/v1/analytics/{name}?days=7", 200).json
        assert body["columns"] and body["days"] == 7 and all(set(r) == set(body["columns"]) for r in body["rows"])
    summary = c.call("GET", "/api/v1/analytics/summary", 200).json
    assert summary["days"] == 30 and summary["rows"][0]["searches"] == 2 and summary["rows"][0]["no_result"] == 1
    exported = c.call("GET", "/api/v1/analytics/top-queries?format=csv&days=7", 200)
    assert exported.mimetype == "text/csv" and "attachment" in exported.headers["Content-Disposition"]
    table = list(csv.DictReader(io.StringIO(exported.data.decode("utf-8-sig"))))  # as a spreadsheet reads it
    assert {r["query"] for r in table} == {"drawer", "zzzqx nothing"}
    articles = c.call("GET", "/api/v1/analytics/articles?sort=views", 200).json
    assert articles["report"] == "articles-by-views"
    assert c.call("GET", "/api/v1/analytics/nope", 404).json["error"]["code"] == "not_found"
    for bad in ("days=0", "days=x", "format=xml", "sort=title"):
        assert c.call("GET", f"/api/v1/analytics/summary?{bad}", 400).json["error"]["code"] == "bad_request"


def test_the_analytics_page_and_its_exports(search_client, searchable_kb, drawer) -> None:
    search_client.get("/api/v1/search?q=drawer")
    search_client.get("/api/v1/search?q=zzzqx+nothing&tag=none")
    html = search_client.get("/analytics?days=7").get_data(as_text=True)
    assert '<dd id="fig-searches">2</dd>' in html and html.count("<svg") >= 3 and "zzzqx nothing" in html
    assert 'href="/analytics/export/top-queries.csv?days=7' in html and 'href="/analytics/gaps?days=7"' in html
    assert "<script" not in html.split("<main")[1]  # the charts are drawn by the server
    exported = search_client.get("/analytics/export/daily.csv?days=7")
    assert exported.mimetype == "text/csv" and exported.get_data(as_text=True).startswith("\ufeffday,searches")
    assert search_client.get("/analytics/export/nope.csv").status_code == 404
    assert search_client.get("/analytics?sort=views").status_code == 200


def test_the_gaps_page_links_each_group_to_a_prefilled_editor(search_client, searchable_kb, drawer) -> None:
    for query in ("xero export invoices", "export invoices to xero", "xero export invoices"):
        search_client.get(f"/api/v1/search?q={query}&tag=nothing-has-this")
    html = search_client.get("/analytics/gaps").get_data(as_text=True)
    assert "<h2>Xero export invoices</h2>" in html and "3 times" in html
    link = html.split('class="button" href="')[1].split('"')[0]
    assert link.startswith("/articles/new?title=Xero+export+invoices&amp;body=")
    editor = search_client.get(link.replace("&amp;", "&")).get_data(as_text=True)
    assert 'value="Xero export invoices"' in editor


def test_flagging_drift_from_the_page(search_client, searchable_kb, drawer) -> None:
    kb = searchable_kb
    with kb.db.session() as session:  # written yesterday: today's verdicts are about its current text
        session.execute(update(Article).where(Article.id == drawer).values(updated_at=utcnow() - timedelta(days=1)))
    for _ in range(3):
        query_id = kb.feedback.record_query(query_text="drawer", shown=[drawer], abstained=False, top_confidence=0.9)
        kb.feedback.add(query_id, drawer, "not_related")
    html = search_client.get("/analytics").get_data(as_text=True)
    assert "rejected repeatedly" in html
    token = html.split('name="csrf_token" value="')[1].split('"')[0]
    response = search_client.post("/analytics/drift?days=30", data={"csrf_token": token})
    assert response.status_code == 303 and "flagged=1" in response.headers["Location"]
    assert kb.store.get(drawer).review_requested_at is not None


def test_cli_purges_logs_and_flags_drift(cli_env, capsys) -> None:
    from kb.config import load_settings
    from kb.knowledge_base import open_knowledge_base

    kb = open_knowledge_base(load_settings(), with_search=False)
    kb.analytics.log.record_search("old", mode="hybrid", filters={}, shown=[], total=0, took_ms=1,
                                   at=kb.analytics.log.purge(days=0).cutoff.replace(year=2000))
    kb.close()
    assert main(["purge-logs"]) == 0
    assert "purged 1 logged queries and 0 suggestions" in capsys.readouterr().out
    assert main(["analytics-drift", "--dry-run"]) == 0
    assert "0 drifting, 0 newly flagged" in capsys.readouterr().out


def test_a_hybrid_search_whose_best_article_is_not_credible_is_logged_as_finding_nothing() -> None:
    from kb.search_results import SearchResponse
    from kb.web.query_logging import credible_total

    def response(mode: str, evidence: dict[int, tuple[float, float]]) -> SearchResponse:
        return SearchResponse((), len(evidence), 1.0, mode, tuple(evidence), evidence)

    answered = {1: (12.0, 0.93), 2: (3.0, 0.82)}  # matched words, a close meaning, well ahead of the next
    vague = {1: (0.0, 0.80), 2: (0.0, 0.799)}  # no word matched, a middling cosine, no lead
    model = "multilingual-e5-small"
    assert credible_total(response("hybrid", answered), model) == 2
    assert credible_total(response("hybrid", vague), model) == 0
    assert credible_total(response("semantic", vague), model) == 2  # other modes log what they listed
