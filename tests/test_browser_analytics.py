"""The analytics pages in headless Chromium: the dashboard, and from a content gap to a prefilled editor."""

from __future__ import annotations

import shutil
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from kb.config import PROJECT_ROOT
from kb.knowledge_base import open_knowledge_base
from kb.web import create_app

pytestmark = pytest.mark.browser
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
SHOTS = PROJECT_ROOT / "test-output" / "screenshots"
PASSWORD = "correct horse battery staple"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"]

if CHROMIUM is None:
    pytest.skip("chromium is not installed (make test installs it with apt)", allow_module_level=True)

sync_playwright = pytest.importorskip("playwright.sync_api").sync_playwright


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, object]]:
    from kb.config import Settings

    root: Path = tmp_path_factory.mktemp("browser-analytics")
    settings = Settings(database_url=f"sqlite:///{root / 'kb.sqlite'}", index_dir=root / "index",
                        content_dir=root / "content", instance_dir=root / "instance", secret_key="browser",
                        embedding_model="fake", auto_import=False, secure_cookies=False)
    kb = open_knowledge_base(settings)
    kb.users.create("rita", role="reviewer", password=PASSWORD, team="", by="test")  # analytics: reviewers and up
    printer = kb.store.create({"title": "Printer prints blank receipts", "status": "published", "owner": "maja",
                               "body": "## Symptoms\n\nThe receipt comes out blank.\n"}, author="maja").id
    log = kb.analytics.log
    for query, shown in [("printer blank", [printer])] * 3 + [("xero export invoices", []),
                                                            ("export invoices to xero", []),
                                                            ("xero export invoices", [])]:
        log_id = log.record_search(query, mode="hybrid", filters={}, shown=shown, total=len(shown), took_ms=9.0)
        if shown:
            log.click(log_id, printer)
    kb.feedback.record_query(query_text="cannot export invoices into xero", shown=[], abstained=True,
                             top_confidence=0.1)
    app = create_app(knowledge_base=kb)
    http = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=http.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{http.server_port}", kb
    http.shutdown()
    kb.close()


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser, server) -> Iterator[object]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    tab = context.new_page()
    tab.set_default_timeout(15_000)
    sign_in(tab, server[0])
    yield tab
    context.close()


def sign_in(page, url: str) -> None:
    page.goto(url + "/")  # anonymous: sent to the login page, and back here afterwards
    page.get_by_label("Username").fill("rita")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(url + "/")


def shot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    for width in (1280, 360):
        page.set_viewport_size({"width": width, "height": 900})
        page.screenshot(path=str(SHOTS / f"{name}-{width}.png"), full_page=True)
    page.set_viewport_size({"width": 1280, "height": 900})


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
