"""The OpenAPI 3.1 description of /api/v1: built once per app with apispec, served as JSON and as a page."""

from __future__ import annotations

import inspect
from dataclasses import dataclass
from typing import Any

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from apispec_webframeworks.flask import RE_URL, FlaskPlugin
from flask import Flask, Response, current_app, jsonify, render_template
from markupsafe import Markup
from marshmallow import Schema
from werkzeug.routing import Rule

from kb import __version__
from kb.analytics import REPORTS
from kb.markdown_render import render_markdown
from kb.tokens import SCOPES
from kb.web import admin_schemas as admin
from kb.web import api_schemas as s
from kb.web.api import api
from kb.web.auth import API_BLUEPRINT, PUBLIC_RULES, required_scope
from kb.web.pages import pages

OPENAPI_VERSION = "3.1.0"
CACHE_KEY = "kb_openapi"
DESCRIPTION = ("JSON API of the support knowledge base. Send `Authorization: Bearer <token>`; a token's scope "
               f"({', '.join(SCOPES)}, weakest first) allows everything at or below it. Every error has one "
               'shape: `{"error": {"code", "message", ...details}}`.')

# Each error status: its component name, what it means here, and the headers it always carries.
ERRORS: dict[int, tuple[str, str, tuple[str, ...]]] = {
    400: ("BadRequest", "Malformed JSON (NaN, Infinity and lone surrogates included), parameter or If-Match header "
                        "(bad_request).", ()),
    401: ("Unauthorized", "No bearer token, or a malformed, unknown or revoked one (unauthorized).",
          ("WWW-Authenticate",)),
    403: ("Forbidden", "The token's scope is too weak, or the article or power is outside its team (forbidden).",
          ("WWW-Authenticate",)),
    404: ("NotFound", "No such article, revision, token, suggestion query or report (not_found).", ()),
    409: ("Conflict", "The save was based on an old revision, or the slug is taken (conflict).", ()),
    413: ("PayloadTooLarge", "A field or the request body is too large (too_large, request_entity_too_large).", ()),
    415: ("UnsupportedMediaType", "The body was sent with a Content-Type other than JSON (unsupported_media_type).",
          ()),
    422: ("ValidationFailed", "Well-formed but unacceptable input; 'field' names it (validation_failed).", ()),
    428: ("PreconditionRequired", "The save says no base revision (precondition_required).", ()),
    429: ("RateLimited", "Too many requests from this token or address (rate_limited).", ("Retry-After",)),
    503: ("Unavailable", "Search is not enabled on this instance (search_unavailable).", ()),
}
HEADERS: dict[str, dict[str, Any]] = {
    "ETag": {"description": 'The article\'s revision, e.g. "3": send it back as If-Match.',
             "schema": {"type": "string"}},
    "Location": {"description": "URL of the new article.", "schema": {"type": "string"}},
    "Cache-Control": {"description": "no-store: the secret must not be cached.", "schema": {"type": "string"}},
    "WWW-Authenticate": {"description": "Bearer challenge.", "schema": {"type": "string"}},
    "Retry-After": {"description": "Seconds until the limit resets.", "schema": {"type": "integer"}},
}
PATH_PARAMETERS: dict[str, dict[str, Any]] = {
    "ref": {"description": "Article id or slug.", "schema": {"type": "string"}},
    "number": {"description": "Revision number.", "schema": {"type": "integer", "minimum": 0}},
    "token_id": {"description": "Token id.", "schema": {"type": "integer", "minimum": 0}},
    "query_id": {"description": "The query_id of a suggestion answer.", "schema": {"type": "string"}},
    "report": {"description": "Which analytics report.", "schema": {"type": "string", "enum": list(REPORTS)}},
}
ANY_STRING: dict[str, Any] = {"schema": {"type": "string"}}
TAGS = (("articles", "Create, read, change and archive articles."),
        ("revisions", "Every save is a revision: list, read, compare and restore them."),
        ("search", "The search the search page uses."),
        ("suggestions", "For helpdesk plugins: tickets in, articles out."),
        ("tokens", "API tokens (admin scope)."),
        ("analytics", "What agents search for, what helps and what is missing; as JSON or CSV."),
        ("service", "Health and this description; no token needed."),
        ("other", "Endpoints added without a description yet."))
METHOD_ORDER = ("get", "post", "put", "patch", "delete")
IF_MATCH = {"in": "header", "name": "If-Match", "required": False, "schema": {"type": "string"},
            "description": 'ETag of the base revision, e.g. "3" (instead of base_revision).'}


@dataclass(frozen=True)
class Operation:
    """What one endpoint takes and answers, beyond what its URL rule and docstring say."""

    tag: str
    response: str | None  # component schema of the success body; None: any JSON object
    status: int = 200
    body: str | None = None
    body_required: bool = True
    query: type[Schema] | None = None
    errors: tuple[int, ...] = ()  # besides the automatic 400/413/415 (bodies), 401/403 (auth) and 429
    headers: tuple[str, ...] = ()
    if_match: bool = False
    also: tuple[tuple[int, str, str], ...] = ()  # further non-error answers: status, schema, description
    csv: bool = False  # the success body may also be text/csv (?format=csv)


_SAVE = {"tag": "articles", "response": "Article", "errors": (404, 409, 422, 428), "headers": ("ETag",),
         "if_match": True}
OPERATIONS: dict[str, Operation] = {
    "api.list_articles": Operation("articles", "ArticleList", query=s.ArticleListQuerySchema, errors=(400,)),
    "api.create_article": Operation("articles", "Article", 201, "ArticleCreate", errors=(409, 422),
                                    headers=("ETag", "Location")),
    "api.get_article": Operation("articles", "Article", errors=(404,), headers=("ETag",)),
    "api.replace_article": Operation(body="ArticleReplace", **_SAVE),
    "api.patch_article": Operation(body="ArticlePatch", **_SAVE),
    "api.delete_article": Operation("articles", "Article", errors=(400, 404, 409, 422), headers=("ETag",),
                                    if_match=True),
    "api.create_article_from_ticket": Operation("articles", "DraftArticle", 201, "FromTicket", errors=(422,)),
    "api.list_revisions": Operation("revisions", "RevisionList", errors=(404,)),
    "api.get_revision": Operation("revisions", "Revision", errors=(404,)),
    "api.restore_revision": Operation("revisions", "Article", body="Restore", body_required=False,
                                      errors=(404, 409, 422), headers=("ETag",)),
    "api.diff_revisions": Operation("revisions", "Diff", query=s.DiffQuerySchema, errors=(400, 404)),
    "api.search": Operation("search", "SearchResponse", query=s.SearchQuerySchema, errors=(400, 503)),
    "api.suggest": Operation("suggestions", "SuggestResponse", body="SuggestRequest", errors=(422, 503)),
    "api.suggest_feedback": Operation("suggestions", "FeedbackResponse", 201, "FeedbackRequest", errors=(404, 422)),
    "api.list_tokens": Operation("tokens", "TokenList"),
    "api.create_token": Operation("tokens", "TokenCreated", 201, "TokenCreate", errors=(422,),
                                  headers=("Cache-Control",)),
    "api.revoke_token": Operation("tokens", "Token", errors=(404,)),
    "api.analytics_report": Operation("analytics", "AnalyticsReport", query=s.AnalyticsQuerySchema, errors=(400, 404),
                                      csv=True),
    "api.api_health": Operation("service", "Health", also=((503, "Health", "The database or index is down."),)),
    "api.openapi_json": Operation("service", None),
}
OPERATIONS.update(admin.operations(Operation))
COMPONENTS = (*s.COMPONENTS, *admin.COMPONENTS)
UNDESCRIBED = Operation("other", None)
SUMMARIES = {schema.__name__.removesuffix("Schema"): inspect.getdoc(schema) or "" for schema in COMPONENTS}


def _json(schema: str | None) -> dict[str, Any]:
    return {"application/json": {"schema": schema or {"type": "object"}}}


def _headers(names: tuple[str, ...]) -> dict[str, Any]:
    return {name: {**HEADERS[name], "required": True} for name in names}


def _responses(op: Operation, public: bool, scope: str) -> dict[str, Any]:
    success = {"description": SUMMARIES.get(op.response, "A JSON object."), "content": _json(op.response)}
    if op.headers:
        success["headers"] = _headers(op.headers)
    if op.csv:
        success["content"]["text/csv"] = {"schema": {"description": "CSV: a header row, then one line per row."}}
    responses: dict[Any, Any] = {op.status: success}
    responses.update({status: {"description": text, "content": _json(name)} for status, name, text in op.also})
    errors = set(op.errors) | {429}
    if op.body:
        errors |= {400, 413, 415}
    if not public:
        errors |= {401} | ({403} if scope != SCOPES[0] else set())
    responses.update({status: ERRORS[status][0] for status in sorted(errors)})
    return responses


def _operation(rule: Rule, method: str, view: Any) -> dict[str, Any]:
    op = OPERATIONS.get(rule.endpoint, UNDESCRIBED)
    public = rule.rule in PUBLIC_RULES and method in ("GET", "HEAD")
    scope = required_scope(rule.endpoint, method, getattr(view, "__module__", ""))
    summary, _, details = (inspect.getdoc(view) or rule.endpoint).partition("\n")
    access = "Public: no token needed." if public else f"Needs a token of scope '{scope}' or higher."
    doc: dict[str, Any] = {
        "operationId": rule.endpoint.removeprefix(f"{API_BLUEPRINT}."), "tags": [op.tag], "summary": summary,
        "description": f"{details.strip()}\n\n{access}".strip(),
        "parameters": [{"in": "path", "name": name, "required": True, **PATH_PARAMETERS.get(name, ANY_STRING)}
                       for name in RE_URL.findall(rule.rule)],
        "responses": _responses(op, public, scope),
    }
    if op.query is not None:
        doc["parameters"].append({"in": "query", "schema": op.query})
    if op.if_match:
        doc["parameters"].append(IF_MATCH)
    if op.body:
        doc["requestBody"] = {"required": op.body_required, "content": _json(op.body)}
    if public:
        doc["security"] = []
    else:
        doc["x-required-scope"] = scope
    if not doc["parameters"]:
        del doc["parameters"]
    return doc


def _add_components(spec: APISpec) -> None:
    spec.components.security_scheme("bearerAuth", {
        "type": "http", "scheme": "bearer", "description": "An API token (kb_…) from `kb create-token` or "
        "POST /api/v1/tokens."})
    for schema in COMPONENTS:
        spec.components.schema(schema.__name__.removesuffix("Schema"), {"description": inspect.getdoc(schema)},
                               schema=schema)
    for name, text, headers in ERRORS.values():
        spec.components.response(name, {"description": text, "content": _json("Error"),
                                        "headers": _headers(headers)})


def api_rules(app: Flask) -> list[Rule]:
    """The URL rules of the API blueprint, by path."""
    return sorted((r for r in app.url_map.iter_rules() if r.endpoint.startswith(f"{API_BLUEPRINT}.")),
                  key=lambda r: (r.rule, r.endpoint))


def build_spec(app: Flask) -> APISpec:
    """Describe every route of the API blueprint from its URL rule, docstring and OPERATIONS entry."""
    spec = APISpec(title="Support KB API", version=__version__, openapi_version=OPENAPI_VERSION,
                   plugins=[FlaskPlugin(), MarshmallowPlugin()], info={"description": DESCRIPTION},
                   security=[{"bearerAuth": []}], tags=[{"name": n, "description": d} for n, d in (*TAGS, *admin.TAGS)])
    _add_components(spec)
    for rule in api_rules(app):
        view = app.view_functions[rule.endpoint]
        methods = sorted((rule.methods or set()) - {"HEAD", "OPTIONS"})
        spec.path(view=view, app=app, operations={m.lower(): _operation(rule, m, view) for m in methods})
    return spec


def openapi_document(app: Flask) -> dict[str, Any]:
    """The OpenAPI document of this app, built on first use and then cached."""
    if CACHE_KEY not in app.extensions:
        app.extensions[CACHE_KEY] = build_spec(app).to_dict()
    return app.extensions[CACHE_KEY]


@api.get("/openapi.json")
def openapi_json() -> Response:
    """This description of the API, as an OpenAPI 3.1 document."""
    return jsonify(openapi_document(current_app))


# -- the docs page -------------------------------------------------------------------------------------------


def _resolve(spec: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        target: Any = spec
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        node = target
    return node


def schema_type(schema: dict[str, Any]) -> Markup:
    """A schema's type as short HTML, with component names linked to their section of the page."""
    if "$ref" in schema:
        return Markup('<a href="#schema-{0}">{0}</a>').format(schema["$ref"].rsplit("/", 1)[-1])
    if "anyOf" in schema:
        return Markup(" or ").join(schema_type(option) for option in schema["anyOf"])
    types = schema.get("type", "any")
    kinds = [types] if isinstance(types, str) else types
    items = schema_type(schema.get("items", {"type": "any"})) if "array" in kinds else ""
    text = Markup(" or ").join(Markup("array of {}").format(items) if kind == "array" else Markup("{}").format(kind)
                               for kind in kinds)
    return text + Markup(" ({})").format(schema["format"]) if "format" in schema else text


def schema_rules(schema: dict[str, Any]) -> list[Markup]:
    """The limits a schema sets, in words: enums, ranges, lengths, patterns, defaults."""
    enum = ", ".join("null" if value is None else str(value) for value in schema.get("enum", ()))
    rules = [Markup("one of: <code>{}</code>").format(enum)] if enum else []
    words = {"minimum": "at least {}", "maximum": "at most {}", "minLength": "at least {} character(s)",
             "maxLength": "at most {} characters", "maxItems": "at most {} items", "default": "default {}"}
    rules += [Markup(text).format(schema[key]) for key, text in words.items() if key in schema]
    if "pattern" in schema:
        blank = schema["pattern"] == s.NOT_BLANK.regex.pattern
        rules.append(Markup("not blank") if blank else Markup("matches <code>{}</code>").format(schema["pattern"]))
    items = schema.get("items")
    rules += [Markup("each {}").format(rule) for rule in schema_rules(items)] if items and "$ref" not in items else []
    return [*rules, Markup("deprecated")] if schema.get("deprecated") else rules


def docs_groups(spec: dict[str, Any]) -> list[tuple[dict[str, str], list[dict[str, Any]]]]:
    """The document's operations for the page, by tag, each with its responses resolved."""
    operations = [
        {**item[method], "method": method.upper(), "path": path, "public": item[method].get("security") == [],
         "responses_list": [(status, _resolve(spec, r)) for status, r in item[method]["responses"].items()],
         "body": item[method].get("requestBody")}
        for path, item in spec["paths"].items() for method in METHOD_ORDER if method in item]
    return [(tag, ops) for tag in spec["tags"] if (ops := [o for o in operations if o["tags"][0] == tag["name"]])]


@pages.get("/api/docs")
def api_docs() -> str:
    """The API reference as a page, rendered from the same OpenAPI document."""
    spec = openapi_document(current_app)
    errors = [(status, spec["components"]["responses"][name]) for status, (name, _, _) in ERRORS.items()]
    return render_template("api_docs.html", spec=spec, groups=docs_groups(spec), error_statuses=errors,
                           type_of=schema_type, rules_of=schema_rules, resolve=lambda node: _resolve(spec, node),
                           markdown=lambda text: Markup(render_markdown(text or "").html))
