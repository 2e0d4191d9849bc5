"""The real pages in headless Chromium (Debian's package, driven by Playwright): what agents and authors do."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from browser_support import (
    PASSWORD,
    browser_settings,
    serving,
    shot,
    sign_in,
    signed_in_tab,
    skip_without_chromium,
)

from kb.knowledge_base import open_knowledge_base

pytestmark = pytest.mark.browser
skip_without_chromium()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, object]]:
    kb = open_knowledge_base(browser_settings(tmp_path_factory.mktemp("browser")))
    kb.users.create("maja", role="admin", password=PASSWORD, team="", by="test")
    kb.store.create({"title": "Printer prints blank receipts", "status": "published", "tags": ["printers"],
                     "body": "Affects Epson printers.\n\n## Symptoms\n\nThe receipt comes out blank.\n\n"
                             "## Resolution\n\n1. Update the Print Agent to v4.18.2.\n"}, author="maja")
    kb.store.create({"title": "Reset your password", "status": "published",
                     "body": "## Steps\n\n1. Click **Forgot password** on the login page.\n"}, author="maja")
    with serving(kb) as url:
        yield url, kb
    kb.close()


@pytest.fixture
def page(browser, server) -> Iterator[object]:
    with signed_in_tab(browser, server[0], "maja") as tab:
        yield tab


def test_type_a_query_and_open_the_article_at_its_section(page, server) -> None:
    url, _ = server
    page.goto(url + "/")
    page.evaluate("document.activeElement.blur()")  # "/" focuses the box from anywhere on the page
    page.keyboard.press("/")
    page.keyboard.type("receipt comes out blank")
    first = page.locator("#results a.title").first
    first.wait_for()
    assert first.inner_text() == "Printer prints blank receipts"
    assert page.url.endswith("/?q=receipt+comes+out+blank") and page.locator("#results mark").count() > 0
    shot(page, "search")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")
    page.wait_for_url("**/articles/printer-prints-blank-receipts#symptoms")
    assert page.locator("h2#symptoms").is_visible()
    # The snippet's marked words are marked in the article too; its link stays clean, and a reload is plain.
    marked = {m.lower() for m in page.locator(".body mark").all_inner_texts()}
    assert "blank" in marked and marked <= {"receipt", "receipts", "blank", "comes", "out"}
    assert page.evaluate("getComputedStyle(document.querySelector('h2#symptoms')).backgroundColor") != (
        "rgba(0, 0, 0, 0)")  # the section it opened at stands out
    shot(page, "article")
    page.reload()
    assert page.locator(".body mark").count() == 0
    page.goto(url + "/")
    recent = page.locator("#recent")
    recent.wait_for()
    assert recent.locator("a").first.inner_text() == "receipt comes out blank"
    assert page.locator("#popular a").first.inner_text() == "receipt comes out blank"
    shot(page, "home")


def test_arrow_down_before_the_new_results_lands_on_the_new_first_result(page, server) -> None:
    url, _ = server
    page.goto(url + "/")
    page.keyboard.type("blank receipt")
    page.locator("#results a.title", has_text="Printer prints blank receipts").wait_for()
    page.fill("#q", "")
    page.keyboard.type("forgot password")
    page.keyboard.press("ArrowDown")  # at once: the results on screen are still the printer's
    page.locator("#results a.title:focus", has_text="Reset your password").wait_for()
    page.keyboard.press("ArrowUp")
    assert page.evaluate("document.activeElement.id") == "q"


def test_slash_in_the_empty_box_arrows_in_the_filters_and_a_pasted_thread(page, server) -> None:
    url, _ = server
    page.goto(url + "/")  # the box has focus already: "/" is a character of the query ("and/or", "/reset")
    page.keyboard.press("/")
    page.keyboard.type("blank")
    assert page.input_value("#q") == "/blank"
    page.locator("#results a.title").first.wait_for()
    assert page.get_by_role("heading", level=1).inner_text() == "Search the knowledge base"
    page.locator("#search-status", has_text="article").wait_for(state="attached")
    page.click("details.more-filters summary")
    page.focus("select[name=mode]")
    page.keyboard.press("ArrowDown")  # changes the mode; focus stays in the filters, not in the results
    assert page.evaluate("document.activeElement.name") == "mode" and page.input_value("select[name=mode]") == "keyword"
    page.fill("#q", "printer " * 625)  # 5,000 characters: more than gunicorn takes in a request line
    page.locator("#too-long").wait_for()
    assert "Paste a ticket" in page.inner_text("#too-long")


def test_a_pasted_email_keeps_its_lines_and_enter_searches(page, server) -> None:
    url, _ = server
    page.goto(url + "/")
    page.locator("#q").focus()
    email = "Hi there,\n\nour receipts come out blank since this morning.\n\nBest regards,\nJon Berg\nStore 12"
    page.keyboard.insert_text(email)  # as a paste does
    assert page.input_value("#q") == email
    note = page.locator("#cleaned-query")
    note.wait_for()
    searched = note.locator("pre").text_content()  # behind "What was searched"
    assert "our receipts come out blank" in searched and "Jon" not in searched
    page.locator("#results li:first-child a.title", has_text="Printer prints blank receipts").wait_for()
    assert page.evaluate("document.getElementById('q').offsetHeight") > 80  # the box grew to show the e-mail
    assert "Berg" not in page.url and "q=" not in page.url  # a customer's words stay out of URLs and history
    page.locator("#results li:first-child a.title").click()
    page.wait_for_url("**/articles/**")
    page.go_back()  # the tab's history entry kept the message: its results again
    page.locator("#results li:first-child a.title", has_text="Printer prints blank receipts").wait_for()
    assert page.input_value("#q") == email and "Berg" not in page.url
    page.locator("#q").focus()
    shot(page, "search-pasted-email")
    page.keyboard.press("Control+Home")
    page.keyboard.press("ArrowDown")  # inside the e-mail: the caret moves a line, focus stays in the box
    assert page.evaluate("document.activeElement.id") == "q"
    page.keyboard.press("Control+End")
    page.keyboard.press("ArrowDown")  # from the end of the text on to the results
    page.locator("#results a.title:focus").wait_for()
    page.fill("#q", "reset")
    page.keyboard.press("Shift+Enter")  # a new line, as in any text box
    page.keyboard.type("password")
    page.keyboard.press("Enter")  # searches at once, adds no line
    # The e-mail's results list this article too: wait for the typed words' own answer, which has no note.
    page.locator("#cleaned-query").wait_for(state="detached")
    page.locator("#results li:first-child a.title", has_text="Reset your password").wait_for()
    assert page.input_value("#q") == "reset\npassword"
    assert page.evaluate("JSON.parse(localStorage.getItem('kb.recentSearches') || '[]')").count(email) == 0
    page.keyboard.press("Escape")  # clears the box, as the search input did
    assert page.input_value("#q") == ""
    page.set_viewport_size({"width": 360, "height": 700})
    page.fill("#q", "receipt blank " * 20)  # one long line, wrapped on screen
    page.keyboard.press("Control+Home")
    page.keyboard.press("ArrowDown")  # moves down a wrapped line; the results wait for the end of the text
    assert page.evaluate("document.activeElement.id") == "q"
    page.set_viewport_size({"width": 1280, "height": 900})


def test_a_thread_too_long_for_the_search_box_goes_to_the_ticket_page_with_its_text(page, server) -> None:
    url, _ = server
    page.goto(url + "/")
    # A pasted message is POSTed, so the box takes up to 10,000 characters of it (a typed line, 4 KB of URL).
    page.fill("#q", "Hi,\n\nreceipts come out blank.\n\n" + "> earlier message about printers\n" * 150)
    page.locator("#results a.title").first.wait_for()
    thread = "Hi,\n\nreceipts come out blank.\n\n" + "> earlier message about printers\n" * 320
    page.fill("#q", thread)
    page.locator("#too-long a").click()
    page.wait_for_url("**/tickets")
    assert page.input_value("textarea[name=text]") == thread


def test_typing_on_a_result_the_recent_list_and_the_article_keys(page, server) -> None:
    url, _ = server
    page.goto(url + "/")
    page.evaluate("localStorage.clear()")
    for key in "blank":  # typed slowly: each prefix is searched on the way, none is worth remembering
        page.keyboard.type(key)
        page.wait_for_timeout(250)
    page.locator("#results a.title").first.wait_for()
    page.keyboard.press("ArrowDown")
    page.keyboard.type("s")  # a result has focus: the letter goes on in the box
    assert page.input_value("#q") == "blanks"
    page.locator("#results a.title").first.wait_for()
    page.wait_for_timeout(1800)  # remembered once the agent stops typing
    assert page.evaluate("JSON.parse(localStorage.getItem('kb.recentSearches'))") == ["blanks"]
    page.locator("#results a.title").first.click()
    page.wait_for_url("**/articles/**")
    page.get_by_role("button", name="Yes").focus()
    page.keyboard.press("Enter")  # answered in place: no reload, Back leaves the article
    page.locator("form.helpful [role=status]").wait_for()
    assert "voted" not in page.url
    assert page.evaluate("document.activeElement.getAttribute('role')") == "status"  # not dropped to the top
    page.keyboard.press("/")  # back to search from an article
    page.wait_for_url(url + "/")
    page.locator("#q:focus").wait_for()


def test_the_clear_button_empties_the_box_and_hands_back_the_caret(page, server) -> None:
    url, _ = server
    page.goto(url + "/")
    page.evaluate("localStorage.setItem('kb.recentSearches', JSON.stringify(['blank receipts']))")
    clear = page.get_by_role("button", name="Clear the search")
    assert clear.is_hidden()  # nothing to clear yet
    page.keyboard.type("blank")
    page.locator("#results a.title").first.wait_for()
    clear.click()
    assert page.input_value("#q") == "" and clear.is_hidden()
    assert page.evaluate("document.activeElement.id") == "q"  # the next caller's words go straight in
    page.locator("#recent a", has_text="blank receipts").wait_for()  # back to the recent searches
    assert page.locator("#results a.title").count() == 0
    page.goto(url + "/?q=blank")
    assert clear.is_visible()  # a shared search address fills the box: it can be cleared as well
    shot(page, "search-clear-button")


def test_create_from_template_preview_save_edit_diff_restore(page, server) -> None:
    url, kb = server
    page.goto(url + "/articles/new")
    page.get_by_role("link", name="Troubleshooting").click()
    page.get_by_label("Title").fill("Scanner beeps twice")
    body = page.locator("#body")
    body.fill("## Symptoms\n\nThe scanner beeps twice and sends nothing.\n")
    page.locator("#preview h2#symptoms").wait_for()
    shot(page, "editor")
    page.get_by_role("button", name="Save").click()
    page.wait_for_url("**/articles/scanner-beeps-twice")
    page.get_by_role("link", name="Edit").click()
    page.locator("#body").fill("## Symptoms\n\nThe scanner beeps three times and sends nothing.\n")
    page.get_by_label("Change message").fill("Three beeps")
    page.get_by_role("button", name="Save").click()
    page.wait_for_url("**/articles/scanner-beeps-twice")
    page.get_by_role("link", name="History (revision 2)").click()
    page.get_by_role("link", name="diff with 1").click()
    assert page.locator("table.diff del").first.inner_text() == "twice"
    assert page.locator("table.diff ins").first.inner_text() == "three times"
    shot(page, "diff")
    page.go_back()
    shot(page, "history")
    page.get_by_role("button", name="Restore").click()
    page.wait_for_url("**/history")
    assert "twice" in kb.store.get("scanner-beeps-twice").body


def test_the_editor_saves_once_guards_refused_text_and_keeps_a_copy_past_a_lost_session(page, server) -> None:
    url, kb = server
    page.goto(url + "/articles/new")
    page.get_by_label("Title").fill("Drawer sticks")
    page.locator("#body").fill("Pull the drawer.")
    page.get_by_role("button", name="Save").dblclick()  # an author in a hurry
    page.wait_for_url("**/articles/drawer-sticks")
    assert [a.slug for a in kb.store.list().items if a.title == "Drawer sticks"] == ["drawer-sticks"]
    page.goto(url + "/articles/drawer-sticks/edit")
    page.get_by_label("Title").fill("   ")  # refused: the page comes back with the text, still unsaved
    page.locator("#body").fill("Pull the drawer, then lift it.")
    page.evaluate("document.querySelector('input[name=title]').removeAttribute('required')")
    page.get_by_role("button", name="Save").click()
    page.locator("p.error").wait_for()
    dialogs = []
    page.once("dialog", lambda dialog: (dialogs.append(dialog.type), dialog.dismiss()))
    page.get_by_role("link", name="Articles").first.click()
    assert dialogs == ["beforeunload"]
    page.get_by_label("Title").fill("Drawer sticks")
    page.context.clear_cookies()  # the session ends while the author types
    page.locator("#body").fill("Pull the drawer, then lift it gently.")
    page.get_by_role("button", name="Save").click()
    page.wait_for_load_state()
    assert kb.store.get("drawer-sticks").body == "Pull the drawer."  # refused without a session
    sign_in(page, url, "maja")
    page.goto(url + "/articles/drawer-sticks/edit")
    page.get_by_role("button", name="Put it back").click()
    assert page.input_value("#body") == "Pull the drawer, then lift it gently."
    page.locator("#body").fill("Pull the drawer, then lift it firmly.")  # kept again, unsaved
    page.wait_for_timeout(700)
    page.context.clear_cookies()
    if kb.users.find("tove") is None:
        kb.users.create("tove", role="admin", password=PASSWORD, team="", by="test")
    sign_in(page, url, "tove")  # someone else on this browser: maja's unsaved text is not offered to them
    page.goto(url + "/articles/drawer-sticks/edit")
    assert page.locator("#local-copy").is_hidden()
    assert page.evaluate("Object.keys(localStorage).filter((k) => k.startsWith('kb.editor.')).length") == 0


def test_signing_out_in_another_tab_keeps_the_editors_text_for_its_author(page, server) -> None:
    url, kb = server
    page.goto(url + "/articles/reset-your-password/edit")
    page.locator("#body").fill("## Steps\n\n1. Click **Forgot password**, then check the spam folder.\n")
    other = page.context.new_page()  # the same browser: signing out there clears this site's storage
    other.goto(url + "/")
    other.get_by_role("button", name="Sign out").click()
    other.wait_for_url("**/login")
    other.close()
    page.get_by_role("button", name="Save").click()
    page.wait_for_load_state()  # the sign-in form, saying why, in place of a bare "CSRF" error
    assert "Your session ended, so this was not saved" in page.locator("p.error").inner_text()
    assert "check the spam folder" not in kb.store.get("reset-your-password").body
    page.get_by_label("Username").fill("maja")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/articles/reset-your-password/edit")  # back where the author was
    page.get_by_role("button", name="Put it back").click()
    assert "check the spam folder" in page.input_value("#body")


def test_paste_a_ticket_and_report_the_article_that_helped(page, server) -> None:
    url, kb = server
    page.goto(url + "/")
    page.get_by_role("link", name="Paste a ticket").click()
    page.get_by_label("Ticket text").fill("Hi team,\n\nsince this morning the receipt comes out blank.\n\n"
                                           "Kind regards\nAnna\n\nSent from my iPhone")
    page.get_by_role("button", name="Suggest articles").click()
    suggestion = page.locator("#suggestions a.title").first
    assert suggestion.inner_text() == "Printer prints blank receipts"
    solved = page.get_by_role("button", name="Solved it: Printer prints blank receipts")  # names its article
    assert solved.get_attribute("aria-pressed") == "false"  # a toggle from the start, for a screen reader
    solved.dblclick()  # an agent in a hurry
    page.get_by_text("Thanks, recorded.").wait_for()
    assert solved.get_attribute("aria-pressed") == "true"
    helpful = page.get_by_role("button", name="Helpful: Printer prints blank receipts")
    helpful.focus()
    page.keyboard.press("Enter")  # by keyboard: the focus stays on the button, not back at the page's top
    page.locator("[data-outcome=helpful][aria-pressed=true]").wait_for()
    assert page.evaluate("document.activeElement.dataset.outcome") == "helpful"
    article = kb.store.get("printer-prints-blank-receipts")
    assert kb.feedback.stats(article.id).links == 1
    shot(page, "ticket")
    suggestion.click()  # open it, then come back: the suggestions are still there, no resubmit prompt
    page.wait_for_url("**/articles/printer-prints-blank-receipts*")
    page.go_back()
    assert page.locator("#suggestions a.title").first.inner_text() == "Printer prints blank receipts"
    page.get_by_label("Ticket text").fill("The cash drawer stays shut after a sale.")
    page.keyboard.press("Control+Enter")  # asks without leaving the keyboard
    page.locator("#suggestions details p", has_text="cash drawer stays shut").wait_for(state="attached")


def test_a_stale_save_shows_the_other_change_and_keeps_mine(page, server) -> None:
    url, kb = server
    article = kb.store.get("reset-your-password")
    page.goto(url + f"/articles/{article.slug}/edit")
    kb.store.update(article.id, {"body": "## Steps\n\n1. Use the new login page.\n"}, base_revision=article.revision,
                    author="tomasz", message="New login page")
    page.locator("#body").fill("## Steps\n\n1. My own wording.\n")
    page.get_by_role("button", name="Save").click()
    page.get_by_text("Someone else saved this article while you were editing").wait_for()
    assert page.locator("#body").input_value().startswith("## Steps\n\n1. My own wording.")
    assert page.get_by_text("Revision 2 by tomasz").is_visible()
    shot(page, "conflict")


def test_a_title_only_save_keeps_a_body_that_starts_with_a_blank_line(page, server) -> None:
    url, kb = server
    article = kb.store.create({"title": "Leading blank", "body": "\nIndented start.\n"}, author="maja")
    page.goto(url + f"/articles/{article.slug}/edit")
    assert page.locator("#body").input_value() == "\nIndented start.\n"
    page.locator("input[name=title]").fill("Leading blank line")
    page.get_by_role("button", name="Save").click()
    page.wait_for_url("**/articles/leading-blank")
    saved = kb.store.get(article.id)
    assert (saved.title, saved.body) == ("Leading blank line", "\nIndented start.\n")


def test_author_submits_reviewer_publishes_admin_reads_the_audit_log(browser, server) -> None:
    url, kb = server
    kb.users.create("ana", role="author", password=PASSWORD, team="support", by="test")
    kb.users.create("rui", role="reviewer", password=PASSWORD, team="support", by="test")
    tabs = {}
    for name in ("ana", "rui"):
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        tabs[name] = context.new_page()
        tabs[name].set_default_timeout(15_000)
        sign_in(tabs[name], url, name)
    author, reviewer = tabs["ana"], tabs["rui"]
    author.goto(url + "/articles/new")
    assert author.get_by_label("Status").locator("option").all_inner_texts() == ["draft", "in review"]
    author.get_by_label("Title").fill("Refund a card payment")
    author.locator("#body").fill("## Steps\n\n1. Open the sale.\n2. Click **Refund**.\n")
    author.get_by_role("button", name="Save").click()
    author.wait_for_url("**/articles/refund-a-card-payment")
    assert author.get_by_role("button", name="Publish").count() == 0
    author.get_by_role("button", name="Submit for review").click()
    author.wait_for_url("**/articles/refund-a-card-payment")
    assert author.locator(".status-in_review").is_visible()

    reviewer.goto(url + "/review")
    reviewer.get_by_role("link", name="Refund a card payment").click()
    shot(reviewer, "review")
    reviewer.get_by_role("button", name="Publish").click()
    reviewer.wait_for_url("**/articles/refund-a-card-payment")
    assert reviewer.locator(".status-published").is_visible()
    assert "in review → published" in reviewer.locator(".moves").inner_text()

    author.goto(url + "/articles/refund-a-card-payment/edit")  # live now: the author's edit waits for review
    author.locator("#body").fill("## Steps\n\n1. Open the sale.\n2. Click **Refund**.\n3. Print the slip.\n")
    author.get_by_label("Change message").fill("Mention the slip")
    author.get_by_role("button", name="Send for review").click()
    author.wait_for_url("**/changes/*")
    assert "Print the slip" in author.locator("table.diff").inner_text()
    reviewer.goto(url + "/review")
    reviewer.locator("#changes-title + table").get_by_role("link", name="Refund a card payment").click()
    reviewer.wait_for_url("**/changes/*")
    shot(reviewer, "change-request")
    reviewer.get_by_role("button", name="Approve and publish").click()
    reviewer.wait_for_url("**/articles/refund-a-card-payment")
    assert "Print the slip" in reviewer.locator(".body").inner_text()

    admin = author.context.browser.new_context().new_page()
    sign_in(admin, url, "maja")
    admin.goto(url + "/admin/audit?article_id=" + str(kb.store.get("refund-a-card-payment").id))
    rows = admin.locator("table tbody tr").all_inner_texts()
    assert "rui" in rows[0] and "ana" in rows[-1]
    shot(admin, "audit")
    admin.goto(url + "/admin/users")
    assert admin.get_by_role("row", name="ana").is_visible()
    shot(admin, "users")
    for tab in (author, reviewer, admin):
        tab.context.close()
