"""JSON API under /api/v1: articles, revisions, diffs."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, jsonify, request, url_for

from kb.diff import revision_text, side_by_side_html, unified_diff
from kb.errors import ValidationFailed
from kb.models import STATUSES
from kb.permissions import Forbidden, can_read
from kb.store import MAX_ID, ArticleQuery
from kb.validation import normalise_tag
from kb.views import ArticleView
from kb.web.current import kb, principal
from kb.web.errors import BadRequest
from kb.web.requests import (
    base_revision,
    check_tag_list,
    if_match_revision,
    int_arg,
    json_object,
    languages_arg,
    reject_unknown,
    text_field,
)

api = Blueprint("api", __name__, url_prefix="/api/v1")



def drop_claimed_author(data: dict[str, Any]) -> None:
    """The 'author' field is still accepted (and dropped): the signed-in user or token is the author."""
    text_field(data, "author", "", limit=100)


def article_response(article: ArticleView, status: int = 200) -> Response:
    """An article as JSON with its revision as ETag, so clients can save with If-Match."""
    data = article.to_dict()
    data["url"] = url_for("pages.article", slug=article.slug)
    data["stats"] = kb().feedback.stats(article.id).to_dict()
    response = jsonify(data)
    response.status_code = status
    response.set_etag(str(article.revision))
    return response


@api.get("/articles")
def list_articles() -> Response:
    """Articles, newest change first, filtered by tag, status, language, team, owner."""
    status = request.args.get("status") or None
    if status and status not in STATUSES:
        raise BadRequest(f"'status' must be one of {', '.join(STATUSES)}", parameter="status")
    if not can_read(principal(), status or "draft"):
        if status:  # asked for drafts or archived articles explicitly: say no rather than hide it
            raise Forbidden(f"your role may read published articles only, not '{status}' ones")
        status = "published"
    query = ArticleQuery(
        tag=normalise_tag(request.args.get("tag", "")) or None, status=status,
        languages=languages_arg(kb().store.languages),
        team=request.args.get("team") or None, owner=request.args.get("owner") or None,
        page=int_arg("page", 1), per_page=int_arg("per_page", 20, maximum=100),
    )
    page = kb().store.list(query)
    return jsonify({
        "articles": [a.to_dict(include_body=False) for a in page.items],
        "total": page.total, "page": page.page, "per_page": page.per_page, "pages": page.pages,
    })


@api.post("/articles")
def create_article() -> Response:
    """Create an article (revision 1)."""
    data = check_tag_list(json_object())
    drop_claimed_author(data)
    message = text_field(data, "message", "Created")
    article = kb().editing.create(principal(), data, message=message or "Created")
    response = article_response(article, 201)
    response.headers["Location"] = url_for("api.get_article", ref=article.id)
    return response


@api.get("/articles/<ref>")
def get_article(ref: str) -> Response:
    """One article by id or slug."""
    return article_response(kb().editing.readable(principal(), ref))


def _save(ref: str, *, full: bool) -> Response:
    data = check_tag_list(json_object())
    base = base_revision(data)
    drop_claimed_author(data)
    message = text_field(data, "message")
    if full:
        missing = [name for name in ("title", "body") if name not in data]
        if missing:
            raise ValidationFailed(f"PUT replaces the article: {', '.join(missing)} required; use PATCH "
                                   "to change some fields", field=missing[0])
    article = kb().editing.save(principal(), ref, data, base_revision=base, message=message)
    return article_response(article)


@api.put("/articles/<ref>")
def replace_article(ref: str) -> Response:
    """Save a new version of the whole article, based on a known revision."""
    return _save(ref, full=True)


@api.patch("/articles/<ref>")
def patch_article(ref: str) -> Response:
    """Change some fields, based on a known revision."""
    return _save(ref, full=False)


@api.delete("/articles/<ref>")
def delete_article(ref: str) -> Response:
    """Archive the article: deleting never loses content."""
    # With If-Match, archiving what someone changed meanwhile is a 409, as for a save.
    article = kb().editing.archive(principal(), ref, base_revision=if_match_revision())
    return article_response(article)


@api.get("/articles/<ref>/revisions")
def list_revisions(ref: str) -> Response:
    """Every revision, newest first, without bodies."""
    revisions = kb().editing.revisions(principal(), ref)
    return jsonify({"revisions": [r.to_dict(include_body=False) for r in revisions],
                    "total": len(revisions)})


@api.get("/articles/<ref>/revisions/<int:number>")
def get_revision(ref: str, number: int) -> Response:
    """One revision with its body."""
    return jsonify(kb().editing.revision(principal(), ref, number).to_dict())


@api.post("/articles/<ref>/revisions/<int:number>/restore")
def restore_revision(ref: str, number: int) -> Response:
    """Make an old revision current again as a new revision."""
    data = json_object() if request.get_data() else {}
    base = base_revision(data, required=False)  # optional here: restoring states its intent explicitly
    reject_unknown(data, {"author"})
    article = kb().editing.restore(principal(), ref, number, base_revision=base)
    return article_response(article)


@api.get("/articles/<ref>/diff")
def diff_revisions(ref: str) -> Response:
    """Unified and side-by-side HTML diff of two revisions (default: previous to current)."""
    # 0: not given, so the newest revision the caller may read, and the readable one before it.
    article, old, new = kb().editing.diff_pair(principal(), ref, int_arg("from", 0, maximum=MAX_ID),
                                               int_arg("to", 0, maximum=MAX_ID))
    old_n, new_n = old.number, new.number
    labels = (f"revision {old_n}", f"revision {new_n}")
    return jsonify({
        "article_id": article.id, "from": old_n, "to": new_n,
        "unified": unified_diff(revision_text(old), revision_text(new), *labels),
        "html": side_by_side_html(revision_text(old), revision_text(new), *labels),
    })


@api.get("/healthz")
def api_health() -> Response:
    """Same as /healthz."""
    state = kb().health()
    return jsonify(state), 200 if state["ok"] else 503
