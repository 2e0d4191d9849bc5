"""Change requests on published articles: see the proposed change, approve, reject or withdraw it."""

from __future__ import annotations

from flask import Response, redirect, render_template, request, url_for

from kb.conflicts import rebased
from kb.diff import diff_rows
from kb.errors import Conflict, ValidationFailed
from kb.permissions import can_read
from kb.web.current import kb, principal
from kb.web.errors import status_of
from kb.web.pages import pages


@pages.get("/changes/<int:request_id>")
def change_request(request_id: int) -> str:
    """The proposed change beside the revision it was made on, with approve and reject for reviewers."""
    return _change_page(request_id)


def _change_page(request_id: int, error: str = "") -> str:
    proposal = kb().change_requests.get(request_id)
    article = kb().editing.readable(principal(), proposal.article_id)
    # Against the live text, later edits would read as if the proposal took them back.
    base = kb().editing.revision(principal(), article.id, proposal.base_revision)
    proposed_body = proposal.fields.get("body", base.body)
    others = {k: v for k, v in proposal.fields.items() if k not in ("body",)}
    stale = article.revision != proposal.base_revision
    # Approving applies a change on top of later edits to other parts (rebased), as the warning must say.
    return render_template("change_request.html", proposal=proposal, article=article, base=base, others=others,
                           rows=diff_rows(base.body, proposed_body), stale=stale, error=error,
                           conflicting=stale and rebased(base, article, proposal.fields) is None)


@pages.post("/changes/<int:request_id>/approve")
def approve_change(request_id: int) -> Response | tuple[str, int]:
    """Apply the change as a new revision of the live article."""
    try:
        article = kb().change_requests.approve(principal(), request_id)
    except (Conflict, ValidationFailed) as exc:  # edited meanwhile in the same parts, or decided meanwhile
        return _change_page(request_id, exc.message), status_of(exc)
    return redirect(url_for("pages.article", slug=article.slug), code=303)


@pages.post("/changes/<int:request_id>/reject")
def reject_change(request_id: int) -> Response:
    """Decline the change, with a note for its author."""
    proposal = kb().change_requests.reject(principal(), request_id, request.form.get("note", ""))
    return redirect(url_for("pages.change_request", request_id=proposal.id), code=303)


@pages.post("/changes/<int:request_id>/withdraw")
def withdraw_change(request_id: int) -> Response:
    """Take back an open change; the article's live text stays as it is."""
    proposal = kb().change_requests.withdraw(principal(), request_id)
    return redirect(url_for("pages.change_request", request_id=proposal.id), code=303)


def open_changes(article_id: int | None = None) -> list:
    """Open change requests the current user may see (for the review queue and the article page)."""
    found = kb().change_requests.open(article_id)
    return found if can_read(principal(), "draft") else []
