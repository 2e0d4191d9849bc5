"""Marshmallow schemas of the /api/v1 bodies and query strings: the one source of the OpenAPI schemas.

They describe what the handlers accept and return (the handlers validate input themselves); limits, enums
and patterns come from the constants the code enforces. Response schemas forbid unknown properties, so a
response that drifts from its description fails the contract tests.
"""

from __future__ import annotations

from functools import partial

from marshmallow import INCLUDE, Schema, fields, validate

from kb.analytics.article_reports import ARTICLE_SORTS
from kb.analytics.window import MAX_DAYS
from kb.feedback import OUTCOMES
from kb.models import STATUSES
from kb.search import MODES
from kb.slugs import MAX_SLUG_LENGTH, SLUG_PATTERN
from kb.tokens import MAX_NAME, SCOPES
from kb.validation import MAX_TAG_LENGTH, MAX_TAGS, MAX_TITLE
from kb.web.analytics_api import DEFAULT_DAYS, FORMATS
from kb.web.search_api import MAX_QUERY_CHARS
from kb.web.suggest_api import CHANNELS, MAX_SUGGEST_BYTES

LANGUAGE_PATTERN = r"^[a-z]{2,3}(-[A-Za-z]{2,4})?$"
NOT_BLANK = validate.Regexp(r"\S")  # JSON Schema patterns search: "holds a non-space character"
NAME_RULE = "Letters, digits and . _ @ + : - only."
OWNER_RULE = ("The username of an active account that may edit the article: not a reader, nor an author of "
              "another team than the article's (422 otherwise; a team change that would lock the owner out is a 422 "
              "too). Default: the signed-in caller; none for an article an API token creates.")
IGNORED_AUTHOR = "Ignored: the author is the token's name."

# Response fields are always present.
Int = partial(fields.Int, required=True)
Str = partial(fields.Str, required=True)
Float = partial(fields.Float, required=True)
Bool = partial(fields.Bool, required=True)
DateTime = partial(fields.DateTime, required=True)


def _doc(text: str, **extra: object) -> dict[str, object]:
    return {"description": text, **extra}


def _strings(**kwargs: object) -> fields.List:
    return fields.List(fields.Str(), **kwargs)


def _tags(text: str = "Lowercased; inner spaces become hyphens.", **kwargs: object) -> fields.List:
    tag = fields.Str(validate=validate.Length(max=MAX_TAG_LENGTH))
    return fields.List(tag, validate=validate.Length(max=MAX_TAGS), metadata=_doc(text), **kwargs)


def _title(**kwargs: object) -> fields.Str:
    return fields.Str(validate=[validate.Length(min=1, max=MAX_TITLE), NOT_BLANK], **kwargs)


def _schema(name: str, doc: str, declared: dict[str, fields.Field]) -> type[Schema]:
    """A schema class named `<name>Schema` whose docstring becomes its OpenAPI description."""
    schema = Schema.from_dict(declared, name=f"{name}Schema")
    schema.__doc__ = doc
    return schema


class ErrorBodySchema(Schema):
    """What went wrong; further details depend on the error."""

    class Meta:
        unknown = INCLUDE

    code = Str(metadata=_doc("Stable machine-readable code, e.g. not_found or conflict."))
    message = Str(metadata=_doc("Human-readable explanation."))
    field = fields.Str(metadata=_doc("400/409/413/422: the body field that was refused."))
    parameter = fields.Str(metadata=_doc("400: the query or body parameter that was refused."))
    current_revision = fields.Int(metadata=_doc("409 on a stale save: the article's current revision."))
    changes = fields.List(fields.Dict(), metadata=_doc("409 on a stale save: the revisions saved since."))
    diff = fields.Str(metadata=_doc("409 on a stale save: diff from the base to the current body."))
    required_scope = fields.Str(validate=validate.OneOf(SCOPES), metadata=_doc("403: the scope needed."))
    token_scope = fields.Str(validate=validate.OneOf(SCOPES), metadata=_doc("403: the token's scope."))
    limit = fields.Str(metadata=_doc("429: the limit that was exceeded."))
    token_id = fields.Int(metadata=_doc("404: the token that does not exist."))
    action = fields.Str(metadata=_doc("403: the action the role does not allow."))
    role = fields.Str(metadata=_doc("403: the role of the signed-in user."))
    team = fields.Str(metadata=_doc("403: the team that owns the article."))


ErrorSchema = _schema("Error", "The one error shape of the API.", {"error": fields.Nested(ErrorBodySchema,
                                                                                           required=True)})
StatsSchema = _schema("Stats", "How often an article solved a ticket and how agents rated it.", {
    "links": Int(), "helpful": Int(), "not_related": Int(), "did_not_answer": Int(),
    "helpfulness": Float(allow_none=True, metadata=_doc("Share of positive feedback; null before any.")),
})

# -- articles and revisions ----------------------------------------------------------------------------------

_SAVED = {"title": Str(), "tags": _strings(required=True), "status": Str(validate=validate.OneOf(STATUSES)),
          "language": Str(), "owner": Str(), "team": Str(), "review_by": fields.Date(required=True, allow_none=True)}
_ARTICLE = {"id": Int(), "slug": Str(), **_SAVED, "created_at": DateTime(), "updated_at": DateTime(),
            "revision": Int(metadata=_doc("Current revision; also the ETag.")), "meta": fields.Dict(required=True),
            "review_requested_at": DateTime(allow_none=True, metadata=_doc("Set while a review is asked for.")),
            "review_reason": Str(metadata=_doc("Why a review was asked for; empty otherwise."))}
ArticleSummarySchema = _schema("ArticleSummary", "An article without its body, as listings show it.", _ARTICLE)
OrphanSchema = _schema("Orphan", "An article whose owner's account can no longer edit it.", {
    **_ARTICLE, "owner_problem": Str(metadata=_doc(
        "Why: 'account disabled', 'now a reader' or 'now on team <name>'."))})
OrphanListSchema = _schema("OrphanList", "Articles whose owner can no longer edit them, by owner.", {
    "articles": fields.List(fields.Nested(OrphanSchema), required=True), "total": Int()})
ArticleSchema = _schema("Article", "An article with its body, page URL and feedback counts.", {
    **_ARTICLE, "body": Str(metadata=_doc("Markdown.")), "url": Str(metadata=_doc("The article's page.")),
    "stats": fields.Nested(StatsSchema, required=True)})
DraftArticleSchema = _schema("DraftArticle", "A draft made from a ticket, with the editor page to finish it in.",
                             {**_ARTICLE, "body": Str(), "edit_url": Str()})
ArticleListSchema = _schema("ArticleList", "One page of articles, newest change first.", {
    "articles": fields.List(fields.Nested(ArticleSummarySchema), required=True), "total": Int(), "page": Int(),
    "per_page": Int(), "pages": Int()})

_BODY = "Markdown; at most KB_MAX_BODY_BYTES bytes of UTF-8 (413 above)."
_EDITABLE = {
    "title": _title(), "body": fields.Str(metadata=_doc(_BODY)), "tags": _tags(),
    "status": fields.Str(validate=validate.OneOf(STATUSES)),
    "language": fields.Str(validate=validate.Regexp(LANGUAGE_PATTERN), metadata=_doc("Like en or pt-BR.")),
    "owner": fields.Str(validate=validate.Length(max=100), metadata=_doc(OWNER_RULE)),
    "team": fields.Str(validate=validate.Length(max=100), metadata=_doc(NAME_RULE)),
    "review_by": fields.Date(allow_none=True, metadata=_doc("Review-by date; null clears it.")),
    "meta": fields.Dict(), "message": fields.Str(metadata=_doc("Change message (trimmed to 500 characters).")),
    "author": fields.Str(metadata=_doc(IGNORED_AUTHOR, deprecated=True)),
}
_BASE = fields.Int(validate=validate.Range(min=1), metadata=_doc("The revision this save is based on; 409 when "
                                                                 "stale. Or send If-Match; 428 without either."))
ArticleCreateSchema = _schema("ArticleCreate", "A new article (revision 1); omitted fields get defaults.", {
    **_EDITABLE, "title": _title(required=True),
    "slug": fields.Str(validate=[validate.Regexp(SLUG_PATTERN.pattern), validate.Length(max=MAX_SLUG_LENGTH + 8)],
                       metadata=_doc("Default: derived from the title. 409 when taken."))})
ArticlePatchSchema = _schema("ArticlePatch", "Fields to change; omitted fields keep their value.",
                             {**_EDITABLE, "base_revision": _BASE})
ArticleReplaceSchema = _schema("ArticleReplace", "The whole article: title and body are required.", {
    **_EDITABLE, "title": _title(required=True), "body": Str(metadata=_doc(_BODY)), "base_revision": _BASE})
RestoreSchema = _schema("Restore", "Optional body of a restore.", {
    "base_revision": fields.Int(validate=validate.Range(min=1), metadata=_doc("Default: the current revision.")),
    "author": fields.Str(metadata=_doc(IGNORED_AUTHOR, deprecated=True))})

_REVISION = {"article_id": Int(), "number": Int(), **_SAVED, "author": Str(), "message": Str(),
             "created_at": DateTime()}
RevisionSummarySchema = _schema("RevisionSummary", "One saved revision, without its body.", _REVISION)
RevisionSchema = _schema("Revision", "One saved revision with its body.", {**_REVISION, "body": Str()})
RevisionListSchema = _schema("RevisionList", "Every revision of an article, newest first.", {
    "revisions": fields.List(fields.Nested(RevisionSummarySchema), required=True), "total": Int()})
DiffSchema = _schema("Diff", "Two revisions compared: title, tags, status and body.", {
    "article_id": Int(), "from": Int(), "to": Int(), "unified": Str(metadata=_doc("Unified diff.")),
    "html": Str(metadata=_doc("Side-by-side HTML table, changed words in <del> and <ins>."))})

# -- search and suggestions ----------------------------------------------------------------------------------

SearchResultSchema = _schema("SearchResult", "One article found, pointing at its best section.", {
    "id": Int(), "slug": Str(), "title": Str(), "url": Str(metadata=_doc("The article page and section anchor.")),
    "section": Str(), "anchor": Str(), "snippet": Str(metadata=_doc("HTML: matched words in <mark>.")),
    "score": Float(), "language": Str(), "tags": _strings(required=True), "updated": fields.Date(required=True)})
TranslationSchema = _schema("Translation", "How a question in another language was also searched in English.", {
    "language": Str(metadata=_doc("The language the question was read as.")),
    "text": Str(metadata=_doc("The English words the keyword engine searched the English articles for."))})
SearchResponseSchema = _schema("SearchResponse", "Results of one search.", {
    "query": Str(), "mode": Str(validate=validate.OneOf(MODES)),
    "results": fields.List(fields.Nested(SearchResultSchema), required=True),
    "total": Int(metadata=_doc("Articles that matched, beyond the limit too.")), "took_ms": Float(),
    "cleaned_query": fields.Str(required=True, allow_none=True, metadata=_doc(
        "The question searched when `q` was a pasted message (greeting, quoted replies and signature left out, as "
        "POST /suggest reads a ticket); null when `q` was searched as it is.")),
    "translation": fields.Nested(TranslationSchema, required=True, allow_none=True,
                                 metadata=_doc("Null unless a dictionary translation was searched too."))})
SuggestRequestSchema = _schema("SuggestRequest", f"A ticket (at most {MAX_SUGGEST_BYTES // 1024} KB of JSON).", {
    "text": Str(validate=NOT_BLANK, metadata=_doc("The ticket text.")), "subject": fields.Str(allow_none=True),
    "channel": fields.Str(allow_none=True, validate=validate.OneOf(CHANNELS)),
    "limit": fields.Int(load_default=5, validate=validate.Range(min=1, max=20)),
    "tags": _tags("Only articles with these tags.", allow_none=True),
    "language": fields.Str(allow_none=True, metadata=_doc(
        "Only articles in this language; a locale such as en-US or pt_BR also finds en or pt-BR articles.")),
    "min_score": fields.Float(allow_none=True, validate=validate.Range(min=0, max=1),
                              metadata=_doc("Drop suggestions whose confidence is lower."))})
SuggestionSchema = _schema("Suggestion", "One suggested article, pointing at its best section.", {
    "id": Int(), "slug": Str(), "title": Str(), "url": Str(), "section": Str(), "snippet": Str(), "score": Float(),
    "confidence": Float(validate=validate.Range(min=0, max=1),
                        metadata=_doc("Calibrated probability that the article answers the ticket."))})
SuggestResponseSchema = _schema("SuggestResponse", "Suggestions; abstained when none is a good match.", {
    "query_id": Str(metadata=_doc("Send feedback on these suggestions with it.")),
    "suggestions": fields.List(fields.Nested(SuggestionSchema), required=True), "abstained": Bool(),
    "took_ms": Float(),
    "translation": fields.Nested(TranslationSchema, required=True, allow_none=True,
                                 metadata=_doc("Null unless the ticket was also searched in English translation."))})
FeedbackRequestSchema = _schema("FeedbackRequest", "Which suggested article helped, or not.", {
    "article_id": Int(), "outcome": Str(validate=validate.OneOf(OUTCOMES)),
    "ticket_ref": fields.Str(allow_none=True, metadata=_doc("The helpdesk's ticket id (kept to 100 characters)."))})
FeedbackResponseSchema = _schema("FeedbackResponse", "The feedback recorded and the article's new counts.", {
    "query_id": Str(), "article_id": Int(), "stats": fields.Nested(StatsSchema, required=True)})
FromTicketSchema = _schema("FromTicket", "A resolved ticket and the agent's notes; customer data is scrubbed.", {
    "text": Str(validate=NOT_BLANK, metadata=_doc("The ticket.")),
    "resolution": Str(validate=NOT_BLANK, metadata=_doc("What resolved it.")),
    "subject": fields.Str(allow_none=True),
    "title": fields.Str(allow_none=True, metadata=_doc("Default: from the subject or first sentence.")),
    "tags": _tags(allow_none=True),
    "language": fields.Str(allow_none=True, validate=validate.Regexp(LANGUAGE_PATTERN), metadata=_doc("Default: en.")),
    "customer_names": _strings(allow_none=True, metadata=_doc("Names to scrub besides those found.")),
    "owner": fields.Str(allow_none=True, metadata=_doc(
        "Username of the account that answers for the draft. Default: the signed-in caller; none from an API token."))})

# -- tokens and health ---------------------------------------------------------------------------------------

_TOKEN = {"id": Int(), "name": Str(), "scope": Str(validate=validate.OneOf(SCOPES)), "team": Str(),
          "prefix": Str(metadata=_doc("First characters of the secret, to recognise it.")),
          "created_at": DateTime(), "last_used_at": DateTime(allow_none=True), "revoked_at": DateTime(allow_none=True),
          "active": Bool()}
TokenSchema = _schema("Token", "An API token: never its secret or hash.", _TOKEN)
TokenCreatedSchema = _schema("TokenCreated", "A new token with its secret, shown this once.",
                             {**_TOKEN, "secret": Str()})
TokenListSchema = _schema("TokenList", "Every token, revoked ones included.", {
    "tokens": fields.List(fields.Nested(TokenSchema), required=True), "total": Int()})
TokenCreateSchema = _schema("TokenCreate", f"A token to create; scopes from weakest: {', '.join(SCOPES)}.", {
    "name": Str(validate=[validate.Length(min=1, max=MAX_NAME), NOT_BLANK]),
    "scope": Str(validate=validate.OneOf(SCOPES)), "team": fields.Str(validate=validate.Length(max=100))})
DatabaseHealthSchema = _schema("DatabaseHealth", "Database state.", {
    "ok": Bool(), "dialect": Str(), "articles": fields.Int(), "generation": fields.Int()})
IndexHealthSchema = _schema("IndexHealth", "Search index state (when search is enabled).", {
    "ok": Bool(), "state": fields.Str(), "model": fields.Str(), "dim": fields.Int(), "build": fields.Str(),
    "companion": fields.Str(allow_none=True, metadata=_doc("The English model that also reads translated "
                                                           "questions (KB_COMPANION_MODEL), or null.")),
    "built_at": fields.Str(), "generation": fields.Int(), "chunks": fields.Int(), "articles": fields.Int(),
    "catching_up": fields.Bool(metadata=_doc("A backlog of changes (a bulk import) is being indexed in the "
                                             "background; searches answer from the index as it is."))})
HealthSchema = _schema("Health", "Database and index state.", {
    "ok": Bool(), "database": fields.Nested(DatabaseHealthSchema, required=True),
    "index": fields.Nested(IndexHealthSchema)})

# -- analytics ----------------------------------------------------------------------------------------------

AnalyticsReportSchema = _schema("AnalyticsReport", "One analytics report: its columns and one object per row.", {
    "report": Str(metadata=_doc("The report's name; articles-by-<sort> for the articles ranking.")),
    "since": fields.Date(required=True), "until": fields.Date(required=True, metadata=_doc("Included (UTC).")),
    "days": Int(), "columns": _strings(required=True),
    "rows": fields.List(fields.Dict(), required=True, metadata=_doc("Each row has every column."))})

# -- query strings (expanded into parameters, not components) ------------------------------------------------

ArticleListQuerySchema = _schema("ArticleListQuery", "Filters and paging of GET /articles.", {
    "tag": fields.Str(), "status": fields.Str(validate=validate.OneOf(STATUSES)), "language": fields.Str(),
    "lang": fields.Str(metadata=_doc("Same as language.")), "team": fields.Str(), "owner": fields.Str(),
    "page": fields.Int(load_default=1, validate=validate.Range(min=1, max=10_000)),
    "per_page": fields.Int(load_default=20, validate=validate.Range(min=1, max=100))})
SearchQuerySchema = _schema("SearchQuery", "GET /search; tag, team and lang repeat or take comma-separated values.", {
    "q": fields.Str(load_default="", validate=validate.Length(max=MAX_QUERY_CHARS)),
    "mode": fields.Str(load_default="hybrid", validate=validate.OneOf(MODES)),
    "limit": fields.Int(load_default=10, validate=validate.Range(min=1, max=100)),
    "tag": _strings(metadata=_doc("Only articles with these tags.")),
    "team": _strings(metadata=_doc("Only articles of these teams.")),
    "lang": _strings(metadata=_doc("Only articles in these languages (any case; en-US also finds en).")),
    "language": _strings(metadata=_doc("Same as lang (used when lang is absent)."))})
DiffQuerySchema = _schema("DiffQuery", "Which revisions to compare; default the previous against the current.", {
    "from": fields.Int(validate=validate.Range(min=1), metadata=_doc("Older revision; default: to - 1.")),
    "to": fields.Int(validate=validate.Range(min=1), metadata=_doc("Newer revision; default: the current."))})

AnalyticsQuerySchema = _schema("AnalyticsQuery", "The period and options of GET /analytics/{report}.", {
    "days": fields.Int(load_default=DEFAULT_DAYS, validate=validate.Range(min=1, max=MAX_DAYS),
                       metadata=_doc("The last this many days, today (UTC) included.")),
    "sort": fields.Str(load_default="links", validate=validate.OneOf(ARTICLE_SORTS),
                       metadata=_doc("The articles report's ranking: tickets solved, helpfulness, views "
                                     "(opened from a search) or page reads.")),
    "format": fields.Str(load_default="json", validate=validate.OneOf(FORMATS), metadata=_doc("csv: a CSV file."))})

# Registered as components in this order: nested schemas before the schemas that use them.
COMPONENTS: tuple[type[Schema], ...] = (
    ErrorBodySchema, ErrorSchema, StatsSchema, ArticleSummarySchema, ArticleSchema, DraftArticleSchema,
    ArticleListSchema, ArticleCreateSchema, ArticleReplaceSchema, ArticlePatchSchema, RestoreSchema,
    RevisionSummarySchema, RevisionSchema, RevisionListSchema, DiffSchema, SearchResultSchema, SearchResponseSchema,
    SuggestRequestSchema, SuggestionSchema, SuggestResponseSchema, FeedbackRequestSchema, FeedbackResponseSchema,
    FromTicketSchema, TokenSchema, TokenCreatedSchema, TokenListSchema, TokenCreateSchema, DatabaseHealthSchema,
    IndexHealthSchema, HealthSchema, AnalyticsReportSchema,
)
