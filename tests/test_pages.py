"""Server-rendered pages show real content and never raw user HTML."""

from __future__ import annotations

from datetime import date

from kb.models import QueryLogEntry


def publish(store, title: str = "Reset a password", body: str = "## Steps\n\n1. Open **Settings**\n", **kw):
    return store.create({"title": title, "body": body, "status": "published", **kw}, author="maja")


def test_index_lists_published_articles(client, store) -> None:
    publish(store, tags=["login"])
    store.create({"title": "Secret draft"}, author="x")
    html = client.get("/articles").get_data(as_text=True)
    assert "Reset a password" in html and "Secret draft" not in html
    assert 'href="/articles/reset-a-password"' in html
    assert "Reset a password" not in client.get("/articles?tag=billing").get_data(as_text=True)


def test_article_page_renders_markdown_with_toc(client, store) -> None:
    publish(store, body="## Symptoms\n\nBlank receipts.\n\n## Steps\n\n1. Open **Settings**\n",
            owner="maja.lind", team="support", review_by="2020-01-01")
    html = client.get("/articles/reset-a-password").get_data(as_text=True)
    assert '<h2 id="symptoms">' in html and '<a href="#steps">Steps</a>' in html
    assert "<strong>Settings</strong>" in html and "maja.lind" in html
    assert "needs review" in html


def test_the_new_article_form_sent_again_saves_that_article_not_a_second_one(client, store) -> None:
    page = client.get("/articles/new").text
    form = {"csrf_token": csrf_from(page), "form_id": page.split('name="form_id" value="')[1].split('"')[0],
            "title": "Drawer sticks", "body": "Pull.", "status": "draft", "language": "en"}
    assert client.post("/articles/new", data=form).headers["Location"].endswith("/articles/drawer-sticks")
    again = client.post("/articles/new", data={**form, "body": "Pull, then lift."})  # Back, an edit, Save
    assert again.status_code == 303 and again.headers["Location"].endswith("/articles/drawer-sticks")
    assert [a.slug for a in store.list().items] == ["drawer-sticks"]  # no drawer-sticks-2
    assert (store.get("drawer-sticks").body, store.get("drawer-sticks").revision) == ("Pull, then lift.", 2)
    third = client.post("/articles/new", data={**form, "body": "Pull, lift, push."})  # on the author's own change
    assert third.status_code == 303 and store.get("drawer-sticks").revision == 3
    store.update(store.get("drawer-sticks").id, {"body": "Someone else's."}, base_revision=3, author="x")
    assert client.post("/articles/new", data=form).status_code == 409  # on another person's change: a conflict
    other = client.get("/articles/new").text  # another new form is another article
    assert 'name="form_id" value="' + form["form_id"] not in other
    fresh = {**form, "form_id": other.split('name="form_id" value="')[1].split('"')[0], "title": "Drawer jams"}
    assert client.post("/articles/new", data=fresh).headers["Location"].endswith("/articles/drawer-jams")


def test_marking_reviewed_with_a_past_date_says_so_on_the_article(app, store) -> None:
    client = app.test_client()
    client.application.config["WTF_CSRF_ENABLED"] = False
    article = publish(store, review_by="2020-01-01")
    page = client.get("/articles/reset-a-password").text
    assert f'name="review_by" min="{date.fromordinal(date.today().toordinal() + 1).isoformat()}"' in page
    refused = client.post("/articles/reset-a-password/reviewed", data={"review_by": "2020-01-02"})
    assert refused.status_code == 422 and 'id="mark-reviewed"' in refused.text  # the article page, its form
    assert "must be a date after today" in refused.text and "<h1>422</h1>" not in refused.text
    assert "Mark reviewed" in refused.text and store.get(article.id).review_by == date(2020, 1, 1)
    typo = client.post("/articles/reset-a-password/reviewed", data={"review_by": "soon"})
    assert typo.status_code == 422 and "a date like 2027-03-31" in typo.text
    assert client.post("/articles/reset-a-password/reviewed", data={}).status_code == 303
    late = client.post("/articles/reset-a-password/reviewed", data={"review_by": "2020-01-02"})  # reviewed already
    assert late.status_code == 422 and "must be a date after today" in late.text


def test_every_id_on_an_article_page_is_unique(client, store) -> None:
    import re
    from collections import Counter

    publish(store, body="## Main\n\nThe main till.\n\n## Page main\n\nx\n\n## Настройка\n\ny\n")
    html = client.get("/articles/reset-a-password").get_data(as_text=True)
    ids = Counter(re.findall(r'\sid="([^"]+)"', html))
    assert ids["main"] == 1 and ids["page-main"] == 1 and ids["настройка"] == 1
    assert [i for i, n in ids.items() if n > 1] == []
    assert 'href="#page--main"' in html and 'id="page--main"' in html  # the skip link still lands


def test_titles_and_tags_are_escaped(client, store) -> None:
    publish(store, title="<img src=x onerror=alert(1)>", body="<script>alert(2)</script>")
    html = client.get("/articles").get_data(as_text=True)
    assert "<img src=x onerror" not in html and "&lt;img src=x onerror=alert(1)&gt;" in html
    slug = store.all_articles()[0].slug
    page = client.get(f"/articles/{slug}").get_data(as_text=True)
    assert "<script>alert(2)" not in page and "onerror=alert(1)>" not in page


def test_history_and_diff_pages(client, store) -> None:
    article = publish(store)
    store.update(article.id, {"body": "## Steps\n\n1. Open **Preferences**\n"}, base_revision=1,
                 author="tomasz", message="Renamed menu")
    history = client.get("/articles/reset-a-password/history").get_data(as_text=True)
    assert "Renamed menu" in history and "tomasz" in history
    diff = client.get("/articles/reset-a-password/diff?from=1&to=2").get_data(as_text=True)
    assert "<del>**Settings**</del>" in diff and "<ins>**Preferences**</ins>" in diff


def test_missing_article_page_is_a_404_page(client) -> None:
    response = client.get("/articles/nothing")
    assert response.status_code == 404 and "text/html" in response.content_type


def test_search_page_shows_results_with_sections(search_client, searchable_kb) -> None:
    publish(searchable_kb.store, body="## Symptoms\n\nThe receipt printer is offline.\n")
    html = search_client.get("/?q=printer+offline").get_data(as_text=True)
    assert 'href="/articles/reset-a-password#symptoms"' in html
    assert "<mark>printer</mark>" in html and "› Symptoms" in html
    assert "<mark>" not in search_client.get("/?q=%3Cmark%3E").get_data(as_text=True).split("</form>")[1]


def csrf_from(html: str) -> str:
    return html.split('name="csrf_token" value="')[1].split('"')[0]


def test_editor_create_from_template_then_edit_and_restore(client, store) -> None:
    page = client.get("/articles/new?template=troubleshooting").get_data(as_text=True)
    assert "## Symptoms" in page and "## Workaround" in page
    token = csrf_from(page)
    created = client.post("/articles/new", data={"csrf_token": token, "title": "Scanner beeps twice",
                                                 "body": "## Symptoms\n\nTwo beeps.", "tags": "hardware, barcode",
                                                 "status": "draft", "language": "en", "message": "First"})
    assert created.status_code == 303 and created.headers["Location"].endswith("/articles/scanner-beeps-twice")
    edit = client.get("/articles/scanner-beeps-twice/edit").get_data(as_text=True)
    saved = client.post("/articles/scanner-beeps-twice/edit", data={
        "csrf_token": csrf_from(edit), "base_revision": "1", "title": "Scanner beeps twice",
        "body": "## Symptoms\n\nThree beeps.", "tags": "hardware", "status": "published", "language": "en"})
    assert saved.status_code == 303
    article = store.get("scanner-beeps-twice")
    assert (article.revision, article.tags, article.status) == (2, ("hardware",), "published")
    history = client.get("/articles/scanner-beeps-twice/history").get_data(as_text=True)
    restored = client.post("/articles/scanner-beeps-twice/revisions/1/restore", data={"csrf_token": csrf_from(history)})
    assert restored.status_code == 303 and store.get("scanner-beeps-twice").body == "## Symptoms\n\nTwo beeps."


def test_stale_save_in_the_editor_shows_the_conflict_and_keeps_my_text(client, store) -> None:
    article = publish(store)
    edit = client.get(f"/articles/{article.slug}/edit").get_data(as_text=True)
    store.update(article.id, {"body": "Their change"}, base_revision=1, author="tomasz", message="Theirs")
    response = client.post(f"/articles/{article.slug}/edit", data={
        "csrf_token": csrf_from(edit), "base_revision": "1", "title": article.title, "body": "My change",
        "status": "published", "language": "en"})
    html = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "Someone else saved this article" in html and "My change" in html and "Theirs" in html
    assert store.get(article.id).body == "Their change"


def test_a_stale_save_takes_the_other_saves_fields_it_did_not_touch(client, store) -> None:
    article = publish(store, tags=["login"])
    edit = client.get(f"/articles/{article.slug}/edit").get_data(as_text=True)
    store.update(article.id, {"title": "Reset a password (new portal)", "tags": ["login", "portal"],
                              "review_by": "2027-09-30"}, base_revision=1, author="tomasz", message="Theirs")
    form = {"csrf_token": csrf_from(edit), "base_revision": "1", "title": article.title, "body": "My change",
            "tags": "login", "status": "published", "language": "en", "review_by": ""}
    html = client.post(f"/articles/{article.slug}/edit", data=form).get_data(as_text=True)
    # The form the author saves again carries their title, tags and review date, not the old ones.
    assert 'value="Reset a password (new portal)"' in html and 'value="login, portal"' in html
    assert 'value="2027-09-30"' in html and "Their change to title, tags, review by is in the form" in html
    both = client.post(f"/articles/{article.slug}/edit", data={**form, "base_revision": "1", "title": "Mine"})
    assert "You both changed title" in both.get_data(as_text=True)


def test_form_posts_without_csrf_token_fail(client, store) -> None:
    response = client.post("/articles/new", data={"title": "x", "body": "y"})
    assert response.status_code == 400 and store.list().total == 0


def test_preview_renders_through_the_sanitiser(client) -> None:
    token = csrf_from(client.get("/articles/new").get_data(as_text=True))
    html = client.post("/preview", data={"body": "## Hi\n<script>alert(1)</script>", "csrf_token": token}).json["html"]
    assert '<h2 id="hi">' in html and "<script" not in html


def test_paste_a_ticket_page_suggests_and_takes_feedback(search_client, searchable_kb) -> None:
    article = publish(searchable_kb.store, title="Printer prints blank receipts",
                      body="## Symptoms\n\nBlank receipts after the update.\n")
    page = search_client.get("/tickets").get_data(as_text=True)
    token = csrf_from(page)
    html = search_client.post("/tickets", data={"csrf_token": token, "text": (
        "Hello,\n\nour printer prints blank receipts since the update!\n\nBest regards\nBo\nSent from my iPhone")}
    ).get_data(as_text=True)
    assert 'href="/articles/printer-prints-blank-receipts#symptoms"' in html and 'data-outcome="linked"' in html
    query_id = html.split('data-query-id="')[1].split('"')[0]
    response = search_client.post(f"/tickets/{query_id}/feedback", data={"article_id": article.id,
                                                                         "outcome": "linked"},
                                  headers={"X-CSRFToken": token})
    assert response.status_code == 200 and response.json["stats"]["links"] == 1
    empty = search_client.post("/tickets", data={"csrf_token": token, "text": "  "})
    assert empty.status_code == 422


def test_search_results_fragment_for_search_as_you_type(search_client, searchable_kb) -> None:
    publish(searchable_kb.store, body="## Symptoms\n\nThe receipt printer is offline.\n")
    fragment = search_client.get("/search/results?q=printer+offline").get_data(as_text=True)
    assert "<html" not in fragment and 'href="/articles/reset-a-password#symptoms"' in fragment
    page = search_client.get("/?q=printer+offline").get_data(as_text=True)
    assert 'id="results-region"' in page and "search.js" in page
    assert 'href="/articles/reset-a-password#symptoms"' in page


def test_article_page_shows_counts_related_articles_and_takes_votes(search_client, searchable_kb) -> None:
    store = searchable_kb.store
    printer = publish(store, title="Printer prints blank receipts", body="## Fix\n\nThe receipt printer is blank.\n")
    publish(store, title="Receipt printer offline", body="## Fix\n\nThe receipt printer shows offline.\n")
    draft = publish(store, title="Secret draft printer", body="receipt printer draft")
    store.update(draft.id, {"status": "draft"}, base_revision=1, author="x")
    html = search_client.get(f"/articles/{printer.slug}").get_data(as_text=True)
    assert "Related articles" in html and "/articles/receipt-printer-offline" in html
    assert "Secret draft printer" not in html and "Solved tickets" in html
    token = csrf_from(html)
    voted = search_client.post(f"/articles/{printer.slug}/helpful", data={"csrf_token": token, "helpful": "yes"})
    assert voted.status_code == 303 and searchable_kb.feedback.stats(printer.id).helpful == 1
    assert "100%" in search_client.get(f"/articles/{printer.slug}").get_data(as_text=True)
    for answer in ("yes", "yes", "no", "no"):  # one person, one vote: again counts once, "no" replaces it
        search_client.post(f"/articles/{printer.slug}/helpful", data={"csrf_token": token, "helpful": answer})
    stats = searchable_kb.feedback.stats(printer.id)
    assert (stats.helpful, stats.did_not_answer) == (0, 1)
    searchable_kb.feedback.vote(printer.id, True, "someone-else")
    assert searchable_kb.feedback.stats(printer.id).helpful == 1


def test_editor_offers_existing_tags(client, store) -> None:
    publish(store, tags=["printers", "hardware"])
    html = client.get("/articles/new").get_data(as_text=True)
    assert '<datalist id="tag-list"><option value="hardware"><option value="printers"></datalist>' in html


def test_article_page_title_is_plain_text(client, store) -> None:
    publish(store)
    html = client.get("/articles/reset-a-password").get_data(as_text=True)
    assert "<title>Reset a password · Support KB</title>" in html
    assert html.count("<script") == 2 and "article.js" in html and "base.js" in html  # our own two, nothing injected


def _agent(app, username: str, team: str):
    """A signed-in agent's client and a search-then-open helper for it."""
    import re

    from conftest import sign_in

    client = app.test_client()  # closes each response, which writes the query log, as a server does
    sign_in(client, username, "reader", team=team)
    token = client.get("/").get_data(as_text=True).split('name="csrf-token" content="')[1].split('"')[0]

    def search_and_open(query: str) -> int:
        html = client.get(f"/search/results?q={query}").get_data(as_text=True)
        log, article = re.search(r'data-log="([^"]+)"', html)[1], re.search(r'data-id="(\d+)"', html)[1]
        return client.post("/search/opened", data={"log": log, "article": article, "csrf_token": token}).status_code
    return client, search_and_open


def test_popular_searches_show_on_the_empty_search_page(search_client, searchable_kb) -> None:
    publish(searchable_kb.store, body="## Symptoms\n\nThe receipt printer is offline.\n")
    app = search_client.application
    anna, anna_opens = _agent(app, "anna", "support")
    _, bo_opens = _agent(app, "bo", "support")
    carl, carl_opens = _agent(app, "carl", "billing")
    for query in ("printer offline", "receipt printer", "receipt printer", "receipt printer",
                  "printer mail me at a@b.example"):
        assert anna_opens(query) == 204
    assert bo_opens("Printer  OFFLINE") == 204  # the same search, by a second person
    assert carl_opens("urgent reset your password at evil example") == 204
    html = anna.get("/").get_data(as_text=True)
    popular = html.split('id="popular"')[1]
    # two people beat one person three times; another team's searches are not this team's
    assert popular.index("printer offline") < popular.index("receipt printer")
    assert "a@b.example" not in html and "[email]" not in html and "evil" not in popular
    assert "evil" in carl.get("/").get_data(as_text=True).split('id="popular"')[1]
    assert "printer offline" not in carl.get("/").get_data(as_text=True).split('id="popular"')[1]


def test_popular_searches_count_only_results_opened_from_ones_own_logged_search(search_client,
                                                                               searchable_kb) -> None:
    import re

    article = publish(searchable_kb.store, body="## Symptoms\n\nThe receipt printer is offline.\n")
    token = csrf_from(search_client.get("/").get_data(as_text=True).replace('name="csrf-token" content=',
                                                                           'name="csrf_token" value='))
    html = search_client.get("/search/results?q=printer offline").get_data(as_text=True)
    log = re.search(r'data-log="([^"]+)"', html)[1]
    forged = [{"q": "free pizza at 20 30 40 50"}, {"q": "free pizza", "log": "no-such-log", "article": article.id},
              {"q": "free pizza", "log": log, "article": 999}]  # not a result that search showed
    for data in forged:
        assert search_client.post("/search/opened", data={**data, "csrf_token": token}).status_code == 204
    assert searchable_kb.search_counts.popular() == []
    search_client.post("/search/opened", data={"log": log, "article": article.id, "csrf_token": token})
    search_client.post("/search/opened", data={"log": log, "article": article.id, "csrf_token": token})
    assert searchable_kb.search_counts.popular() == ["printer offline"]
    with searchable_kb.db.session() as session:  # one search, opened twice: its first result counts
        assert session.query(QueryLogEntry).filter(QueryLogEntry.clicked_article_id.is_not(None)).count() == 1


def test_article_page_counts_reads_of_published_articles(client, knowledge_base, store) -> None:
    article = publish(store)
    draft = store.create({"title": "Work in progress"}, author="maja")
    for _ in range(3):
        client.get(f"/articles/{article.slug}")
    client.get(f"/articles/{article.slug}?voted=1")  # the page after a vote: the same read
    client.get(f"/articles/{draft.slug}")
    assert knowledge_base.reads.recent(article.id) == 3 and knowledge_base.reads.recent(draft.id) == 0
    # the page shows the reads before its own, which is written after the response has gone out
    assert "<dt>Reads (30 days)</dt><dd>3</dd>" in client.get(f"/articles/{article.slug}").get_data(as_text=True)


def test_purging_an_article_drops_its_reads(client, knowledge_base, store) -> None:
    from kb.permissions import Principal

    article = publish(store)
    client.get(f"/articles/{article.slug}")
    knowledge_base.editing.purge(Principal("root", "admin"), article.id)
    assert knowledge_base.reads.counts(date.min, date.max) == {}


def test_history_links_the_revisions_each_reader_may_see_and_offers_restore_only_to_who_may(app, store) -> None:
    from conftest import sign_in
    from flask.testing import FlaskClient

    article = publish(store)  # 1 published
    store.update(article.id, {"body": "draft text", "status": "draft"}, base_revision=1, author="x")  # 2
    store.update(article.id, {"body": "v3", "status": "published"}, base_revision=2, author="x")  # 3

    def history(role: str) -> str:
        client = FlaskClient(app, app.response_class)
        sign_in(client, f"a-{role}", role)
        return client.get(f"/articles/{article.slug}/history").get_data(as_text=True)

    reader = history("reader")
    assert "diff with 1" in reader and "diff with 2" not in reader and "Restore" not in reader
    assert "Analytics" not in reader and "Analytics" in history("reviewer")
    assert "Restore" not in history("author")  # a published article changes through a reviewer
    assert "diff with 2" in history("reviewer") and "Restore" in history("reviewer")


def test_a_restore_from_a_stale_history_page_is_refused(client, store) -> None:
    article = publish(store)
    store.update(article.id, {"body": "v2"}, base_revision=1, author="x")
    page = client.get(f"/articles/{article.slug}/history").get_data(as_text=True)
    store.update(article.id, {"body": "v3 by someone else"}, base_revision=2, author="y")
    stale = client.post(f"/articles/{article.slug}/revisions/1/restore",
                        data={"csrf_token": csrf_from(page), "base_revision": "2"})
    assert stale.status_code == 409 and store.get(article.id).body == "v3 by someone else"
    assert "Not restored: the article changed since this page showed it (now at revision 3)" in stale.text
    assert 'name="base_revision" value="3"' in stale.text  # the history as it is now: restore can be tried again


def test_a_pasted_signature_alone_is_sent_back_with_a_reason(search_client) -> None:
    token = csrf_from(search_client.get("/tickets").get_data(as_text=True))
    page = search_client.post("/tickets", data={"csrf_token": token, "text": "--\nSent from my iPhone"})
    assert page.status_code == 422 and "nothing is left to search" in page.get_data(as_text=True)
    assert "Sent from my iPhone" in page.get_data(as_text=True)  # the text stays in the box to fix


def test_a_pasted_thread_too_long_to_search_points_to_the_ticket_page(search_client) -> None:
    too_long = search_client.get("/search/results", query_string={"q": "printer " * 1300})
    assert too_long.status_code == 200 and 'id="too-long"' in too_long.get_data(as_text=True)
    assert "/tickets" in too_long.get_data(as_text=True)
    search_client.get("/search/results", query_string={"q": "printer offline " * 600})  # 9,600 characters
    cookie = search_client.get_cookie("session")
    assert cookie is not None and len(cookie.value) < 1000  # a browser drops a cookie over 4 KB


def test_an_email_pasted_in_the_search_box_keeps_its_lines_and_says_what_was_searched(search_client,
                                                                                     searchable_kb) -> None:
    publish(searchable_kb.store, body="## Symptoms\n\nThe receipt printer is offline.\n")
    pasted = "Hello,\n\nour receipt printer is offline again.\n\nKind regards,\nAnna Berg\nShop manager"
    html = search_client.get("/", query_string={"q": pasted}).get_data(as_text=True)
    assert f'autofocus>{pasted}</textarea>' in html  # the box holds the e-mail as pasted, lines and all
    note = html.split('id="cleaned-query"')[1].split("</div>")[0]
    assert "our receipt printer is offline again." in note and "Anna" not in note
    assert 'href="/articles/reset-a-password#symptoms"' in html
    assert 'id="cleaned-query"' not in search_client.get("/?q=printer+offline").get_data(as_text=True)


def test_a_half_typed_language_filter_is_named_not_an_error_page(search_client, searchable_kb) -> None:
    publish(searchable_kb.store, body="## Symptoms\n\nThe receipt printer is offline.\n")
    page = search_client.get("/search/results?q=printer&lang=d")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and 'id="bad-filter"' in html and "reset-a-password" in html


def test_a_reviewer_hands_an_article_over_in_the_editor_an_author_only_sees_the_owner(app, store) -> None:
    from conftest import sign_in
    from flask.testing import FlaskClient

    article = store.create({"title": "Scanner beeps", "body": "x", "owner": "maja"}, author="maja")

    def editor(username: str, role: str) -> tuple[FlaskClient, str]:
        client = FlaskClient(app, app.response_class)
        sign_in(client, username, role)
        return client, client.get(f"/articles/{article.slug}/edit").get_data(as_text=True)

    def save(client: FlaskClient, page: str, owner: str, base: int):
        return client.post(f"/articles/{article.slug}/edit", data={
            "csrf_token": csrf_from(page), "base_revision": str(base), "title": "Scanner beeps", "body": "x",
            "status": "draft", "language": "en", "owner": owner})

    author, page = editor("maja", "author")
    assert 'name="owner" value="maja"' in page and "readonly" in page.split('name="owner"')[1].split(">")[0]
    assert "<option value=" not in page.split('id="people-list"')[1].split("</datalist>")[0]
    assert save(author, page, "tomasz", 1).status_code == 403 and store.get(article.id).owner == "maja"
    reviewer, page = editor("rita", "reviewer")
    assert '<option value="maja">' in page  # the people one can hand it to
    refused = save(reviewer, page, "tomasz", 1)  # no such account: a typo would leave nobody to ask
    assert refused.status_code == 422 and "active account" in refused.get_data(as_text=True)
    app.extensions["kb"].users.create("tomasz", role="author", password=None, by="test")
    assert save(reviewer, page, "Tomasz", 1).status_code == 303 and store.get(article.id).owner == "tomasz"
    assert save(reviewer, page, "", 2).status_code == 422 and store.get(article.id).owner == "tomasz"


def test_parallel_votes_of_one_person_count_once(searchable_kb) -> None:
    from concurrent.futures import ThreadPoolExecutor

    article = publish(searchable_kb.store)
    for round_ in range(10):  # a double click: two requests of the same answer at once
        with ThreadPoolExecutor(2) as pool:
            list(pool.map(searchable_kb.feedback.vote, [article.id] * 2, [True] * 2, [f"reader-{round_}"] * 2))
    assert searchable_kb.feedback.stats(article.id).helpful == 10


def test_a_pasted_message_is_posted_with_its_filters_in_the_query_string(search_client, searchable_kb) -> None:
    searchable_kb.store.create({"title": "Printer prints blank receipts", "status": "published", "tags": ["printers"],
                                "body": "## Symptoms\n\nThe receipt comes out blank."}, author="maja")
    token = csrf_from(search_client.get("/").get_data(as_text=True))
    email = "Hi,\n\nthe receipt comes out blank since this morning.\n\nBest regards,\nJon Berg\n+45 31 22 45 67"
    posted = search_client.post("/search/results?mode=keyword", data={"csrf_token": token, "q": email})
    html = posted.get_data(as_text=True)
    assert posted.status_code == 200 and "Printer prints blank receipts" in html and 'id="cleaned-query"' in html
    assert 'href="/?tag=printers"' in html and "Berg" not in html.split('id="results"')[1]  # its links too
    assert search_client.post("/search/results", data={"q": email}).status_code == 400  # a POST needs the token
