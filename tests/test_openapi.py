"""The OpenAPI document: valid, complete, true to the code, and matched by real responses of the app."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from flask import Flask, Response
from flask.testing import FlaskClient
from markupsafe import escape
from openapi_core import OpenAPI
from openapi_core.contrib.werkzeug import WerkzeugOpenAPIRequest, WerkzeugOpenAPIResponse
from openapi_core.exceptions import OpenAPIError
from openapi_spec_validator import validate
from werkzeug.test import EnvironBuilder, TestResponse

from kb.models import STATUSES
from kb.search import MODES
from kb.web import openapi
from kb.web.auth import required_scope
from kb.web.suggest_api import CHANNELS

FLASK_ARGUMENT = re.compile(r"<(?:[^:<>]+:)?([^<>]+)>")
ARTICLE = {"title": "Cash drawer does not open", "status": "published", "tags": ["hardware"], "team": "support",
           "body": "## Symptoms\n\nThe drawer stays shut after a sale.\n\n## Fix\n\nCheck the RJ12 cable."}


class Contract:
    """Sends requests through a test client and checks each answer (and each accepted request) against the spec."""

    def __init__(self, app: Flask, client: FlaskClient) -> None:
        self.app, self.client = app, client
        self.document = client.get("/api/v1/openapi.json").json
        self.spec = OpenAPI.from_dict(self.document)
        self.seen: set[tuple[str, str, int]] = set()  # (path template, method, status) validated

    def call(self, method: str, path: str, status: int, *, client: FlaskClient | None = None,
             **kwargs: Any) -> TestResponse:
        """One request; the status must be `status` and request and response must match the document."""
        client = client or self.client
        response = client.open(path, method=method, **kwargs)
        assert response.status_code == status, response.get_data(as_text=True)
        # The app consumed the request body: validate against an identical request built again.
        replay = EnvironBuilder(path, method=method, environ_base=client.environ_base, **kwargs).get_request()
        self.spec.validate_response(WerkzeugOpenAPIRequest(replay), WerkzeugOpenAPIResponse(response))
        if status < 400:
            self.spec.validate_request(WerkzeugOpenAPIRequest(replay))
        rule, _ = self.app.url_map.bind("localhost").match(path.split("?")[0], method=method, return_rule=True)
        self.seen.add((FLASK_ARGUMENT.sub(r"{\1}", rule.rule), method.lower(), status))
        return response

    def operations(self) -> set[tuple[str, str]]:
        """Every (path, method) the document describes."""
        return {(path, method) for path, item in self.document["paths"].items() for method in item
                if method in openapi.METHOD_ORDER}


@pytest.fixture
def anonymous(app: Flask) -> FlaskClient:
    """A client that sends no token."""
    return FlaskClient(app, app.response_class)


def test_the_document_is_valid_openapi(anonymous) -> None:
    response = anonymous.get("/api/v1/openapi.json")
    assert response.status_code == 200 and response.mimetype == "application/json"
    validate(document := response.json)  # raises on any violation of the OpenAPI 3.1 schema
    assert document["openapi"] == "3.1.0"
    scheme = document["components"]["securitySchemes"]["bearerAuth"]
    assert (scheme["type"], scheme["scheme"]) == ("http", "bearer")
    assert document["security"] == [{"bearerAuth": []}]
    public = {path for path, item in document["paths"].items() if item.get("get", {}).get("security") == []}
    assert public == {"/api/v1/healthz", "/api/v1/openapi.json"}


def test_every_api_route_is_documented_with_its_methods(app) -> None:
    paths = openapi.openapi_document(app)["paths"]
    rules = [rule for rule in app.url_map.iter_rules() if rule.endpoint.startswith("api.")]
    assert len(rules) >= 14
    for rule in rules:
        path = FLASK_ARGUMENT.sub(r"{\1}", rule.rule)
        assert path in paths, f"{rule.rule} is not documented"
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            operation = paths[path].get(method.lower())
            assert operation is not None, f"{method} {rule.rule} is not documented"
            assert operation["summary"] and operation["operationId"] == rule.endpoint.removeprefix("api.")
            public = rule.rule in ("/api/v1/healthz", "/api/v1/openapi.json")
            assert operation.get("x-required-scope") == (None if public else required_scope(
                rule.endpoint, method, app.view_functions[rule.endpoint].__module__))
            documented = {p["name"] for p in operation.get("parameters", ()) if p["in"] == "path"}
            assert documented == set(rule.arguments)
    # Each endpoint says what it answers: a new endpoint needs its entry in openapi.OPERATIONS.
    assert {rule.endpoint for rule in rules} <= set(openapi.OPERATIONS)


def _parameter(document: dict, path: str, method: str, name: str) -> dict:
    return next(p for p in document["paths"][path][method]["parameters"] if p["name"] == name)["schema"]


def test_documented_limits_are_the_ones_the_code_enforces(app) -> None:
    document = openapi.openapi_document(app)
    schemas = document["components"]["schemas"]
    assert _parameter(document, "/api/v1/search", "get", "mode")["enum"] == list(MODES)
    limit = _parameter(document, "/api/v1/search", "get", "limit")
    assert (limit["minimum"], limit["maximum"], limit["default"]) == (1, 100, 10)
    assert _parameter(document, "/api/v1/articles", "get", "per_page")["maximum"] == 100
    assert _parameter(document, "/api/v1/articles", "get", "status")["enum"] == list(STATUSES)
    suggest = schemas["SuggestRequest"]["properties"]
    assert (suggest["limit"]["minimum"], suggest["limit"]["maximum"]) == (1, 20)
    assert suggest["channel"]["enum"] == [*CHANNELS, None]
    assert (suggest["min_score"]["minimum"], suggest["min_score"]["maximum"]) == (0, 1)
    assert schemas["ArticlePatch"]["properties"]["status"]["enum"] == list(STATUSES)
    assert schemas["Article"]["additionalProperties"] is False
    assert schemas["ErrorBody"]["additionalProperties"] is True


def test_each_operation_documents_its_error_statuses(app) -> None:
    paths = openapi.openapi_document(app)["paths"]
    for path, item in paths.items():
        for method, operation in item.items():
            statuses = {int(status) for status in operation["responses"]}
            assert 429 in statuses
            for status in statuses - {200, 201} - ({503} if path.endswith("healthz") else set()):
                assert operation["responses"][str(status)]["$ref"].startswith("#/components/responses/")
            if operation.get("security") != []:
                assert 401 in statuses, (method, path)
            if "requestBody" in operation:
                assert {400, 413} <= statuses, (method, path)
    expected = {("/api/v1/articles/{ref}", "patch"): {404, 409, 422, 428}, ("/api/v1/search", "get"): {400, 503},
                ("/api/v1/suggest", "post"): {422, 503}, ("/api/v1/tokens", "post"): {403, 422}}
    for (path, method), statuses in expected.items():
        assert statuses <= {int(s) for s in paths[path][method]["responses"]}
    assert "403" not in paths["/api/v1/suggest"]["post"]["responses"]  # suggest is the weakest scope


def test_the_document_is_built_once_per_app(app, monkeypatch: pytest.MonkeyPatch) -> None:
    client = app.test_client()
    first = client.get("/api/v1/openapi.json").json
    monkeypatch.setattr(openapi, "build_spec", lambda app: pytest.fail("built twice"))
    assert client.get("/api/v1/openapi.json").json == first
    assert client.get("/api/docs").status_code == 200


def test_a_real_scenario_matches_the_document(search_client, searchable_kb) -> None:
    c = Contract(search_client.application, search_client)
    anonymous = FlaskClient(c.app, c.app.response_class)
    c.call("GET", "/api/v1/healthz", 200, client=anonymous)
    c.call("GET", "/api/v1/openapi.json", 200, client=anonymous)
    c.call("GET", "/api/v1/articles", 401, client=anonymous)

    created = c.call("POST", "/api/v1/articles", 201, json=ARTICLE)
    ref = created.json["id"]
    assert created.headers["ETag"] == '"1"' and created.headers["Location"] == f"/api/v1/articles/{ref}"
    c.call("POST", "/api/v1/articles", 409, json={**ARTICLE, "slug": created.json["slug"]})
    c.call("POST", "/api/v1/articles", 422, json={"body": "no title"})
    c.call("POST", "/api/v1/articles", 400, data=b"{not json", content_type="application/json")
    c.call("POST", "/api/v1/articles", 413, json={"title": "Big", "body": "x" * 20_001})
    c.call("POST", "/api/v1/articles", 413, json={"title": "Bigger", "body": "x" * 200_000})
    listing = c.call("GET", "/api/v1/articles?status=published&per_page=5&tag=hardware", 200)
    assert listing.json["total"] == 1
    c.call("GET", "/api/v1/articles?per_page=1000", 400)
    c.call("GET", f"/api/v1/articles/{ref}", 200)
    c.call("GET", "/api/v1/articles/cash-drawer-does-not-open", 200)
    c.call("GET", "/api/v1/articles/no-such-article", 404)

    c.call("PUT", f"/api/v1/articles/{ref}", 200, json={**ARTICLE, "body": ARTICLE["body"] + "\n\nOr the USB cable.",
                                                        "base_revision": 1, "message": "USB too"})
    c.call("PUT", f"/api/v1/articles/{ref}", 422, json={"title": "Only a title", "base_revision": 2})
    patched = c.call("PATCH", f"/api/v1/articles/{ref}", 200, json={"tags": ["hardware", "drawer"]},
                     headers={"If-Match": '"2"'})
    assert patched.headers["ETag"] == '"3"'
    c.call("PATCH", f"/api/v1/articles/{ref}", 428, json={"body": "no base"})
    stale = c.call("PATCH", f"/api/v1/articles/{ref}", 409, json={"body": "stale", "base_revision": 1})
    assert stale.json["error"]["current_revision"] == 3
    c.call("PATCH", f"/api/v1/articles/{ref}", 422, json={"status": "gone", "base_revision": 3})

    revisions = c.call("GET", f"/api/v1/articles/{ref}/revisions", 200)
    assert [r["number"] for r in revisions.json["revisions"]] == [3, 2, 1]
    c.call("GET", f"/api/v1/articles/{ref}/revisions/1", 200)
    c.call("GET", f"/api/v1/articles/{ref}/revisions/99", 404)
    assert "+Or the USB cable." in c.call("GET", f"/api/v1/articles/{ref}/diff?from=1&to=2", 200).json["unified"]
    c.call("GET", f"/api/v1/articles/{ref}/diff?from=0", 400)
    c.call("POST", f"/api/v1/articles/{ref}/revisions/1/restore", 200)
    c.call("POST", f"/api/v1/articles/{ref}/revisions/1/restore", 409, json={"base_revision": 2})
    c.call("POST", f"/api/v1/articles/{ref}/revisions/99/restore", 404)

    results = c.call("GET", "/api/v1/search?q=drawer+stays+shut&limit=5&mode=hybrid&tag=hardware", 200)
    assert results.json["results"][0]["id"] == ref
    c.call("GET", "/api/v1/search?q=x&mode=fuzzy", 400)
    _suggestions_and_feedback(c, ref)
    _tokens_and_scopes(c, anonymous)
    assert c.call("GET", "/api/v1/analytics/summary?days=7", 200).json["rows"][0]["suggestions"] >= 1
    _accounts_review_and_audit(c, ref)

    other = c.call("POST", "/api/v1/articles", 201, json={"title": "Old receipt printer", "body": "Retired."})
    assert c.call("DELETE", f"/api/v1/articles/{other.json['id']}", 200).json["status"] == "archived"
    c.call("DELETE", "/api/v1/articles/no-such-article", 404)

    succeeded = {(path, method) for path, method, status in c.seen if status < 300}
    assert succeeded == c.operations(), "every documented operation answered successfully at least once"
    assert {400, 401, 403, 404, 409, 413, 422, 428} <= {status for _, _, status in c.seen}


def _accounts_review_and_audit(c: Contract, ref: int) -> None:
    user = c.call("POST", "/api/v1/users", 201, json={"username": "maria", "password": "correct horse battery",
                                                      "role": "author", "team": "support"})
    c.call("POST", "/api/v1/users", 409, json={"username": "maria", "role": "reader"})
    c.call("POST", "/api/v1/users", 422, json={"username": "Not Valid", "role": "reader"})
    assert "maria" in [u["username"] for u in c.call("GET", "/api/v1/users", 200).json["users"]]
    changed = c.call("PATCH", f"/api/v1/users/{user.json['id']}", 200, json={"role": "reviewer"})
    assert changed.json["role"] == "reviewer"
    c.call("PATCH", f"/api/v1/users/{user.json['id']}", 422, json={"role": "king"})
    c.call("PATCH", "/api/v1/users/9999", 404, json={"role": "reader"})
    olle = c.call("POST", "/api/v1/users", 201, json={"username": "olle", "role": "author"})
    owned = c.call("POST", "/api/v1/articles", 201, json={"title": "Olle's", "body": "Text.", "owner": "olle"})
    c.call("PATCH", f"/api/v1/users/{olle.json['id']}", 200, json={"disabled": True})
    orphans = c.call("GET", "/api/v1/review/orphaned", 200).json
    assert [(a["id"], a["owner_problem"]) for a in orphans["articles"]] == [(owned.json["id"], "account disabled")]
    flagged = c.call("POST", f"/api/v1/articles/{ref}/review-request", 200, json={"reason": "The UI changed"})
    assert flagged.json["review_reason"] == "The UI changed"
    assert ref in [a["id"] for a in c.call("GET", "/api/v1/review/stale", 200).json["articles"]]
    c.call("POST", f"/api/v1/articles/{ref}/reviewed", 422, json={"review_by": "soon"})
    c.call("POST", f"/api/v1/articles/{ref}/reviewed", 200, json={"review_by": "2030-01-31"})
    assert c.call("GET", "/api/v1/review/queue", 200).json["total"] == 0
    audit = c.call("GET", f"/api/v1/audit?article_id={ref}&per_page=100", 200).json["entries"]
    assert {"article.created", "article.updated", "review.requested", "review.done"} <= {e["action"] for e in audit}
    c.call("GET", "/api/v1/audit?article_id=first", 400)
    c.call("GET", "/api/v1/audit?format=xml", 400)
    assert c.call("GET", "/api/v1/audit?format=csv", 200).mimetype == "text/csv"
    c.call("GET", "/api/v1/review/stale?owner=nobody&team=support", 200)
    c.call("POST", "/api/v1/articles", 415, data=b'{"title": "x"}', content_type="text/plain")
    _change_requests(c, ref)
    doomed = c.call("POST", "/api/v1/articles", 201, json={"title": "Posted by mistake", "body": "Oops."})
    assert c.call("POST", f"/api/v1/articles/{doomed.json['id']}/purge", 200).json["purged"] is True
    c.call("POST", f"/api/v1/articles/{doomed.json['id']}/purge", 404)


def _change_requests(c: Contract, ref: int) -> None:
    live = c.call("GET", f"/api/v1/articles/{ref}", 200).json
    url = f"/api/v1/articles/{ref}/change-requests"
    first = c.call("POST", url, 201, json={"body": live["body"] + "\n\nAlso the fuse.", "message": "Fuse",
                                           "base_revision": live["revision"]}).json
    assert first["state"] == "open" and set(first["fields"]) == {"body"}
    again = c.call("POST", url, 200, json={"body": live["body"] + "\n\nAlso the fuse.", "message": "Fuse",
                                           "base_revision": live["revision"]}).json
    assert again["id"] == first["id"]  # sent again: the request already waiting, answered 200
    c.call("POST", url, 428, json={"body": "no base"})
    assert live["revision"] > 1  # the contract walk saved it more than once
    c.call("POST", url, 409, json={"body": "stale", "base_revision": live["revision"] - 1})
    c.call("POST", url, 422, json={"body": live["body"], "base_revision": live["revision"]})  # nothing changed
    c.call("POST", "/api/v1/articles/no-such-article/change-requests", 404, json={"body": "x", "base_revision": 1})
    assert [r["id"] for r in c.call("GET", "/api/v1/change-requests", 200).json["change_requests"]] == [first["id"]]
    c.call("GET", "/api/v1/change-requests?article_id=x", 400)
    c.call("GET", f"/api/v1/change-requests/{first['id']}", 200)
    c.call("GET", "/api/v1/change-requests/9999", 404)
    second = c.call("POST", url, 201, json={"title": "Drawer stuck", "body": "Other wording.",
                                            "base_revision": live["revision"]}).json
    approved = c.call("POST", f"/api/v1/change-requests/{first['id']}/approve", 200).json
    assert approved["body"].endswith("Also the fuse.") and approved["revision"] == live["revision"] + 1
    c.call("POST", f"/api/v1/change-requests/{first['id']}/approve", 409)  # decided already
    c.call("POST", f"/api/v1/change-requests/{second['id']}/approve", 409)  # the body changed since it was made
    c.call("POST", "/api/v1/change-requests/9999/approve", 404)
    c.call("POST", f"/api/v1/change-requests/{second['id']}/reject", 422, json={"note": 3})
    rejected = c.call("POST", f"/api/v1/change-requests/{second['id']}/reject", 200, json={"note": "stale"}).json
    assert rejected["state"] == "rejected" and rejected["note"] == "stale"
    c.call("POST", f"/api/v1/change-requests/{second['id']}/reject", 409)
    c.call("POST", "/api/v1/change-requests/9999/reject", 404)
    third = c.call("POST", url, 201, json={"title": "Drawer jammed", "base_revision": approved["revision"]}).json
    assert c.call("POST", f"/api/v1/change-requests/{third['id']}/withdraw", 200).json["state"] == "withdrawn"
    c.call("POST", f"/api/v1/change-requests/{third['id']}/withdraw", 409)
    c.call("POST", "/api/v1/change-requests/9999/withdraw", 404)


def _suggestions_and_feedback(c: Contract, ref: int) -> None:
    answer = c.call("POST", "/api/v1/suggest", 200, json={
        "text": "Hi, the cash drawer stays shut after every sale. Thanks, Bo", "subject": "Drawer",
        "channel": "email", "limit": 3, "tags": ["hardware"], "min_score": None})
    assert answer.json["suggestions"][0]["id"] == ref
    query_id = answer.json["query_id"]
    c.call("POST", "/api/v1/suggest", 422, json={"text": "   "})
    c.call("POST", "/api/v1/suggest", 413, json={"text": "x" * 70_000})
    feedback = c.call("POST", f"/api/v1/suggest/{query_id}/feedback", 201,
                      json={"article_id": ref, "outcome": "linked", "ticket_ref": "ZD-4411"})
    assert feedback.json["stats"]["links"] == 1
    c.call("POST", f"/api/v1/suggest/{query_id}/feedback", 422, json={"article_id": ref, "outcome": "great"})
    c.call("POST", "/api/v1/suggest/no-such-query/feedback", 404, json={"article_id": ref, "outcome": "helpful"})
    draft = c.call("POST", "/api/v1/articles/from-ticket", 201, json={
        "text": "My name is Anna Berg. The drawer will not open.", "resolution": "Replaced the RJ12 cable.",
        "tags": ["hardware"], "customer_names": ["Anna Berg"]})
    assert draft.json["status"] == "draft" and "Anna" not in draft.json["body"]
    c.call("POST", "/api/v1/articles/from-ticket", 422, json={"text": "only the ticket"})


def _tokens_and_scopes(c: Contract, anonymous: FlaskClient) -> None:
    assert c.call("GET", "/api/v1/tokens", 200).json["total"] == 1
    created = c.call("POST", "/api/v1/tokens", 201, json={"name": "zendesk", "scope": "suggest", "team": "support"})
    assert created.headers["Cache-Control"] == "no-store"
    plugin = {"Authorization": f"Bearer {created.json['secret']}"}
    c.call("POST", "/api/v1/suggest", 200, client=anonymous, headers=plugin, json={"text": "drawer shut"})
    forbidden = c.call("GET", "/api/v1/articles", 403, client=anonymous, headers=plugin)
    assert forbidden.json["error"]["required_scope"] == "read"
    c.call("POST", "/api/v1/tokens", 422, json={"name": "x", "scope": "root"})
    c.call("POST", "/api/v1/tokens", 422, json={"name": "x", "scope": "read", "secret": "kb_mine"})
    assert c.call("DELETE", f"/api/v1/tokens/{created.json['id']}", 200).json["active"] is False
    c.call("POST", "/api/v1/suggest", 401, client=anonymous, headers=plugin, json={"text": "drawer shut"})
    c.call("DELETE", "/api/v1/tokens/999", 404)


def test_unavailable_search_and_rate_limits_match_the_document(app, client) -> None:
    c = Contract(app, client)
    c.call("GET", "/api/v1/search?q=drawer", 503)
    c.call("POST", "/api/v1/suggest", 503, json={"text": "drawer"})
    app.config["KB_RATE_LIMIT"] = "1 per minute"
    c.call("GET", "/api/v1/tokens", 200)
    limited = c.call("GET", "/api/v1/tokens", 429)
    assert int(limited.headers["Retry-After"]) >= 1


def test_the_validator_catches_drift(app, client) -> None:
    """A response that strays from the document fails validation: the scenario above proves something."""
    c = Contract(app, client)
    real = c.call("POST", "/api/v1/articles", 201, json=ARTICLE)
    request = WerkzeugOpenAPIRequest(EnvironBuilder("/api/v1/articles", method="POST",
                                                    environ_base=client.environ_base, json=ARTICLE).get_request())
    for body, status, headers in [({**real.json, "surprise": 1}, 201, real.headers),
                                  ({k: v for k, v in real.json.items() if k != "stats"}, 201, real.headers),
                                  ({**real.json, "status": "deleted"}, 201, real.headers),
                                  (real.json, 201, {"Location": real.headers["Location"]}),  # no ETag
                                  (real.json, 418, real.headers),
                                  ({"error": {"code": "x"}}, 409, {})]:
        fake = Response(json.dumps(body), status=status, mimetype="application/json", headers=dict(headers))
        with pytest.raises(OpenAPIError):
            c.spec.validate_response(request, WerkzeugOpenAPIResponse(fake))


@pytest.mark.parametrize(("method", "path", "body"), [
    ("GET", "/api/v1/articles?per_page=101", None),
    ("GET", "/api/v1/search?q=x&limit=101", None),
    ("POST", "/api/v1/articles", {"title": "x", "status": "gone"}),
    ("POST", "/api/v1/articles", {"title": "x", "nonsense": 1}),
    ("POST", "/api/v1/suggest", {"text": "x", "limit": 21}),
    ("POST", "/api/v1/suggest", {"text": "x", "channel": "fax"}),
    ("POST", "/api/v1/suggest", {"text": "x", "min_score": 1.5}),
    ("POST", "/api/v1/tokens", {"name": "x", "scope": "root"}),
])
def test_what_the_document_forbids_the_app_refuses(app, client, method: str, path: str, body) -> None:
    c = Contract(app, client)
    request = EnvironBuilder(path, method=method, environ_base=client.environ_base, json=body).get_request()
    with pytest.raises(OpenAPIError):
        c.spec.validate_request(WerkzeugOpenAPIRequest(request))
    assert client.open(path, method=method, json=body).status_code in (400, 422, 503)


def test_the_docs_page(client, app) -> None:
    response = client.get("/api/docs")
    assert response.status_code == 200 and response.mimetype == "text/html"
    html = response.get_data(as_text=True)
    document = openapi.openapi_document(app)
    for path, item in document["paths"].items():
        for method, operation in item.items():
            assert f'id="{operation["operationId"]}"' in html and f"{method.upper()} {path}" in html
            assert str(escape(operation["summary"])) in html
    for name in document["components"]["schemas"]:
        assert f'id="schema-{name}"' in html
    assert 'href="/api/v1/openapi.json"' in html and "per_page" in html and "one of: <code>hybrid, keyword" in html
    assert "scope <code>admin</code> or higher" in html and "public: no token needed" in html
    assert html.count("<h1") == 1 and '<a href="/api/docs">API</a>' in html
    assert not re.search(r"""(?:src|href)=["']?(?:https?:)?//""", html) and "<script" not in html
    assert client.get("/").status_code == 200 and '<a href="/api/docs">API</a>' in client.get("/").text
