"""Workflow pages: status moves, review requests, the reviewers' queue, an owner's articles, purge, audit log."""

from __future__ import annotations

from datetime import date

from flask import Response, redirect, render_template, request, url_for

from kb.errors import Conflict, ValidationFailed
from kb.permissions import require
from kb.store import ArticleQuery
from kb.validation import review_date
from kb.web.change_pages import open_changes
from kb.web.current import kb, principal
from kb.web.downloads import csv_download
from kb.web.errors import status_of
from kb.web.pages import article_page, pages
from kb.web.requests import audit_query


@pages.post("/articles/<slug>/status")
def transition(slug: str) -> Response | tuple[str, int]:
    """Submit for review, publish, send back to draft or archive, from the article page."""
    article = kb().editing.readable(principal(), slug)
    status = request.form.get("status", "")
    raw = request.form.get("base_revision") or str(article.revision)
    if not (raw.isascii() and raw.isdigit()):
        raise ValidationFailed("'base_revision' must be a revision number", field="base_revision")
    base = int(raw)
    note = " ".join(request.form.get("message", "").split())[:300]  # why it was sent back, say
    move = f"Status: {status.replace('_', ' ')}"
    try:
        kb().editing.save(principal(), article.id, {"status": status}, base_revision=base,
                          message=f"{move}: {note}" if note else move)
    except (Conflict, ValidationFailed) as exc:  # saved meanwhile, say: the page as it is now, the note kept
        fresh = kb().editing.readable(principal(), article.id)
        return article_page(fresh, action_error=exc.message, action="status", typed=note), status_of(exc)
    return redirect(url_for("pages.article", slug=article.slug), code=303)


@pages.post("/articles/<slug>/request-review")
def request_review(slug: str) -> Response:
    """The owner asks for a review ("needs review")."""
    article = kb().editing.request_review(principal(), slug, request.form.get("reason", "")[:300])
    return redirect(url_for("pages.article", slug=article.slug), code=303)


@pages.post("/articles/<slug>/reviewed")
def mark_reviewed(slug: str) -> Response | tuple[str, int]:
    """A reviewer confirms the article is still right, optionally with the next review date."""
    article = kb().editing.readable(principal(), slug)
    try:
        kb().editing.mark_reviewed(principal(), article.id, review_date(request.form.get("review_by", "").strip()))
    except ValidationFailed as exc:  # a date in the past, say: said on the article, by the form
        return article_page(article, review_error=exc.message), 422
    return redirect(url_for("pages.article", slug=article.slug), code=303)


@pages.get("/review")
def review_queue() -> str:
    """Reviewers' queue: articles in review, and published ones that need a review."""
    workflow = kb().workflow
    return render_template("review.html", queue=workflow.queue(), stale=workflow.stale(date.today()),
                           changes=_with_articles(open_changes()), orphans=workflow.orphaned(), title="Review queue")


@pages.get("/my")
def my_articles() -> str:
    """An owner's articles: the stale ones first, then drafts and those in review."""
    me = principal().name
    workflow = kb().workflow
    mine = [a for status in ("in_review", "draft")
            for a in kb().store.list(ArticleQuery(owner=me, status=status, per_page=100)).items]
    changes = [c for c in open_changes() if c.author == principal().actor]
    decided = _with_articles(kb().change_requests.decided_for(principal().actor))
    return render_template("review.html", stale=workflow.stale(date.today(), owner=me), queue=mine,
                           changes=_with_articles(changes), decided=decided, title="My articles")


def _with_articles(changes: list) -> list[tuple]:
    articles = kb().store.articles_by_id([c.article_id for c in changes])
    return [(c, articles[c.article_id]) for c in changes if c.article_id in articles]


@pages.post("/articles/<slug>/purge")
def purge(slug: str) -> Response | tuple[str, int]:
    """Delete for good (admins), after typing the slug to confirm; the audit log keeps the record."""
    require(principal(), "purge")  # someone who may not purge is told so, whatever they typed
    if request.form.get("confirm", "") != slug:
        message = "type the article's slug exactly to confirm the purge"
        return article_page(kb().editing.readable(principal(), slug), action_error=message, action="purge"), 422
    kb().editing.purge(principal(), slug)
    return redirect(url_for("pages.audit"), code=303)


@pages.get("/admin/audit")
def audit() -> str:
    """The audit log, newest first, filterable by user, action and article."""
    query = audit_query()
    entries, total = kb().audit.list(query)
    pages_total = max(1, -(-total // query.per_page))
    return render_template("audit.html", entries=entries, total=total, query=query, pages_total=pages_total)


@pages.get("/admin/audit.csv")
def audit_csv() -> Response:
    """The (filtered) audit log as CSV, oldest first."""
    return csv_download(kb().audit.csv_rows(audit_query()), "audit-log.csv")
