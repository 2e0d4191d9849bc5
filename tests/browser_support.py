"""What both browser test modules share: Debian's chromium, a live server, signing in, screenshots."""

from __future__ import annotations

import shutil
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from kb.config import PROJECT_ROOT, Settings
from kb.knowledge_base import KnowledgeBase
from kb.web import create_app

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
SHOTS = PROJECT_ROOT / "test-output" / "screenshots"
PASSWORD = "correct horse battery staple"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"]


def skip_without_chromium() -> None:
    """Skip the calling module when chromium is missing (`make test` installs Debian's package with apt)."""
    if CHROMIUM is None:
        pytest.skip("chromium is not installed (make test installs it with apt)", allow_module_level=True)


def browser_settings(root: Path) -> Settings:
    """Settings for a server the browser talks to over plain http (so no Secure cookies)."""
    return Settings(database_url=f"sqlite:///{root / 'kb.sqlite'}", index_dir=root / "index",
                    content_dir=root / "content", instance_dir=root / "instance", secret_key="browser",
                    embedding_model="fake", auto_import=False, secure_cookies=False)


@contextmanager
def serving(kb: KnowledgeBase) -> Iterator[str]:
    """The app on a free local port in a thread; yields its base URL."""
    http = make_server("127.0.0.1", 0, create_app(knowledge_base=kb), threaded=True)
    thread = threading.Thread(target=http.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{http.server_port}"
    finally:
        http.shutdown()


@contextmanager
def chromium() -> Iterator[object]:
    """Headless Chromium from the system package, driven by Playwright."""
    sync_playwright = pytest.importorskip("playwright.sync_api").sync_playwright
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            yield browser
        finally:
            browser.close()


def sign_in(page, url: str, username: str, password: str = PASSWORD) -> None:
    """Through the real login form: an anonymous visit is sent there, and back here afterwards."""
    page.goto(url + "/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(url + "/")


def shot(page, name: str) -> None:
    """Screenshots at 1280 px and at 360 px, the width of a helpdesk side panel."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    for width in (1280, 360):
        page.set_viewport_size({"width": width, "height": 900})
        page.screenshot(path=str(SHOTS / f"{name}-{width}.png"), full_page=True)
    page.set_viewport_size({"width": 1280, "height": 900})


@contextmanager
def signed_in_tab(browser: object, url: str, username: str) -> Iterator[object]:
    """A fresh browser context at 1280 px with one tab, signed in as this user."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    tab = context.new_page()
    tab.set_default_timeout(15_000)
    sign_in(tab, url, username)
    try:
        yield tab
    finally:
        context.close()
