"""Every role against every page and API endpoint: each may do exactly what the table says, nothing more."""

from __future__ import annotations

import pytest
from conftest import sign_in
from flask.testing import FlaskClient

from kb.errors import Conflict
from kb.permissions import Principal
from kb.web import create_app

ROLES = ("reader", "author", "reviewer", "admin")
TEAM = "support"
# Written out by hand (not derived from the code's table), so a change to the permissions shows up here.
ALLOWED: dict[str, set[str]] = {
    "reader": {"read", "search", "suggest", "feedback"},
    "author": {"read", "search", "suggest", "feedback", "create", "edit", "unpublished"},
    "reviewer": {"read", "search", "suggest", "feedback", "create", "edit", "unpublished", "review", "analytics"},
    "admin": {"read", "search", "suggest", "feedback", "create", "edit", "unpublished", "review", "analytics",
              "admin"},
}
# endpoint -> (what it needs, method, url, form or JSON body). {slug}/{id}/{draft} are filled in per test.
REQUESTS: dict[str, tuple[str, str, str, dict | None]] = {
    "pages.search": ("search", "GET", "/?q=drawer", None),
    "pages.search_results": ("search", "GET", "/search/results?q=drawer", None),
    "pages.search_opened": ("search", "POST", "/search/opened", {"q": "drawer"}),
    "pages.index": ("read", "GET", "/articles", None),
    "pages.article": ("read", "GET", "/articles/{slug}", None),
    "pages.history": ("read", "GET", "/articles/{slug}/history", None),
    "pages.diff": ("read", "GET", "/articles/{slug}/diff", None),
    "pages.helpful": ("feedback", "POST", "/articles/{slug}/helpful", {"helpful": "yes"}),
    "pages.api_docs": ("read", "GET", "/api/docs", None),
    "pages.ticket_form": ("suggest", "GET", "/tickets", None),
    "pages.ticket_suggest": ("suggest", "POST", "/tickets", {"text": "drawer stuck"}),
    "pages.ticket_feedback": ("feedback", "POST", "/tickets/nope/feedback", {"article_id": "1", "outcome": "helpful"}),
    "pages.new": ("create", "GET", "/articles/new", None),
    "pages.create": ("create", "POST", "/articles/new", {"title": "New one", "body": "x", "status": "draft"}),
    "pages.preview": ("create", "POST", "/preview", {"body": "# hi"}),
    "pages.edit": ("edit", "GET", "/articles/{slug}/edit", None),
    "pages.save": ("edit", "POST", "/articles/{slug}/edit", {"title": "Drawer", "body": "Edited.",
                                                             "status": "published", "team": TEAM,
                                                             "base_revision": "1"}),
    "pages.restore": ("edit", "POST", "/articles/{slug}/revisions/1/restore", None),
    "pages.transition": ("review", "POST", "/articles/{slug}/status", {"status": "archived"}),
    "pages.request_review": ("edit", "POST", "/articles/{slug}/request-review", {"reason": "UI changed"}),
    "pages.my_articles": ("edit", "GET", "/my", None),
    "pages.review_queue": ("review", "GET", "/review", None),
    "pages.mark_reviewed": ("review", "POST", "/articles/{slug}/reviewed", {}),
    "pages.change_request": ("unpublished", "GET", "/changes/1", None),
    "pages.approve_change": ("review", "POST", "/changes/1/approve", None),
    "pages.reject_change": ("review", "POST", "/changes/1/reject", {"note": "no"}),
    "pages.withdraw_change": ("review", "POST", "/changes/1/withdraw", None),  # someone else's: reviewers only
    "pages.purge": ("admin", "POST", "/articles/{slug}/purge", {"confirm": "{slug}"}),
    "pages.audit": ("admin", "GET", "/admin/audit", None),
    "pages.audit_csv": ("admin", "GET", "/admin/audit.csv", None),
    "pages.users": ("admin", "GET", "/admin/users", None),
    "pages.create_user": ("admin", "POST", "/admin/users", {"username": "newbie", "role": "reader"}),
    "pages.update_user": ("admin", "POST", "/admin/users/1", {"role": "reader"}),
    "pages.teams": ("admin", "GET", "/admin/teams", None),
    "pages.settings": ("admin", "GET", "/admin/settings", None),
    "pages.tokens": ("admin", "GET", "/admin/tokens", None),
    "pages.create_token": ("admin", "POST", "/admin/tokens", {"name": "zendesk", "scope": "suggest"}),
    "pages.revoke_token": ("admin", "POST", "/admin/tokens/1/revoke", None),
    "api.list_articles": ("read", "GET", "/api/v1/articles", None),
    "api.get_article": ("read", "GET", "/api/v1/articles/{id}", None),
    "api.list_revisions": ("read", "GET", "/api/v1/articles/{id}/revisions", None),
    "api.get_revision": ("read", "GET", "/api/v1/articles/{id}/revisions/1", None),
    "api.diff_revisions": ("read", "GET", "/api/v1/articles/{id}/diff", None),
    "api.search": ("search", "GET", "/api/v1/search?q=drawer", None),
    "api.suggest": ("suggest", "POST", "/api/v1/suggest", {"text": "the drawer is stuck"}),
    "api.suggest_feedback": ("feedback", "POST", "/api/v1/suggest/nope/feedback",
                             {"article_id": 1, "outcome": "helpful"}),
    "api.create_article": ("create", "POST", "/api/v1/articles", {"title": "API draft", "body": "x"}),
    "api.create_article_from_ticket": ("create", "POST", "/api/v1/articles/from-ticket",
                                       {"text": "Drawer stuck", "resolution": "Replug it"}),
    "api.replace_article": ("review", "PUT", "/api/v1/articles/{id}", {"title": "Drawer", "body": "New",
                                                                     "base_revision": 1}),
    "api.patch_article": ("review", "PATCH", "/api/v1/articles/{id}", {"body": "Patched", "base_revision": 1}),
    "api.restore_revision": ("edit", "POST", "/api/v1/articles/{id}/revisions/1/restore", None),
    "api.request_review": ("edit", "POST", "/api/v1/articles/{id}/review-request", {"reason": "old"}),
    "api.stale_articles": ("edit", "GET", "/api/v1/review/stale", None),
    "api.delete_article": ("review", "DELETE", "/api/v1/articles/{id}", None),
    "api.review_queue": ("review", "GET", "/api/v1/review/queue", None),
    "api.orphaned_articles": ("review", "GET", "/api/v1/review/orphaned", None),
    "api.mark_reviewed": ("review", "POST", "/api/v1/articles/{id}/reviewed", None),
    "api.purge_article": ("admin", "POST", "/api/v1/articles/{id}/purge", None),
    "api.list_tokens": ("admin", "GET", "/api/v1/tokens", None),
    "api.create_token": ("admin", "POST", "/api/v1/tokens", {"name": "zendesk", "scope": "suggest"}),
    "api.revoke_token": ("admin", "DELETE", "/api/v1/tokens/1", None),
    "api.list_users": ("admin", "GET", "/api/v1/users", None),
    "api.create_user": ("admin", "POST", "/api/v1/users", {"username": "newbie", "role": "reader"}),
    "api.update_user": ("admin", "PATCH", "/api/v1/users/1", {"role": "reader"}),
    "api.audit_log": ("admin", "GET", "/api/v1/audit", None),
    "api.propose_change": ("edit", "POST", "/api/v1/articles/{id}/change-requests",
                           {"body": "Replug it twice.", "base_revision": 1}),
    "api.list_change_requests": ("edit", "GET", "/api/v1/change-requests", None),
    "api.get_change_request": ("edit", "GET", "/api/v1/change-requests/1", None),
    "api.approve_change_request": ("review", "POST", "/api/v1/change-requests/1/approve", None),
    "api.reject_change_request": ("review", "POST", "/api/v1/change-requests/1/reject", {"note": "no"}),
    "api.withdraw_change_request": ("review", "POST", "/api/v1/change-requests/1/withdraw", None),
}
PUBLIC = {"static", "healthz", "pages.login", "pages.logout", "api.api_health", "api.openapi_json"}


@pytest.fixture
def walk_app(knowledge_base):
    """An app with one published article of team "support" and CSRF off (CSRF has its own tests)."""
    app = create_app(knowledge_base=knowledge_base)
    app.config.update(TESTING=True, WTF_CSRF_ENABLED=False)
    article = knowledge_base.store.create({"title": "Drawer", "body": "Stuck drawer: replug.", "team": TEAM,
                                           "status": "published"}, author="seed")
    knowledge_base.change_requests.propose(Principal("seed-author", "author", TEAM), article.id,
                                           {"body": "Stuck drawer: replug the cable."}, base_revision=1)
    return app, article


def _client(app, role: str) -> FlaskClient:
    client = FlaskClient(app, app.response_class)  # no bearer token: the session decides
    sign_in(client, f"{role}-user", role, team=TEAM)
    return client


def _send(client: FlaskClient, endpoint: str, article) -> int:
    _, method, url, body = REQUESTS[endpoint]
    url = url.format(slug=article.slug, id=article.id)
    if body is not None:
        body = {k: v.format(slug=article.slug) if isinstance(v, str) else v for k, v in body.items()}
    if endpoint.startswith("api."):
        return client.open(url, method=method, json=body).status_code
    return client.open(url, method=method, data=body).status_code


def test_every_endpoint_is_in_the_walk(walk_app) -> None:
    app, _ = walk_app
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()}
    analytics = {e for e in endpoints if e.startswith(("pages.analytics", "api.analytics_"))}
    assert endpoints - PUBLIC - analytics == set(REQUESTS)


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("endpoint", sorted(REQUESTS))
def test_each_role_can_do_exactly_what_the_table_says(walk_app, role: str, endpoint: str) -> None:
    app, article = walk_app
    status = _send(_client(app, role), endpoint, article)
    need = REQUESTS[endpoint][0]
    if need in ALLOWED[role]:
        assert status not in (401, 403), (role, endpoint, status)
    else:
        assert status == 403, (role, endpoint, status)


@pytest.mark.parametrize("role", ROLES)
def test_analytics_needs_a_reviewer(walk_app, role: str) -> None:
    app, _ = walk_app
    client = _client(app, role)
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith(("pages.analytics", "api.analytics_")) and "GET" in rule.methods \
                and not rule.arguments:
            status = client.get(rule.rule).status_code
            assert (status == 403) == ("analytics" not in ALLOWED[role]), (role, rule.rule, status)


@pytest.mark.parametrize("endpoint", sorted(REQUESTS))
def test_anonymous_visitors_get_nothing(walk_app, endpoint: str) -> None:
    app, article = walk_app
    status = _send(FlaskClient(app, app.response_class), endpoint, article)
    expected = 401 if endpoint.startswith("api.") or REQUESTS[endpoint][1] != "GET" else 302
    assert status == expected, (endpoint, status)


SCOPE_ALLOWED = {"suggest": {"suggest", "feedback"}, "read": ALLOWED["reader"], "write": ALLOWED["reviewer"],
                 "admin": ALLOWED["admin"]}


@pytest.mark.parametrize("scope", sorted(SCOPE_ALLOWED))
@pytest.mark.parametrize("endpoint", sorted(e for e in REQUESTS if e.startswith("api.")))
def test_each_token_scope_acts_with_its_role(walk_app, knowledge_base, scope: str, endpoint: str) -> None:
    app, article = walk_app
    client = FlaskClient(app, app.response_class)
    secret = knowledge_base.tokens.create(f"{scope}-plugin", scope)[1]
    client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {secret}"
    status = _send(client, endpoint, article)
    if REQUESTS[endpoint][0] in SCOPE_ALLOWED[scope]:
        assert status not in (401, 403), (scope, endpoint, status)
    else:
        assert status == 403, (scope, endpoint, status)


def test_drafts_are_invisible_to_readers(walk_app, knowledge_base) -> None:
    app, _ = walk_app
    draft = knowledge_base.store.create({"title": "Unreleased pricing", "body": "secret", "team": TEAM},
                                        author="seed")
    reader, author = _client(app, "reader"), _client(app, "author")
    for url in (f"/articles/{draft.slug}", f"/articles/{draft.slug}/history", f"/api/v1/articles/{draft.id}",
                f"/api/v1/articles/{draft.id}/revisions"):
        assert reader.get(url).status_code == 404, url
        assert author.get(url).status_code == 200, url
    assert draft.slug not in reader.get("/articles?status=draft").text
    assert reader.get("/api/v1/articles?status=draft").status_code == 403
    assert [a["id"] for a in reader.get("/api/v1/articles").json["articles"]] == [walk_app[1].id]


def test_authors_change_only_their_own_teams_articles(walk_app, knowledge_base) -> None:
    app, article = walk_app
    outsider = FlaskClient(app, app.response_class)
    sign_in(outsider, "sales-author", "author", team="sales")
    assert outsider.get(f"/articles/{article.slug}/edit").status_code == 403
    patch = outsider.patch(f"/api/v1/articles/{article.id}", json={"body": "Hijacked", "base_revision": 1})
    assert patch.status_code == 403 and patch.json["error"]["code"] == "forbidden"
    own = outsider.post("/api/v1/articles", json={"title": "Sales FAQ", "body": "x"})
    assert own.status_code == 201 and own.json["team"] == "sales" and own.json["owner"] == "sales-author"
    assert outsider.post("/api/v1/articles", json={"title": "x", "body": "y", "team": TEAM}).status_code == 403
    assert knowledge_base.store.get(article.id).body == "Stuck drawer: replug."


def test_a_team_bound_token_purges_and_decides_for_its_own_team_only(walk_app, knowledge_base) -> None:
    app, article = walk_app
    _, admin_secret = knowledge_base.tokens.create("billing-admin", "admin", team="billing")
    _, write_secret = knowledge_base.tokens.create("billing-writer", "write", team="billing")
    client = FlaskClient(app, app.response_class)

    def call(url: str, secret: str) -> int:
        return client.post(url, json={}, headers={"Authorization": f"Bearer {secret}"}).status_code

    proposal = knowledge_base.change_requests.open(article.id)[0]
    assert call(f"/api/v1/change-requests/{proposal.id}/reject", write_secret) == 403
    assert call(f"/api/v1/change-requests/{proposal.id}/approve", write_secret) == 403
    assert call(f"/api/v1/articles/{article.id}/purge", admin_secret) == 403
    assert knowledge_base.store.get(article.id).status == "published"
    assert knowledge_base.change_requests.get(proposal.id).state == "open"


def test_a_team_bound_admin_token_cannot_mint_tokens_or_accounts(walk_app, knowledge_base) -> None:
    app, _ = walk_app
    _, secret = knowledge_base.tokens.create("billing-admin", "admin", team="billing")
    client = FlaskClient(app, app.response_class)
    client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {secret}"
    before = (len(knowledge_base.tokens.list()), knowledge_base.users.count())
    minted = client.post("/api/v1/tokens", json={"name": "escalated", "scope": "admin"})
    assert minted.status_code == 403 and "bound to team 'billing'" in minted.json["error"]["message"]
    made = client.post("/api/v1/users", json={"username": "evil", "role": "admin", "password": "x" * 20})
    assert made.status_code == 403 and made.json["error"]["code"] == "forbidden"
    assert client.get("/api/v1/tokens").status_code == 403
    assert (len(knowledge_base.tokens.list()), knowledge_base.users.count()) == before
    assert client.get("/api/v1/audit").status_code == 200  # its other admin powers stay


def test_a_change_proposed_on_an_old_revision_is_a_409(walk_app, knowledge_base) -> None:
    app, article = walk_app
    knowledge_base.store.update(article.id, {"body": "Replug, then restart."}, base_revision=1, author="rev")
    author = _client(app, "author")
    stale = author.post(f"/api/v1/articles/{article.id}/change-requests",
                        json={"body": "Mine", "base_revision": 1})
    assert stale.status_code == 409 and stale.json["error"]["changes"][0]["number"] == 2
    assert author.post(f"/api/v1/articles/{article.id}/change-requests",
                       json={"body": "Mine", "base_revision": 9}).status_code == 422
    assert len(knowledge_base.change_requests.open(article.id)) == 1  # only the seed's


def test_a_change_request_survives_a_review_date_but_not_a_change_to_what_it_changes(walk_app, knowledge_base) -> None:
    from datetime import date, timedelta

    _, article = walk_app  # the seed's change request was made on revision 1
    later = date.today() + timedelta(days=200)
    knowledge_base.workflow.mark_reviewed(article.id, by="rita", review_by=later)  # revision 2: the date only
    editor_form = {"title": "Drawer", "body": "Stuck drawer: replug, then count to ten.", "tags": [],
                   "status": "published", "language": "en", "team": TEAM, "review_by": None}
    proposal = knowledge_base.change_requests.propose(Principal("seed-author", "author", TEAM), article.id,
                                                      editor_form, base_revision=2)
    seed = next(p for p in knowledge_base.change_requests.open(article.id) if p.id != proposal.id)
    rita = Principal("rita", "reviewer", TEAM)
    approved = knowledge_base.change_requests.approve(rita, seed.id)
    assert approved.body == "Stuck drawer: replug the cable." and approved.review_by == later
    with pytest.raises(Conflict):  # the body changed since revision 2: the reviewer must look again
        knowledge_base.change_requests.approve(rita, proposal.id)


def test_authors_submit_and_reviewers_publish(walk_app, knowledge_base) -> None:
    app, _ = walk_app
    author, reviewer = _client(app, "author"), _client(app, "reviewer")
    draft = author.post("/api/v1/articles", json={"title": "Refunds", "body": "How to refund."}).json
    assert author.post("/api/v1/articles", json={"title": "Straight out", "body": "x",
                                                 "status": "published"}).status_code == 403
    publish = {"status": "published", "base_revision": 1}
    assert author.patch(f"/api/v1/articles/{draft['id']}", json=publish).status_code == 403
    submitted = author.patch(f"/api/v1/articles/{draft['id']}", json={"status": "in_review", "base_revision": 1})
    assert submitted.status_code == 200
    assert [a["id"] for a in reviewer.get("/api/v1/review/queue").json["articles"]] == [draft["id"]]
    published = reviewer.patch(f"/api/v1/articles/{draft['id']}", json={**publish, "base_revision": 2})
    assert published.status_code == 200 and published.json["status"] == "published"
    moves = knowledge_base.workflow.transitions(draft["id"])
    assert [(m["from"], m["status"], m["by"]) for m in moves] == [
        ("", "draft", "author-user"), ("draft", "in_review", "author-user"), ("in_review", "published",
                                                                              "reviewer-user")]
    bad = reviewer.patch(f"/api/v1/articles/{draft['id']}", json={"status": "in_review", "base_revision": 3})
    assert bad.status_code == 200  # published -> in review is a move the workflow has
    archived = reviewer.delete(f"/api/v1/articles/{draft['id']}")
    assert archived.json["status"] == "archived"
    back = reviewer.patch(f"/api/v1/articles/{draft['id']}", json={"status": "in_review", "base_revision": 5})
    assert back.status_code == 422 and "cannot go from 'archived'" in back.json["error"]["message"]


def test_a_refused_save_keeps_the_authors_text(walk_app) -> None:
    app, article = walk_app
    author = _client(app, "author")
    response = author.post(f"/articles/{article.slug}/edit", data={
        "title": "Drawer", "body": "My long careful rewrite.", "status": "published", "team": "sales",
        "base_revision": "1"})
    assert response.status_code == 403
    assert "My long careful rewrite." in response.text and "team" in response.text


def test_published_text_and_ownership_change_only_through_a_reviewer(walk_app, knowledge_base) -> None:
    app, article = walk_app  # published, team "support"
    author, reviewer = _client(app, "author"), _client(app, "reviewer")
    live = author.patch(f"/api/v1/articles/{article.id}", json={"body": "Call 0900-SCAM", "base_revision": 1})
    assert live.status_code == 403 and "reviewer" in live.json["error"]["message"]
    draft = author.post("/api/v1/articles", json={"title": "Draft", "body": "v1"}).json
    assert (draft["team"], draft["owner"]) == (TEAM, "author-user")
    assert author.patch(f"/api/v1/articles/{draft['id']}", json={"body": "v2", "base_revision": 1}).status_code == 200
    for handover in ({"team": ""}, {"owner": "someone-else"}, {"team": "sales"}):
        refused = author.patch(f"/api/v1/articles/{draft['id']}", json={**handover, "base_revision": 2})
        assert refused.status_code == 403, handover
    assert author.post("/api/v1/articles", json={"title": "x", "body": "y", "owner": "boss"}).status_code == 403
    fixed = reviewer.patch(f"/api/v1/articles/{article.id}", json={"body": "Replug the cable.", "base_revision": 1})
    assert fixed.status_code == 200 and knowledge_base.store.get(article.id).body == "Replug the cable."
    # the flag an owner or analytics raised is not the author's to clear by editing live text
    knowledge_base.workflow.request_review(article.id, by="system:analytics", reason="rejected 5 times")
    assert author.patch(f"/api/v1/articles/{article.id}", json={"body": "Replug the cable. ",
                                                                "base_revision": 2}).status_code == 403
    assert knowledge_base.store.get(article.id).review_requested_at is not None


def test_a_stale_save_after_a_handover_is_a_conflict_not_a_refused_handover(walk_app, knowledge_base) -> None:
    app, _ = walk_app
    author, _ = _client(app, "author"), _client(app, "reviewer")
    draft = author.post("/api/v1/articles", json={"title": "Draft", "body": "v1"}).json
    knowledge_base.editing.save(Principal("rita", "reviewer", TEAM), draft["id"], {"owner": "reviewer-user"},
                                base_revision=1)  # handed over while the author's editor was open
    stale = author.put(f"/api/v1/articles/{draft['id']}", json={**{k: draft[k] for k in (
        "title", "tags", "status", "language", "team", "owner")}, "body": "v2", "base_revision": 1})
    assert stale.status_code == 409 and stale.json["error"]["code"] == "conflict"
    outsider = FlaskClient(app, app.response_class)
    sign_in(outsider, "sales-author", "author", team="sales")  # another team's author learns nothing of it
    assert outsider.patch(f"/api/v1/articles/{draft['id']}", json={"body": "x", "base_revision": 1}).status_code == 403


def test_readers_never_see_text_that_was_not_published(walk_app, knowledge_base) -> None:
    app, _ = walk_app
    draft = knowledge_base.store.create({"title": "Pricing", "body": "Internal: 40% margin", "team": TEAM},
                                        author="seed")
    knowledge_base.store.update(draft.id, {"body": "Prices are on the website.", "status": "published"},
                                base_revision=1, author="rev")
    reader, author = _client(app, "reader"), _client(app, "author")
    listed = reader.get(f"/api/v1/articles/{draft.id}/revisions").json["revisions"]
    assert [r["number"] for r in listed] == [2]
    assert reader.get(f"/api/v1/articles/{draft.id}/revisions/1").status_code == 404
    assert reader.get(f"/api/v1/articles/{draft.id}/diff?from=1&to=2").status_code == 404
    assert "40% margin" not in reader.get(f"/articles/{draft.slug}/history").text
    assert reader.get(f"/articles/{draft.slug}/diff?from=1&to=2").status_code == 404
    assert author.get(f"/api/v1/articles/{draft.id}/revisions/1").status_code == 200
    # the default diff compares what this reader may see: the published revision with itself, not a 404
    default = reader.get(f"/api/v1/articles/{draft.id}/diff")
    assert default.status_code == 200 and (default.json["from"], default.json["to"]) == (2, 2)
    assert "40% margin" not in default.get_data(as_text=True)
    assert reader.get(f"/articles/{draft.slug}/diff").status_code == 200
    assert author.get(f"/api/v1/articles/{draft.id}/diff").json["from"] == 1  # authors see the draft before it


def test_an_authors_edit_of_a_live_article_waits_for_a_reviewer(walk_app, knowledge_base) -> None:
    app, article = walk_app
    author, reviewer = _client(app, "author"), _client(app, "reviewer")
    form = {"title": "Drawer", "body": "Stuck drawer: check the fuse.", "status": "published", "team": TEAM,
            "base_revision": "1", "message": "Fuse first"}
    assert "Send for review" in author.get(f"/articles/{article.slug}/edit").text
    sent = author.post(f"/articles/{article.slug}/edit", data=form)
    assert sent.status_code == 303 and sent.headers["Location"].startswith("/changes/")
    assert knowledge_base.store.get(article.id).body == "Stuck drawer: replug."  # still live, unchanged
    change_url = sent.headers["Location"]
    again = author.post(f"/articles/{article.slug}/edit", data=form)  # Back, then Send once more
    assert again.headers["Location"] == change_url and len(knowledge_base.change_requests.open(article.id)) == 2
    page = author.get(change_url).text
    assert "check the fuse" in page and "Approve" not in page
    assert "Fuse first" in reviewer.get("/review").text and "waiting for review" in reviewer.get(
        f"/articles/{article.slug}").text
    assert reviewer.post(change_url + "/approve").status_code == 303
    live = knowledge_base.store.get(article.id)
    assert live.body == "Stuck drawer: check the fuse." and live.revision == 2 and live.status == "published"
    assert "proposed by author-user" in knowledge_base.store.revisions(article.id)[0].message
    assert reviewer.post(change_url + "/approve").status_code == 409  # decided already
    first = knowledge_base.change_requests.get(1)  # the walk's own request, now stale
    assert reviewer.post(f"/changes/{first.id}/approve").status_code == 409
    assert reviewer.post(f"/changes/{first.id}/reject", data={"note": "superseded"}).status_code == 303
    actions = [e.action for e in knowledge_base.audit.list()[0]]
    assert {"change.proposed", "change.approved", "change.rejected"} <= set(actions)
    assert _client(app, "reader").get(change_url).status_code == 403


def test_authors_see_what_became_of_their_proposed_changes(walk_app, knowledge_base) -> None:
    app, article = walk_app
    proposal = knowledge_base.change_requests.open(article.id)[0]
    knowledge_base.change_requests.reject(Principal("rita", "reviewer", TEAM), proposal.id, "Say which cable.")
    author = FlaskClient(app, app.response_class)
    sign_in(author, "seed-author", "author", team=TEAM)
    page = author.get("/my").get_data(as_text=True)
    assert "My proposed changes, decided" in page and "Say which cable." in page and "rejected" in page


def test_an_author_withdraws_their_own_open_change_and_nobody_elses(walk_app, knowledge_base) -> None:
    app, article = walk_app
    proposal = knowledge_base.change_requests.open(article.id)[0]
    other = _client(app, "author")  # same team, not the proposer
    assert other.post(f"/api/v1/change-requests/{proposal.id}/withdraw").status_code == 403
    author = FlaskClient(app, app.response_class)
    sign_in(author, "seed-author", "author", team=TEAM)
    assert "Withdraw my change" in author.get(f"/changes/{proposal.id}").get_data(as_text=True)
    assert "Withdraw my change" not in other.get(f"/changes/{proposal.id}").get_data(as_text=True)
    assert author.post(f"/changes/{proposal.id}/withdraw").status_code == 303
    assert knowledge_base.change_requests.get(proposal.id).state == "withdrawn"
    assert knowledge_base.change_requests.open(article.id) == []
    assert knowledge_base.store.get(article.id).body == "Stuck drawer: replug."  # the live text is untouched
    again = author.post(f"/api/v1/change-requests/{proposal.id}/withdraw")
    assert again.status_code == 409 and again.json["error"]["code"] == "conflict"
    assert "change.withdrawn" in [e.action for e in knowledge_base.audit.list()[0]]


def test_authors_cannot_rewrite_an_archived_article(walk_app, knowledge_base) -> None:
    app, article = walk_app
    reviewer = _client(app, "reviewer")
    assert reviewer.delete(f"/api/v1/articles/{article.id}").json["status"] == "archived"
    author = _client(app, "author")  # same team
    current = knowledge_base.store.get(article.id).revision
    stale = author.patch(f"/api/v1/articles/{article.id}", json={"body": "Unreviewed.", "base_revision": 1})
    assert stale.status_code == 409  # the editor opened before the archiving learns of it first
    patch = author.patch(f"/api/v1/articles/{article.id}", json={"body": "Unreviewed.", "base_revision": current})
    assert patch.status_code == 403 and "ask one to return it to draft" in patch.json["error"]["message"]
    assert author.get(f"/articles/{article.slug}/edit").status_code == 403
    assert knowledge_base.store.get(article.id).body == "Stuck drawer: replug."
    moved = reviewer.post(f"/articles/{article.slug}/status", data={"status": "draft",
                                                                   "message": "Add the cable colours."})
    assert moved.status_code == 303
    assert knowledge_base.store.revisions(article.id)[0].message == "Status: draft: Add the cable colours."
    base = knowledge_base.store.get(article.id).revision
    assert author.patch(f"/api/v1/articles/{article.id}", json={"body": "Reworked.", "base_revision": base}
                        ).status_code == 200


def test_a_change_request_page_diffs_against_the_revision_it_was_made_on(walk_app, knowledge_base) -> None:
    app, article = walk_app
    proposal = knowledge_base.change_requests.open(article.id)[0]  # body "... replug the cable." on revision 1
    knowledge_base.store.update(article.id, {"body": "Stuck drawer: replug.\n\nLater: check the fuse."},
                                base_revision=1, author="rita")
    page = _client(app, "reviewer").get(f"/changes/{proposal.id}").get_data(as_text=True)
    assert "Revision 1, which it was based on" in page and "(live)" not in page
    assert "check the fuse" not in page  # a later edit is not shown as something the proposal removes
    assert "changed since" in page


def test_page_actions_that_fail_say_why_on_the_page_they_came_from(walk_app, knowledge_base) -> None:
    from datetime import date, timedelta

    app, article = walk_app
    reviewer, admin = _client(app, "reviewer"), _client(app, "admin")
    proposal = knowledge_base.change_requests.open(article.id)[0]  # the body, on revision 1
    # A review date set since changes nothing the proposal changes: approving applies it on top, as it will.
    knowledge_base.workflow.mark_reviewed(article.id, by="rita", review_by=date.today() + timedelta(days=200))
    page = reviewer.get(f"/changes/{proposal.id}").get_data(as_text=True)
    assert "in other parts" in page and "will report a conflict" not in page
    # The body edited since: the page says approving will fail, and a failed approve says why on that page.
    knowledge_base.store.update(article.id, {"body": "Stuck drawer: replug it twice."}, base_revision=2, author="rita")
    assert "will report a conflict" in reviewer.get(f"/changes/{proposal.id}").get_data(as_text=True)
    refused = reviewer.post(f"/changes/{proposal.id}/approve")
    text = refused.get_data(as_text=True)
    assert refused.status_code == 409 and "Not approved: article changed since revision" in text
    assert f'action="/changes/{proposal.id}/reject"' in text  # still the change's page, its buttons there
    assert knowledge_base.change_requests.get(proposal.id).state == "open"
    # A status move from a page older than a save: the article as it is now, the note kept.
    stale = reviewer.post(f"/articles/{article.slug}/status", data={
        "status": "archived", "base_revision": "1", "message": "Replaced by the new drawer guide"})
    text = stale.get_data(as_text=True)
    assert stale.status_code == 409 and "changed since revision 1" in text
    assert 'value="Replaced by the new drawer guide"' in text and "replug it twice" in text
    assert knowledge_base.store.get(article.id).status == "published"
    # An author's draft published meanwhile: no status form is left for them, the reason is still said.
    draft = knowledge_base.store.create({"title": "Till", "body": "x", "team": TEAM}, author="author-user")
    knowledge_base.store.update(draft.id, {"status": "published"}, base_revision=1, author="rita")
    late = _client(app, "author").post(f"/articles/{draft.slug}/status", data={"status": "in_review",
                                                                              "base_revision": "1"})
    assert late.status_code == 409 and 'role="alert">article changed since revision 1' in late.get_data(as_text=True)
    # A mistyped purge confirmation: the article page with the purge form open and the reason.
    typo = admin.post(f"/articles/{article.slug}/purge", data={"confirm": "drawr"})
    text = typo.get_data(as_text=True)
    assert typo.status_code == 422 and '<details class="danger" open>' in text and "slug exactly" in text
    assert knowledge_base.store.get(article.id).title == "Drawer"
    assert reviewer.post(f"/articles/{article.slug}/purge", data={"confirm": "drawr"}).status_code == 403


def test_an_archived_article_is_not_offered_for_review(walk_app, knowledge_base) -> None:
    app, article = walk_app
    reviewer = _client(app, "reviewer")
    knowledge_base.workflow.request_review(article.id, by="seed", reason="the UI changed")
    assert 'id="mark-reviewed"' in reviewer.get(f"/articles/{article.slug}").get_data(as_text=True)
    knowledge_base.store.update(article.id, {"status": "archived"}, base_revision=1, author="rita")
    assert 'id="mark-reviewed"' not in reviewer.get(f"/articles/{article.slug}").get_data(as_text=True)


def test_an_approve_that_loses_to_a_withdraw_applies_nothing(walk_app, knowledge_base, monkeypatch) -> None:
    from kb.change_requests import ChangeRequests
    from kb.errors import Conflict

    _, article = walk_app
    proposal = knowledge_base.change_requests.open(article.id)[0]
    original_open = ChangeRequests._open

    def withdrawn_meanwhile(self, principal, request_id):  # the author withdraws between the check and the save
        found = original_open(self, principal, request_id)
        self.withdraw(Principal("seed-author", "author", TEAM), request_id)
        return found

    monkeypatch.setattr(ChangeRequests, "_open", withdrawn_meanwhile)
    with pytest.raises(Conflict, match="decided meanwhile"):
        knowledge_base.change_requests.approve(Principal("rita", "reviewer", TEAM), proposal.id)
    assert knowledge_base.store.get(article.id).body == "Stuck drawer: replug."  # nothing applied
    assert knowledge_base.change_requests.get(proposal.id).state == "withdrawn"


def test_an_approve_that_fails_after_saving_leaves_the_article_and_the_request_as_they_were(
        walk_app, knowledge_base, monkeypatch) -> None:
    from kb.audit import AuditLog

    _, article = walk_app
    proposal = knowledge_base.change_requests.open(article.id)[0]
    original_add = AuditLog.add

    def crash_on_decision(self, session, *, action, **kwargs):  # the save is flushed; its decision fails
        if action == "change.approved":
            raise RuntimeError("disk full")
        return original_add(self, session, action=action, **kwargs)

    monkeypatch.setattr(AuditLog, "add", crash_on_decision)
    with pytest.raises(RuntimeError):
        knowledge_base.change_requests.approve(Principal("rita", "reviewer", TEAM), proposal.id)
    live = knowledge_base.store.get(article.id)
    assert (live.body, live.revision) == ("Stuck drawer: replug.", 1)  # no revision without its decision
    assert knowledge_base.change_requests.get(proposal.id).state == "open"
    monkeypatch.setattr(AuditLog, "add", original_add)
    knowledge_base.change_requests.approve(Principal("rita", "reviewer", TEAM), proposal.id)
    decided = knowledge_base.change_requests.get(proposal.id)
    assert (decided.state, decided.decided_by) == ("approved", "rita")
    assert knowledge_base.store.get(article.id).revision == 2
    assert "change.approved" in [e.action for e in knowledge_base.audit.list()[0]]
