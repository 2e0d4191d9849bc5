"""The "paste a ticket" page: the suggestion path for agents, with feedback buttons."""

from __future__ import annotations

from flask import Response, jsonify, render_template, request

from kb.errors import KBError, ValidationFailed
from kb.web.current import kb
from kb.web.pages import pages
from kb.web.query_logging import log_suggestion
from kb.web.suggest_api import MAX_SUGGEST_BYTES


@pages.get("/tickets")
def ticket_form() -> str:
    """An empty paste box."""
    return render_template("ticket.html", text="", subject="", result=None)


@pages.post("/tickets")
def ticket_suggest() -> tuple[str, int]:
    """Suggestions for the pasted ticket, through the same code as POST /api/v1/suggest."""
    text = request.form.get("text", "")[:MAX_SUGGEST_BYTES]
    subject = request.form.get("subject", "")[:500]
    if not text.strip() or kb().suggester is None:
        message = "Paste the ticket text first." if not text.strip() else "Search is not enabled."
        return render_template("ticket.html", text=text, subject=subject, result=None, error=message), 422
    try:
        result = kb().suggester.suggest(text, subject=subject or None, limit=5)
    except ValidationFailed as exc:
        return render_template("ticket.html", text=text, subject=subject, result=None, error=exc.message), 422
    log_suggestion(result, {"limit": 5}, source="page")
    return render_template("ticket.html", text=text, subject=subject, result=result), 200


@pages.post("/tickets/<query_id>/feedback")
def ticket_feedback(query_id: str) -> Response | tuple[Response, int]:
    """Record an agent's verdict on one suggestion (called by the page's buttons)."""
    try:
        stats = kb().feedback.add(query_id, int(request.form.get("article_id", "0")),
                                  request.form.get("outcome", ""), request.form.get("ticket_ref", ""))
    except (KBError, ValueError) as exc:
        return jsonify({"error": {"code": "bad_feedback", "message": str(exc)}}), 422
    return jsonify({"stats": stats.to_dict()})
