"""GET /api/v1/search: contract and error paths."""

from __future__ import annotations

import pytest


@pytest.fixture
def client(search_client, searchable_kb):
    store = searchable_kb.store
    store.create({"title": "Cash drawer does not open", "status": "published", "tags": ["hardware"],
                  "body": "## Symptoms\n\nThe drawer stays shut after a sale.\n\n## Fix\n\nCheck the RJ12 cable."},
                 author="maja")
    store.create({"title": "KassesKuffen åbner ikke", "status": "published", "language": "da",
                  "body": "Skuffen forbliver lukket efter et salg."}, author="maja")
    return search_client


def test_search_contract(client) -> None:
    body = client.get("/api/v1/search?q=drawer+stays+shut&limit=5").json
    assert set(body) == {"query", "mode", "results", "total", "took_ms", "cleaned_query", "translation"}
    assert body["cleaned_query"] is None  # typed words are searched as they are
    assert body["mode"] == "hybrid" and body["total"] >= 1 and body["took_ms"] >= 0
    first = body["results"][0]
    assert set(first) == {"id", "slug", "title", "url", "section", "anchor", "snippet", "score", "language",
                          "tags", "updated"}
    assert first["url"] == "/articles/cash-drawer-does-not-open#symptoms"
    assert "<mark>drawer</mark>" in first["snippet"]


@pytest.mark.parametrize("mode", ["keyword", "semantic", "hybrid"])
def test_modes_and_language_filter(client, mode: str) -> None:
    results = client.get(f"/api/v1/search?q=skuffen+lukket&mode={mode}&lang=da").json["results"]
    assert [r["language"] for r in results] == ["da"]


@pytest.mark.parametrize("lang", ["DA", "da-DK", "da_dk"])
def test_language_filters_take_locales_and_any_case(client, lang: str) -> None:
    results = client.get(f"/api/v1/search?q=skuffen&mode=keyword&lang={lang}").json["results"]
    assert [r["language"] for r in results] == ["da"]


def test_a_language_filter_that_is_no_language_code_is_400_like_any_bad_parameter(client) -> None:
    for url in ("/api/v1/search?q=drawer&lang=klingon", "/api/v1/articles?lang=klingon"):
        response = client.get(url)
        assert response.status_code == 400 and "language code" in response.json["error"]["message"], url
        assert response.json["error"]["parameter"] == "lang"
    assert client.get("/api/v1/search?q=drawer&lang=fr").json["results"] == []  # a code no article uses


def test_the_readers_language_comes_first_among_equals(client, searchable_kb) -> None:
    for language in ("en", "da"):
        searchable_kb.store.create({"title": f"Printer offline ({language})", "status": "published",
                                    "language": language, "body": "printer offline"}, author="maja")

    def first(accept: str) -> str:
        results = client.get("/api/v1/search?q=printer+offline", headers={"Accept-Language": accept}).json
        return results["results"][0]["language"]

    assert first("da-DK,da;q=0.9,en;q=0.3") == "da"
    assert first("da-DK,da;q=0.9,en-US;q=0.8,en;q=0.7") == "da"  # Chrome's usual header: English as fallback
    assert first("en-GB,en;q=0.9") == "en"
    assert first("da;q=0,en;q=0.5") == "en"  # q=0: "not Danish"
    assert first("da_DK") == "da"


@pytest.mark.parametrize(("accept", "preferred"), [
    ("da-DK,da;q=0.9,en-US;q=0.8,en;q=0.7", ("da",)),  # Chrome's usual header: English is only the fallback
    ("en-GB,en;q=0.9,da;q=0.8", ("en",)), ("da;q=0,pl;q=0.4", ("pl",)), ("*", ()), ("", ()),
])
def test_only_the_readers_first_language_is_preferred(search_client, accept: str, preferred: tuple) -> None:
    from kb.web.search_api import preferred_languages

    with search_client.application.test_request_context(headers={"Accept-Language": accept}):
        assert preferred_languages() == preferred


def test_article_lists_read_tags_and_languages_as_search_does(client, searchable_kb) -> None:
    searchable_kb.store.create({"title": "Pengeskuffen åbner ikke", "status": "published", "language": "da",
                                "tags": ["hardware"], "body": "Skuffen."}, author="maja")
    for url in ("/api/v1/articles?tag=Hardware&lang=DA", "/api/v1/articles?tag=hardware&lang=da-DK",
                "/api/v1/articles?tag=%20HARDWARE%20&language=da_dk"):
        assert [a["title"] for a in client.get(url).json["articles"]] == ["Pengeskuffen åbner ikke"], url
    page = client.get("/articles?tag=Hardware&lang=DA").get_data(as_text=True)
    assert "Pengeskuffen åbner ikke" in page and 'value="DA"' in page
    assert client.get("/articles?lang=klingon").status_code == 400


def test_tag_filter(client) -> None:
    assert client.get("/api/v1/search?q=drawer&tag=hardware").json["total"] == 1
    assert client.get("/api/v1/search?q=drawer&tag=billing").json["results"] == []


@pytest.mark.parametrize("query", ["mode=fuzzy&q=x", "limit=0&q=x", "limit=abc&q=x", "q=" + "x" * 10_001])
def test_bad_parameters_are_400(client, query: str) -> None:
    response = client.get(f"/api/v1/search?{query}")
    assert response.status_code == 400 and response.json["error"]["code"] == "bad_request"


def test_empty_query_is_an_empty_answer(client) -> None:
    body = client.get("/api/v1/search?q=").json
    assert body["results"] == [] and body["total"] == 0


def test_without_search_the_endpoint_says_so(client, app) -> None:
    response = app.test_client().get("/api/v1/search?q=x")
    assert response.status_code == 503 and response.json["error"]["code"] == "search_unavailable"


PASTED = """Hi team,

the cash drawer stays shut after every sale since this morning. What can we do?

Best regards,
Ola Nordmann
Invoice Department | invoice address changes
Phone +47 22 33 44 55

On Mon, 2 Nov 2026 at 10:02, Support <support@example.com> wrote:
> Your invoice address has been changed. Invoice address change confirmed.
"""


@pytest.mark.parametrize("mode", ["keyword", "hybrid"])
def test_a_pasted_email_is_searched_for_its_question(client, searchable_kb, mode: str) -> None:
    searchable_kb.store.create({"title": "Change the invoice address", "status": "published",
                                "body": "## Steps\n\nAn invoice address change is made under Billing."},
                               author="maja")
    body = client.get("/api/v1/search", query_string={"q": PASTED, "mode": mode}).json
    assert body["results"][0]["slug"] == "cash-drawer-does-not-open"
    cleaned = body["cleaned_query"]
    assert "cash drawer stays shut" in cleaned and "invoice" not in cleaned.lower() and "Hi team" not in cleaned
    assert body["query"] == PASTED  # the answer still says what was sent


def test_an_html_email_body_on_one_line_is_cleaned_words_about_tags_are_not(client, searchable_kb) -> None:
    html = ("<html><body><p>Dear Sir/Madam,</p><p>The cash drawer stays shut after a sale.</p>"
            "<p>Best regards,<br>J. Kowalski</p></body></html>")
    body = client.get("/api/v1/search", query_string={"q": html}).json
    assert body["cleaned_query"] == "The cash drawer stays shut after a sale."
    assert body["results"][0]["slug"] == "cash-drawer-does-not-open"
    paragraphs = "<p>Hello,</p><p>the cash drawer stays shut.</p><p>Thanks, Ann</p>"  # no <html>: still pasted
    assert client.get("/api/v1/search", query_string={"q": paragraphs}).json["cleaned_query"] is not None
    for typed in ("<br> tags in the template", "<p> tag shows in the article </p>", "> 100 items slow"):
        assert client.get("/api/v1/search", query_string={"q": typed}).json["cleaned_query"] is None, typed
