"""The analytics pages in headless Chromium: the dashboard, and from a content gap to a prefilled editor."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from browser_support import (
    PASSWORD,
    browser_settings,
    serving,
    shot,
    signed_in_tab,
    skip_without_chromium,
)

from kb.knowledge_base import open_knowledge_base

pytestmark = pytest.mark.browser
skip_without_chromium()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, object]]:
    kb = open_knowledge_base(browser_settings(tmp_path_factory.mktemp("browser-analytics")))
    kb.users.create("rita", role="reviewer", password=PASSWORD, team="", by="test")  # analytics: reviewers and up
    printer = kb.store.create({"title": "Printer prints blank receipts", "status": "published", "owner": "maja",
                               "body": "## Symptoms\n\nThe receipt comes out blank.\n"}, author="maja").id
    log = kb.analytics.log
    for query, shown in [("printer blank", [printer])] * 3 + [("xero export invoices", []),
                                                            ("export invoices to xero", []),
                                                            ("xero export invoices", [])]:
        log_id = log.record_search(query, mode="hybrid", filters={}, shown=shown, total=len(shown), took_ms=9.0)
        if shown:
            log.click(log_id, printer, "")
    kb.feedback.record_query(query_text="cannot export invoices into xero", shown=[], abstained=True,
                             top_confidence=0.1)
    with serving(kb) as url:
        yield url, kb
    kb.close()


@pytest.fixture
def page(browser, server) -> Iterator[object]:
    with signed_in_tab(browser, server[0], "rita") as tab:
        yield tab


def test_the_analytics_page_shows_figures_and_charts(page, server) -> None:
    url, _ = server
    page.goto(url + "/")
    page.get_by_role("link", name="Analytics").click()
    page.wait_for_url("**/analytics")
    assert page.locator("#fig-searches").inner_text() == "6"
    assert page.locator("#fig-ctr").inner_text() == "100%"
    assert page.locator("svg.chart").first.is_visible()
    assert page.locator("#top-queries tbody tr").first.locator("td").first.inner_text() == "printer blank"
    assert page.locator("#unanswered").get_by_text("xero export invoices").is_visible()
    shot(page, "analytics")


def test_from_a_content_gap_to_a_prefilled_editor(page, server) -> None:
    url, _ = server
    page.goto(url + "/analytics")
    page.get_by_role("link", name="Content gaps →", exact=True).click()
    gap = page.locator("li.gap").first
    assert gap.locator("h2").inner_text() == "Xero export invoices"
    assert "4 times" in gap.inner_text() and gap.get_by_text("cannot export invoices into xero").is_visible()
    shot(page, "gaps")
    gap.get_by_role("link", name="Write an article for this").click()
    page.wait_for_url("**/articles/new?**")
    assert page.get_by_label("Title").input_value() == "Xero export invoices"
    body = page.locator("#body").input_value()
    assert body.startswith("## Symptoms") and "- cannot export invoices into xero" in body
