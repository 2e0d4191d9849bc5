"""The /api/v1 articles contract, every error path included: bad input changes nothing."""

from __future__ import annotations

import io
import json
import os
from datetime import date, timedelta
from pathlib import Path

import pytest


def create(client, **fields):
    data = {"title": "Cash drawer does not open", "body": "## Steps\n1. Check the RJ12 cable",
            "tags": ["hardware"], "status": "published", **fields}
    response = client.post("/api/v1/articles", json=data)
    assert response.status_code == 201, response.json
    return response.json


def assert_error(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.data
    body = response.json
    assert set(body) == {"error"}
    assert body["error"]["code"] == code and body["error"]["message"]
    return body["error"]


def test_create_get_by_id_and_slug(client) -> None:
    article = create(client)
    assert article["slug"] == "cash-drawer-does-not-open" and article["revision"] == 1
    by_id = client.get(f"/api/v1/articles/{article['id']}")
    by_slug = client.get("/api/v1/articles/cash-drawer-does-not-open")
    assert by_id.json == by_slug.json
    assert by_id.headers["ETag"] == '"1"'
    assert by_id.json["url"] == "/articles/cash-drawer-does-not-open"


def test_list_paginates_and_filters(client) -> None:
    for i in range(7):
        create(client, title=f"Article {i}", tags=["billing" if i % 2 else "login"],
               language="da" if i == 0 else "en", team="sales" if i == 1 else "support",
               status="draft" if i == 2 else "published")
    page = client.get("/api/v1/articles?per_page=3&page=3").json
    assert (page["total"], page["pages"], len(page["articles"])) == (7, 3, 1)
    assert "body" not in page["articles"][0]
    assert client.get("/api/v1/articles?tag=billing").json["total"] == 3
    assert client.get("/api/v1/articles?language=da").json["articles"][0]["title"] == "Article 0"
    assert client.get("/api/v1/articles?team=sales").json["total"] == 1
    assert client.get("/api/v1/articles?status=draft").json["total"] == 1


@pytest.mark.parametrize("query", ["page=0", "page=x", "per_page=1000", "status=gone"])
def test_bad_list_parameters(client, query: str) -> None:
    assert_error(client.get(f"/api/v1/articles?{query}"), 400, "bad_request")


def test_put_patch_and_revisions(client) -> None:
    article = create(client)
    ref = article["id"]
    put = client.put(f"/api/v1/articles/{ref}", json={
        "title": "Cash drawer stays closed", "body": "new body", "base_revision": 1, "message": "Rewrite"})
    assert put.status_code == 200 and put.json["revision"] == 2
    patch = client.patch(f"/api/v1/articles/{ref}", json={"tags": ["hardware", "printers"]},
                         headers={"If-Match": '"2"'})
    assert patch.status_code == 200 and patch.json["tags"] == ["hardware", "printers"]
    revisions = client.get(f"/api/v1/articles/{ref}/revisions").json
    assert [r["number"] for r in revisions["revisions"]] == [3, 2, 1]
    assert revisions["revisions"][1]["message"] == "Rewrite"
    assert client.get(f"/api/v1/articles/{ref}/revisions/1").json["body"] == article["body"]
    no_body = client.put(f"/api/v1/articles/{ref}", json={"title": "x", "base_revision": 3})
    assert_error(no_body, 422, "validation_failed")
    assert no_body.json["error"]["field"] == "body"
    assert client.get(f"/api/v1/articles/{ref}").json["revision"] == 3
    # nginx weakens the ETag of a response it compresses; the client sends back what it got
    weak = client.patch(f"/api/v1/articles/{ref}", json={"tags": []}, headers={"If-Match": 'W/"3"'})
    assert weak.status_code == 200 and weak.json["revision"] == 4


def test_if_match_is_honoured_everywhere_and_never_contradicted(client, store) -> None:
    ref = create(client)["id"]
    both = client.patch(f"/api/v1/articles/{ref}", json={"tags": [], "base_revision": 1}, headers={"If-Match": '"9"'})
    assert assert_error(both, 400, "bad_request")["parameter"] == "If-Match"
    assert assert_error(client.delete(f"/api/v1/articles/{ref}", headers={"If-Match": "garbage"}),
                        400, "bad_request")["parameter"] == "If-Match"
    assert_error(client.delete(f"/api/v1/articles/{ref}", headers={"If-Match": '"7"'}), 422, "validation_failed")
    client.patch(f"/api/v1/articles/{ref}", json={"body": "changed", "base_revision": 1})
    stale = client.delete(f"/api/v1/articles/{ref}", headers={"If-Match": '"1"'})  # archive what it has not seen
    assert_error(stale, 409, "conflict")
    assert store.get(ref).status == "published"
    assert client.delete(f"/api/v1/articles/{ref}", headers={"If-Match": '"2"'}).json["status"] == "archived"


def test_a_save_from_before_a_review_is_refused_and_the_date_stays_the_clients_to_change(client, store) -> None:
    article = create(client, review_by="2027-02-28")
    reviewed = client.post(f"/api/v1/articles/{article['id']}/reviewed", json={"review_by": "2030-06-30"})
    assert reviewed.status_code == 200 and reviewed.headers["ETag"] == '"2"'  # a new date is a new revision
    # an editor opened before the review would put the old date back: a 409, as for any change since
    stale = client.put(f"/api/v1/articles/{article['id']}", json={
        "title": article["title"], "body": "Edited meanwhile.", "review_by": "2027-02-28"}, headers={"If-Match": '"1"'})
    assert_error(stale, 409, "conflict")
    assert store.get(article["id"]).review_by.isoformat() == "2030-06-30"
    cleared = client.patch(f"/api/v1/articles/{article['id']}", json={"review_by": None, "base_revision": 2})
    assert cleared.status_code == 200 and cleared.json["review_by"] is None  # a deliberate change is taken
    # Reviewed with no date to move: the next review is an interval on, or it would never come due again.
    again = client.post(f"/api/v1/articles/{article['id']}/reviewed", json={})
    assert again.status_code == 200 and again.json["revision"] == 4
    assert again.json["review_by"] == (date.today() + timedelta(days=180)).isoformat()
    settled = client.post(f"/api/v1/articles/{article['id']}/reviewed", json={})  # a date ahead: nothing moves
    assert settled.json["revision"] == 4 and settled.json["review_by"] == again.json["review_by"]
    diff = client.get(f"/api/v1/articles/{article['id']}/diff?from=1&to=2").json  # the review date moved
    assert "-review by: 2027-02-28" in diff["unified"] and "+review by: 2030-06-30" in diff["unified"]
    page = client.get(f"/articles/{article['slug']}/diff?from=1&to=2").get_data(as_text=True)
    assert "Review by: <del>2027-02-28</del> → <ins>2030-06-30</ins>" in page


def test_diff_and_restore(client) -> None:
    ref = create(client)["id"]
    client.patch(f"/api/v1/articles/{ref}", json={"body": "## Steps\n1. Check the USB cable",
                                                  "base_revision": 1})
    diff = client.get(f"/api/v1/articles/{ref}/diff?from=1&to=2").json
    assert "-1. Check the RJ12 cable" in diff["unified"] and "+1. Check the USB cable" in diff["unified"]
    assert "<del>RJ12</del>" in diff["html"] and "<ins>USB</ins>" in diff["html"]
    restored = client.post(f"/api/v1/articles/{ref}/revisions/1/restore")
    assert restored.status_code == 200 and restored.json["revision"] == 3
    assert "RJ12" in restored.json["body"]


def test_delete_archives(client) -> None:
    ref = create(client)["id"]
    response = client.delete(f"/api/v1/articles/{ref}")
    assert response.status_code == 200 and response.json["status"] == "archived"
    assert client.get(f"/api/v1/articles/{ref}").json["body"].startswith("## Steps")


def unchanged(client, ref: int, before: dict) -> None:
    after = client.get(f"/api/v1/articles/{ref}").json
    assert after == before


@pytest.mark.parametrize(("payload", "status", "code"), [
    ({"body": "x", "base_revision": 1, "title": ""}, 422, "validation_failed"),
    ({"status": "gone", "base_revision": 1}, 422, "validation_failed"),
    ({"language": 5, "base_revision": 1}, 422, "validation_failed"),
    ({"tags": "a" * 50, "base_revision": 1}, 422, "validation_failed"),
    ({"tags": "abc", "base_revision": 1}, 422, "validation_failed"),  # a string would replace every tag
    ({"nonsense": 1, "base_revision": 1}, 422, "validation_failed"),
    ({"body": "x" * 20_001, "base_revision": 1}, 413, "too_large"),
    ({"body": "x"}, 428, "precondition_required"),
    ({"body": "x", "base_revision": "one"}, 400, "bad_request"),
    ({"body": "x", "base_revision": 9}, 422, "validation_failed"),
    ({"body": "x", "base_revision": 1, "message": 5}, 422, "validation_failed"),  # a body field, like the rest
    ({"body": "x", "base_revision": 1, "author": 5}, 422, "validation_failed"),
    ({"review_by": 20270101, "base_revision": 1}, 422, "validation_failed"),  # a number is no date
])
def test_bad_patch_is_refused_and_changes_nothing(client, payload, status, code) -> None:
    ref = create(client)["id"]
    before = client.get(f"/api/v1/articles/{ref}").json
    assert_error(client.patch(f"/api/v1/articles/{ref}", json=payload), status, code)
    unchanged(client, ref, before)


def test_stale_save_gets_409_with_what_changed(client) -> None:
    ref = create(client)["id"]
    client.patch(f"/api/v1/articles/{ref}", json={"body": "first edit", "base_revision": 1,
                                                  "author": "tomasz", "message": "Quick fix"})
    before = client.get(f"/api/v1/articles/{ref}").json
    error = assert_error(client.patch(f"/api/v1/articles/{ref}", json={"body": "second", "base_revision": 1}),
                         409, "conflict")
    assert error["current_revision"] == 2
    assert error["changes"] == [{"number": 2, "author": "token:test-client", "message": "Quick fix",
                                 "created_at": before["updated_at"]}]
    assert "+first edit" in error["diff"]
    unchanged(client, ref, before)


@pytest.mark.parametrize(("body", "status", "code"), [
    (b"{not json", 400, "bad_request"),
    (b"[1, 2]", 400, "bad_request"),
    (b"", 400, "bad_request"),
    (b'{"title": "x", "meta": {"score": NaN}}', 400, "bad_request"),  # strict clients could not read it back
    (b'{"title": "x", "meta": {"n": -Infinity}}', 400, "bad_request"),
    (b'{"title": "printer \\ud800 blank"}', 400, "bad_request"),  # a ticket cut inside an emoji
    (b'{"title": "x", "tags": ["\\udfff"]}', 400, "bad_request"),
    (b"[" * 5000 + b"]" * 5000, 400, "bad_request"),  # deeper than the parser's stack
    (b'{"title": "x", "meta": {"n": 1e400}}', 400, "bad_request"),  # infinity without saying so
    (b'{"title": "x", "meta": {"n": -1e999}}', 400, "bad_request"),
    (('{"title": "x", "meta": {"deep": ' + "[" * 30 + "]" * 30 + "}}").encode(), 422, "validation_failed"),
    (b'{"title": "x", "body": "\xff"}', 400, "bad_request"),  # not UTF-8
    (json.dumps({"body": "no title"}).encode(), 422, "validation_failed"),
    (json.dumps({"title": "x", "status": "gone"}).encode(), 422, "validation_failed"),
    (json.dumps({"title": "x", "body": "y" * 20_001}).encode(), 413, "too_large"),
    (json.dumps({"title": "x", "body": "y" * 200_000}).encode(), 413, "request_entity_too_large"),
])
def test_bad_create_is_refused_and_stores_nothing(client, body, status, code) -> None:
    response = client.post("/api/v1/articles", data=body, content_type="application/json")
    assert_error(response, status, code)
    assert client.get("/api/v1/articles?status=").json["total"] == 0


def test_a_body_that_is_not_json_is_415_and_stores_nothing(client) -> None:
    body = json.dumps({"title": "Sent as text"})
    for mimetype in ("text/plain", "application/x-www-form-urlencoded"):
        error = assert_error(client.post("/api/v1/articles", data=body, content_type=mimetype),
                             415, "unsupported_media_type")
        assert mimetype in error["message"]
    assert client.post("/api/v1/articles", data=body, content_type="application/merge-patch+json").status_code == 201
    assert client.get("/api/v1/articles?status=").json["total"] == 1


def test_the_api_root_answers_json(client) -> None:
    assert_error(client.get("/api/v1"), 404, "not_found")


def test_a_chunked_body_over_the_limit_is_413_too(client) -> None:
    body = json.dumps({"title": "x", "body": "y" * 200_000}).encode()
    response = client.post("/api/v1/articles", input_stream=io.BytesIO(body), content_type="application/json",
                           headers={"Transfer-Encoding": "chunked"},  # no Content-Length to refuse it by
                           environ_overrides={"wsgi.input_terminated": True})  # as gunicorn marks chunked input
    assert_error(response, 413, "request_entity_too_large")
    assert client.get("/api/v1/articles?status=").json["total"] == 0


def test_duplicate_explicit_slug_conflicts(client) -> None:
    create(client, slug="cash-drawer")
    assert_error(client.post("/api/v1/articles", json={"title": "Other", "slug": "cash-drawer"}),
                 409, "conflict")


def test_put_requires_the_whole_article(client) -> None:
    ref = create(client)["id"]
    assert_error(client.put(f"/api/v1/articles/{ref}", json={"title": "x", "base_revision": 1}),
                 422, "validation_failed")  # as a POST without a title


@pytest.mark.parametrize(("method", "path"), [
    ("get", "/api/v1/articles/no-such-slug"),
    ("get", "/api/v1/articles/424242"),
    ("patch", "/api/v1/articles/no-such-slug"),
    ("delete", "/api/v1/articles/no-such-slug"),
    ("get", "/api/v1/articles/no-such-slug/revisions"),
    ("get", "/api/v1/articles/1/revisions/99"),
    ("post", "/api/v1/articles/1/revisions/99/restore"),
    ("get", "/api/v1/nothing-here"),
    # numbers no INTEGER column holds (SQLite raised OverflowError: a 500)
    ("get", "/api/v1/articles/99999999999999999999999"),
    ("get", "/api/v1/articles/1/revisions/99999999999999999999999"),
    ("get", "/api/v1/change-requests/99999999999999999999999"),
    ("patch", "/api/v1/users/99999999999999999999999"),
    ("delete", "/api/v1/tokens/2147483648"),
])
def test_unknown_things_are_404_json(client, method: str, path: str) -> None:
    create(client)
    kwargs = {"json": {"body": "x", "base_revision": 1}} if method == "patch" else {}
    assert_error(getattr(client, method)(path, **kwargs), 404, "not_found")


@pytest.mark.parametrize("path", ["/api/v1/audit?article_id=99999999999999999999999",
                                  "/api/v1/change-requests?article_id=2147483648", "/api/v1/audit?article_id=0"])
def test_an_id_parameter_out_of_range_is_400(client, path: str) -> None:
    assert assert_error(client.get(path), 400, "bad_request")["parameter"] == "article_id"


def test_wrong_method_is_405_json(client) -> None:
    error = assert_error(client.post("/api/v1/articles/1/revisions"), 405, "method_not_allowed")
    assert error["message"]


def test_healthz_reports_database(client) -> None:
    create(client)
    health = client.get("/healthz")
    assert health.status_code == 200
    assert health.json["database"] == {"ok": True, "dialect": "sqlite", "articles": 1, "generation": 1}


def test_healthz_fails_when_the_database_file_cannot_take_writes(client, settings) -> None:
    path = Path(settings.database_url.removeprefix("sqlite:///"))
    path.rename(path.with_suffix(".moved"))  # deleted under a running app: saves would vanish with it
    try:
        assert client.get("/healthz").status_code == 503
    finally:
        path.with_suffix(".moved").rename(path)
    assert client.get("/healthz").status_code == 200
    path.chmod(0o444)  # read-only: every save would be a 500
    try:
        if os.access(path, os.W_OK):
            pytest.skip("running as a user who may write read-only files")
        assert client.get("/healthz").json["database"]["ok"] is False
    finally:
        path.chmod(0o644)


@pytest.mark.parametrize("path", ["/api/v1/articles/%C2%B2", "/api/v1/articles/99999999999999999999999",
                                  "/api/v1/articles/1/revisions/99999999999999999999999"])
def test_odd_ids_are_404_not_500(client, path: str) -> None:
    create(client)
    assert_error(client.get(path), 404, "not_found")


def test_numeric_and_reserved_titles_get_safe_slugs(client) -> None:
    assert create(client, title="2024")["slug"] == "2024-article"
    assert create(client, title="New")["slug"] == "new-article"
    assert_error(client.post("/api/v1/articles", json={"title": "x", "slug": "abc\n"}), 422, "validation_failed")
    assert_error(client.post("/api/v1/articles", json={"title": "x", "slug": "123"}), 422, "validation_failed")


def test_meta_may_not_shadow_article_fields(client) -> None:
    response = client.post("/api/v1/articles", json={"title": "x", "meta": {"status": "published"}})
    assert_error(response, 422, "validation_failed")
    # an export writes these beside the fields; as extra metadata they would come back as a review request
    for key in ("review_reason", "review_requested"):
        response = client.post("/api/v1/articles", json={"title": "x", "meta": {key: "kept"}})
        assert key in assert_error(response, 422, "validation_failed")["message"]


def test_nul_characters_are_refused(client) -> None:
    assert_error(client.post("/api/v1/articles", json={"title": "a\u0000b"}), 422, "validation_failed")
    assert_error(client.post("/api/v1/articles", json={"title": "a", "body": "x\u0000"}), 422, "validation_failed")


def test_restore_checks_its_input(client) -> None:
    ref = create(client)["id"]
    client.patch(f"/api/v1/articles/{ref}", json={"body": "v2", "base_revision": 1})
    assert_error(client.post(f"/api/v1/articles/{ref}/revisions/1/restore", json={"bogus": 1}), 422,
                 "validation_failed")
    assert_error(client.post(f"/api/v1/articles/{ref}/revisions/1/restore", json={"base_revision": 0}), 422,
                 "validation_failed")
    assert_error(client.post(f"/api/v1/articles/{ref}/revisions/1/restore", headers={"If-Match": '"1"'}), 409,
                 "conflict")
    assert client.post(f"/api/v1/articles/{ref}/revisions/1/restore", headers={"If-Match": '"2"'}).status_code == 200


def test_an_owner_is_an_account_and_a_token_owns_nothing(client, store, knowledge_base) -> None:
    _, secret = knowledge_base.tokens.create("Zendesk Plugin", "write")  # a name no owner could have
    plugin = client.post("/api/v1/articles", json={"title": "From the plugin"},
                         headers={"Authorization": f"Bearer {secret}"})
    assert plugin.status_code == 201 and plugin.json["owner"] == ""  # a token acts for no one
    error = assert_error(client.post("/api/v1/articles", json={"title": "Typo", "owner": "tomas"}),
                         422, "validation_failed")
    assert error["field"] == "owner" and "active account" in error["message"]
    assert store.find_slug("typo") is None
    knowledge_base.users.create("tomasz", role="author", password=None, by="test")
    named = create(client, title="Named", owner="Tomasz")
    assert named["owner"] == "tomasz"
    handed = client.patch(f"/api/v1/articles/{named['id']}", json={"owner": "nobody-here", "base_revision": 1})
    assert_error(handed, 422, "validation_failed")
    knowledge_base.users.create("rdr", role="reader", password=None, by="test")
    reader = client.patch(f"/api/v1/articles/{named['id']}", json={"owner": "rdr", "base_revision": 1})
    assert "may edit" in assert_error(reader, 422, "validation_failed")["message"]  # could not act on it
    # an owner an import set (no account has it) goes back unchanged with the rest of the article
    legacy = store.create({"title": "Imported", "body": "x"}, author="cli:root")
    assert legacy.owner == "cli:root"
    echoed = client.put(f"/api/v1/articles/{legacy.id}", json={**{k: legacy.to_dict(include_body=True)[k] for k in (
        "title", "body", "tags", "status", "language", "owner", "team")}, "body": "y", "base_revision": 1})
    assert echoed.status_code == 200, echoed.json
    assert echoed.json["owner"] == "cli:root" and echoed.json["body"] == "y"


def test_an_owner_can_edit_the_articles_team(client, store, knowledge_base) -> None:
    knowledge_base.users.create("ana", role="author", password=None, by="test", team="printing")
    knowledge_base.users.create("rev", role="reviewer", password=None, by="test", team="printing")
    billing = create(client, title="Refunds", team="billing")
    handed = client.patch(f"/api/v1/articles/{billing['id']}", json={"owner": "ana", "base_revision": 1})
    error = assert_error(handed, 422, "validation_failed")
    assert error["field"] == "owner" and "'printing'" in error["message"] and "'billing'" in error["message"]
    assert store.get(billing["id"]).owner == billing["owner"]  # nothing changed
    refused = client.post("/api/v1/articles", json={"title": "Invoices", "team": "billing", "owner": "ana"})
    assert_error(refused, 422, "validation_failed")
    assert store.find_slug("invoices") is None
    # the article moves with its owner's team, or to any team when the owner is not bound to one
    handed = client.patch(f"/api/v1/articles/{billing['id']}", json={"owner": "rev", "base_revision": 1})
    assert handed.status_code == 200
    printing = create(client, title="Printers", team="printing", owner="ana")
    assert printing["owner"] == "ana"
    moved = client.patch(f"/api/v1/articles/{printing['id']}", json={"team": "billing", "base_revision": 1})
    assert assert_error(moved, 422, "validation_failed")["field"] == "team"
    assert store.get(printing["id"]).team == "printing"
    both = client.patch(f"/api/v1/articles/{printing['id']}", json={"team": "billing", "owner": "rev",
                                                                     "base_revision": 1})
    assert both.status_code == 200 and both.json["team"] == "billing"
    assert client.patch(f"/api/v1/articles/{billing['id']}", json={"team": "", "base_revision": 2}).status_code == 200


def test_a_database_that_is_down_or_refuses_writes_is_a_503(client, store, monkeypatch) -> None:
    from sqlalchemy.exc import InternalError, OperationalError

    class ReadOnly(Exception):
        sqlstate = "25006"

    for error in (OperationalError("INSERT", {}, ConnectionRefusedError("down")),
                  InternalError("INSERT", {}, ReadOnly("read-only transaction"))):
        def refuse(*args, error=error, **kwargs):
            raise error
        monkeypatch.setattr(type(store), "create", refuse)
        response = client.post("/api/v1/articles", json={"title": "x"})
        assert_error(response, 503, "database_unavailable")
    monkeypatch.setattr(type(store), "create", lambda *a, **k: (_ for _ in ()).throw(
        InternalError("INSERT", {}, RuntimeError("a bug"))))
    assert_error(client.post("/api/v1/articles", json={"title": "x"}), 500, "internal_error")
