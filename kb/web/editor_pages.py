"""Editor pages: new from a template, edit with a stale-save guard, live preview, restore."""

from __future__ import annotations

import secrets
from typing import Any

from flask import Response, jsonify, redirect, render_template, request, url_for

from kb.article_templates import TEMPLATES
from kb.conflicts import MERGED_FIELDS, merge_fields
from kb.diff import diff_rows
from kb.errors import Conflict, KBError, NotFound
from kb.markdown_render import render_markdown_uncached
from kb.permissions import Forbidden, require, role_allows
from kb.web.current import kb, principal
from kb.web.pages import history_page, pages
from kb.web.requests import record_sent, sent_before
from kb.workflow import allowed_statuses

# Session key: the new-article forms this browser sent, by form id, with the article each made and its revision.
CREATED_FORMS = "created_forms"


def _form_fields() -> dict[str, Any]:
    form = request.form
    return {"title": form.get("title", ""), "body": form.get("body", ""),
            "tags": [t.strip() for t in form.get("tags", "").split(",") if t.strip()],
            "status": form.get("status", "draft"), "language": form.get("language", "en").strip() or "en",
            "team": form.get("team", "").strip(), "review_by": form.get("review_by") or None,
            **({"owner": form.get("owner", "").strip()} if "owner" in form else {})}


def _render(article: Any, fields: dict[str, Any], *, error: str = "", conflict: dict | None = None,
            status: int = 200, form_id: str = "") -> tuple[str, int]:
    form_id = form_id or request.form.get("form_id", "")[:64]  # a refused new article keeps its form's id
    return render_template("edit.html", article=article, fields=fields, error=error, form_id=form_id,
                           statuses=allowed_statuses(principal(), article), conflict=conflict,
                           templates=TEMPLATES.values(), known_tags=kb().store.tags(),
                           people=[u.username for u in kb().users.list() if not u.disabled]
                           if role_allows(principal().role, "publish") else [],
                           via_review=article is not None and _needs_a_reviewer(article),
                           message=request.form.get("message", "")), status


@pages.get("/articles/new")
def new() -> tuple[str, int]:
    """An empty editor, or one started from a template."""
    template = TEMPLATES.get(request.args.get("template", ""))
    body = request.args.get("body", "")[: kb().settings.max_body_bytes]  # prefilled, e.g. from a content gap
    fields = {"title": request.args.get("title", "")[:200], "body": body or (template.body if template else ""),
              "tags": [], "status": "draft", "language": "en", "team": principal().team, "review_by": None,
              "owner": principal().name}
    return _render(None, fields, form_id=secrets.token_urlsafe(12))


@pages.post("/articles/new")
def create() -> Response | tuple[str, int]:
    """Save a new article; the same form sent again (Back, then Save) saves that article, not a second one."""
    fields = _form_fields()
    form_id = request.form.get("form_id", "")[:64]
    made = sent_before(CREATED_FORMS, form_id)
    if (earlier := _created_by(made)) is not None:
        answer = _save_article(earlier, fields, str(made[1]))
        if isinstance(answer, Response):  # saved: the form's next repeat builds on this revision, not a conflict
            record_sent(CREATED_FORMS, form_id, (earlier.id, kb().store.get(earlier.id).revision))
        return answer
    try:
        article = kb().editing.create(principal(), fields, message=request.form.get("message") or "Created")
    except KBError as exc:  # refused (e.g. another team) or invalid: keep the author's text on screen
        return _render(None, fields, error=exc.message, status=403 if isinstance(exc, Forbidden) else 422)
    record_sent(CREATED_FORMS, form_id, (article.id, article.revision))
    return redirect(url_for("pages.article", slug=article.slug), code=303)


def _created_by(made: Any) -> Any:
    """The article a new-article form already created (id and revision kept in the session), if it still exists."""
    try:
        return kb().editing.readable(principal(), int(made[0])) if made else None
    except NotFound:  # purged since: the form makes a new one
        return None


@pages.get("/articles/<slug>/edit")
def edit(slug: str) -> tuple[str, int]:
    """The editor on the current revision."""
    article = kb().editing.readable(principal(), slug)
    require(principal(), "edit", team=article.team)
    if article.status == "archived":  # the save would be refused: say so before any typing
        require(principal(), "publish", why="an archived article changes through a reviewer: ask one to "
                "return it to draft first")
    fields = {"title": article.title, "body": article.body, "tags": list(article.tags), "status": article.status,
              "language": article.language, "team": article.team, "review_by": article.review_by,
              "owner": article.owner}
    return _render(article, fields)


@pages.post("/articles/<slug>/edit")
def save(slug: str) -> Response | tuple[str, int]:
    """Save, unless someone else saved since this editor was opened: then show their change, keep ours."""
    return _save_article(kb().editing.readable(principal(), slug), _form_fields(),
                         request.form.get("base_revision", "0"))


def _save_article(article: Any, fields: dict[str, Any], base_text: str) -> Response | tuple[str, int]:
    slug = article.slug
    try:
        base = int(base_text)
        if _needs_a_reviewer(article):
            proposal = kb().change_requests.propose(principal(), article.id, fields, base_revision=base,
                                                    message=request.form.get("message", ""))
            return redirect(url_for("pages.change_request", request_id=proposal.id), code=303)
        saved = kb().editing.save(principal(), article.id, fields, base_revision=base,
                                  message=request.form.get("message", ""))
    except Conflict as exc:
        current = kb().store.get(slug)
        merged, both = merge_fields(kb().store.revision(current.id, base), current, fields)
        conflict = {"message": exc.message, "changes": exc.details.get("changes", []),
                    "rows": diff_rows(fields["body"], current.body), "current": current, "both": both,
                    "taken": [name for name in MERGED_FIELDS if merged.get(name) != fields.get(name)]}
        return _render(current, merged, conflict=conflict, status=409)
    except (KBError, ValueError) as exc:
        return _render(article, fields, error=getattr(exc, "message", str(exc)),
                       status=403 if isinstance(exc, Forbidden) else 422)
    return redirect(url_for("pages.article", slug=saved.slug), code=303)


def _needs_a_reviewer(article: Any) -> bool:
    """Authors' edits of a live article become change requests instead of going live."""
    return article.status == "published" and not role_allows(principal().role, "publish")


@pages.post("/preview")
def preview() -> Response:
    """Server-side preview through the same renderer and sanitiser as the article page."""
    rendered = render_markdown_uncached(request.form.get("body", "")[: kb().settings.max_body_bytes])
    return jsonify({"html": rendered.html})


@pages.post("/articles/<slug>/revisions/<int:number>/restore")
def restore(slug: str, number: int) -> Response | tuple[str, int]:
    """Restore an old revision as a new one (refused if the article changed since the history page showed it)."""
    base = request.form.get("base_revision", "")
    try:
        article = kb().editing.restore(principal(), slug, number,
                                       base_revision=int(base) if base.isascii() and base.isdigit() else None)
    except Conflict:  # the history as it is now, saying what happened: the reviewer decides again
        current = kb().editing.readable(principal(), slug)
        return history_page(current, stale=f"Not restored: the article changed since this page showed it (now at "
                                           f"revision {current.revision}). Here is its history as it is now; "
                                           f"restore revision {number} again if you still want it."), 409
    return redirect(url_for("pages.history", slug=article.slug), code=303)
