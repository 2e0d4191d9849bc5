"""Marshmallow schemas and OpenAPI operations of the accounts, audit and review endpoints."""

from __future__ import annotations

from marshmallow import fields, validate

from kb.audit import CSV_COLUMNS
from kb.models import ROLES
from kb.users import MIN_PASSWORD
from kb.web.api_schemas import ArticleSummarySchema, DateTime, Int, OrphanListSchema, Str, _doc, _schema

_ROLE = validate.OneOf(ROLES)
UserSchema = _schema("User", "A user account; never its password.", {
    "id": Int(), "username": Str(), "display_name": Str(), "role": Str(validate=_ROLE), "team": Str(),
    "created_at": DateTime(), "disabled": fields.Bool(required=True),
    "locked_until": DateTime(allow_none=True, metadata=_doc("Set while failed logins lock the account.")),
    "last_login_at": DateTime(allow_none=True)})
UserListSchema = _schema("UserList", "Every account.", {
    "users": fields.List(fields.Nested(UserSchema), required=True), "total": Int()})
_PASSWORD = fields.Str(validate=validate.Length(min=MIN_PASSWORD), metadata=_doc(
    f"At least {MIN_PASSWORD} characters; omit for an account that signs in through the SSO proxy only."))
UserCreateSchema = _schema("UserCreate", "A new account.", {
    "username": fields.Str(required=True, metadata=_doc("Lowercase letters, digits and . _ @ -")),
    "password": _PASSWORD, "role": fields.Str(validate=_ROLE, load_default="reader"), "team": fields.Str(),
    "display_name": fields.Str()})
UserUpdateSchema = _schema("UserUpdate", "Changes to an account; a new password ends its sessions.", {
    "password": _PASSWORD, "role": fields.Str(validate=_ROLE), "team": fields.Str(), "disabled": fields.Bool()})
AuditEntrySchema = _schema("AuditEntry", "One recorded change: who, what, when, revisions before and after.", {
    "id": Int(), "at": DateTime(), "actor": Str(metadata=_doc("A username, token:<name> or cli:<user>.")),
    "actor_kind": Str(validate=validate.OneOf(("user", "token", "cli", "system"))), "action": Str(),
    "article_id": Int(allow_none=True), "article_slug": Str(), "before_revision": Int(allow_none=True),
    "after_revision": Int(allow_none=True), "detail": fields.Dict(required=True)})
AuditListSchema = _schema("AuditList", f"One page of the audit log, newest first; ?format=csv gives the "
                          f"columns {', '.join(CSV_COLUMNS)}.", {
    "entries": fields.List(fields.Nested(AuditEntrySchema), required=True), "total": Int(), "page": Int(),
    "per_page": Int()})
AuditQuerySchema = _schema("AuditQuery", "Filters of the audit log.", {
    "actor": fields.Str(), "action": fields.Str(metadata=_doc("e.g. article.updated, user.created")),
    "article_id": fields.Int(), "page": fields.Int(), "per_page": fields.Int(validate=validate.Range(1, 500)),
    "format": fields.Str(validate=validate.OneOf(("json", "csv")))})
StaleQuerySchema = _schema("StaleQuery", "Which stale articles: all, or one owner's or team's.", {
    "owner": fields.Str(metadata=_doc("Only this owner's (e.g. your own username).")),
    "team": fields.Str(metadata=_doc("Only this team's."))})
PurgedSchema = _schema("Purged", "The article that was deleted for good.", {
    "id": Int(), "slug": Str(), "purged": fields.Bool(required=True)})
ReviewRequestSchema = _schema("ReviewRequest", "Why the article needs a review.", {"reason": fields.Str()})
ReviewedSchema = _schema("Reviewed", "The review is done; optionally the next review date.", {
    "review_by": fields.Date(allow_none=True)})
ArticleQueueSchema = _schema("ArticleQueue", "Articles waiting for a reviewer, or needing a review.", {
    "articles": fields.List(fields.Nested(ArticleSummarySchema), required=True), "total": Int()})

ChangeRequestSchema = _schema("ChangeRequest", "A proposed change to a published article and what became of it.", {
    "id": Int(), "article_id": Int(), "base_revision": Int(metadata=_doc("The revision the change was made on.")),
    "fields": fields.Dict(required=True, metadata=_doc("Only the fields that change, normalised.")),
    "author": Str(), "message": Str(), "created_at": DateTime(),
    "state": Str(validate=validate.OneOf(("open", "approved", "rejected", "withdrawn"))), "decided_by": Str(),
    "decided_at": DateTime(allow_none=True), "note": Str()})
ChangeRequestListSchema = _schema("ChangeRequestList", "Open change requests, oldest first.", {
    "change_requests": fields.List(fields.Nested(ChangeRequestSchema), required=True), "total": Int()})
ChangeRequestCreateSchema = _schema("ChangeRequestCreate", "The change: any article fields, on a base revision.", {
    "base_revision": fields.Int(required=True), "message": fields.Str(), "title": fields.Str(), "body": fields.Str(),
    "tags": fields.List(fields.Str()), "language": fields.Str(), "review_by": fields.Date(allow_none=True),
    "meta": fields.Dict()})
RejectSchema = _schema("Reject", "Why the change is declined.", {"note": fields.Str()})
ChangeRequestQuerySchema = _schema("ChangeRequestQuery", "Filters of the open change requests.", {
    "article_id": fields.Int()})

COMPONENTS = (ChangeRequestSchema, ChangeRequestListSchema, ChangeRequestCreateSchema, RejectSchema,
              UserSchema, UserListSchema, UserCreateSchema, UserUpdateSchema, AuditEntrySchema, AuditListSchema,
              PurgedSchema, ReviewRequestSchema, ReviewedSchema, ArticleQueueSchema, OrphanListSchema)
TAGS = (("accounts", "User accounts and roles (admins)."),
        ("review", "The review workflow: requests, the queue, stale and orphaned articles."),
        ("audit", "Every change, who made it and when (admins)."))


def operations(operation: type) -> dict[str, object]:
    """OpenAPI operations of these endpoints, built with openapi.py's Operation class."""
    return {
        "api.list_users": operation("accounts", "UserList"),
        "api.create_user": operation("accounts", "User", 201, "UserCreate", errors=(409, 422)),
        "api.update_user": operation("accounts", "User", body="UserUpdate", errors=(404, 422)),
        "api.audit_log": operation("audit", "AuditList", query=AuditQuerySchema, errors=(400,), csv=True),
        "api.purge_article": operation("articles", "Purged", errors=(404,)),
        "api.request_review": operation("review", "Article", body="ReviewRequest", body_required=False,
                                        errors=(404, 422), headers=("ETag",)),
        "api.mark_reviewed": operation("review", "Article", body="Reviewed", body_required=False,
                                       errors=(404, 422), headers=("ETag",)),
        "api.review_queue": operation("review", "ArticleQueue"),
        "api.stale_articles": operation("review", "ArticleQueue", query=StaleQuerySchema),
        "api.orphaned_articles": operation("review", "OrphanList"),
        "api.propose_change": operation("review", "ChangeRequest", 201, "ChangeRequestCreate",
                                        errors=(404, 409, 422, 428), also=((200, "ChangeRequest", (
                                            "The same change by the same person on the same revision, sent "
                                            "again: the request already waiting.")),)),
        "api.list_change_requests": operation("review", "ChangeRequestList", query=ChangeRequestQuerySchema,
                                              errors=(400,)),
        "api.get_change_request": operation("review", "ChangeRequest", errors=(404,)),
        "api.approve_change_request": operation("review", "Article", errors=(404, 409, 422), headers=("ETag",)),
        "api.reject_change_request": operation("review", "ChangeRequest", body="Reject", body_required=False,
                                               errors=(404, 409, 422)),
        "api.withdraw_change_request": operation("review", "ChangeRequest", errors=(404, 409)),
    }
