"""Server-rendered HTML pages: article list, article, history and diff."""

from __future__ import annotations

from datetime import date, timedelta

from flask import Blueprint, Response, redirect, render_template, request, url_for

from kb.diff import diff_rows
from kb.index.base import Filters
from kb.markdown_render import render_markdown
from kb.permissions import can_read
from kb.store import MAX_ID, ArticleQuery
from kb.validation import normalise_tag
from kb.views import ArticleView
from kb.web.current import kb, principal
from kb.web.errors import BadRequest
from kb.web.query_logging import after_response
from kb.web.requests import int_arg, languages_arg
from kb.workflow import allowed_statuses

pages = Blueprint("pages", __name__)
READS_DAYS = 30  # the article page shows its reads over this many days


def _search_context() -> dict:
    from kb.web.query_logging import log_search
    from kb.web.search_api import MAX_QUERY_CHARS, filters_from_args, run_search

    # A pasted e-mail is POSTed (search.js): a customer's words stay out of URLs, history and access logs.
    query = (request.form if request.method == "POST" else request.args).get("q", "").strip()
    mode = request.args.get("mode", "hybrid")
    try:
        filters, bad_filter = filters_from_args(), ""
    except BadRequest as exc:  # a language code half typed into the filter: say so, search without it
        filters, bad_filter = Filters(), exc.message
    # A whole pasted e-mail thread is not an error on the page: it says where such text goes instead.
    too_long = len(query) if len(query) > MAX_QUERY_CHARS else 0
    response = run_search(query, mode, 20, filters) if query and kb().search and not too_long else None
    # A pasted message is logged as the question it was read as: analytics counts questions, not greetings.
    log_id = log_search(response.cleaned_query or query, mode, filters, response, "page") if response else None
    me = principal()
    popular = kb().search_counts.popular(me.team if me else "") if not query else []
    return {"q": query, "mode": mode, "response": response, "lang": request.args.get("lang", ""),
            "tag": request.args.get("tag", ""), "team": request.args.get("team", ""), "popular": popular,
            "log_id": log_id, "too_long": too_long, "max_query_chars": MAX_QUERY_CHARS, "bad_filter": bad_filter,
            "posted": request.method == "POST"}


@pages.get("/")
def search() -> str:
    """The home page: search box, results with their best section and highlighted snippet."""
    return render_template("search.html", **_search_context())


@pages.post("/search/opened")
def search_opened() -> tuple[str, int]:
    """An agent opened a result of their logged search: it counts towards "popular searches"."""
    from kb.web.query_logging import log_opened

    log_opened(request.form.get("log", ""), request.form.get("article", ""))
    return "", 204


@pages.route("/search/results", methods=["GET", "POST"])
def search_results() -> str:
    """Just the results list, for the search-as-you-type script (same rendering as the full page); a pasted
    message comes as a POST, its filters still in the query string."""
    return render_template("search_results.html", **_search_context())


def _listable(status: str) -> str:
    # Readers list published articles only, whatever the URL asks for.
    return status if can_read(principal(), status) else "published"


@pages.get("/articles")
def index() -> str:
    """Published articles, filterable by tag, language and team."""
    query = ArticleQuery(
        tag=normalise_tag(request.args.get("tag", "")) or None, languages=languages_arg(kb().store.languages),
        team=request.args.get("team") or None, status=_listable(request.args.get("status") or "published"),
        page=int_arg("page", 1), per_page=25,
    )
    page = kb().store.list(query)
    return render_template("index.html", page=page, query=query, pages_total=page.pages,
                           lang=request.args.get("lang", ""))


@pages.get("/articles/<slug>")
def article(slug: str) -> str:
    """One article, rendered."""
    item = kb().editing.readable(principal(), slug)
    if item.status == "published" and "voted" not in request.args:  # the page after a vote is no new read
        after_response(lambda reads=kb().reads: reads.record(item.id))
    return article_page(item)


def article_page(item: ArticleView, review_error: str = "", action_error: str = "", action: str = "",
                 typed: str = "") -> str:
    """The article page, with what went wrong marking it reviewed, or in another of its forms (`action`: "status"
    or "purge"), shown by that form with what was typed in it kept."""
    related = kb().search.related(item.id) if kb().search else []
    today = date.today()
    return render_template("article.html", article=item, rendered=render_markdown(item.body), related=related,
                           stats=kb().feedback.stats(item.id), needs_review=item.needs_review(today),
                           reads=kb().reads.recent(item.id, READS_DAYS), reads_days=READS_DAYS,
                           statuses=allowed_statuses(principal(), item), moves=kb().workflow.transitions(item.id),
                           changes=_open_changes(item.id), review_error=review_error, action_error=action_error,
                           action=action, typed=typed,
                           tomorrow=(today + timedelta(days=1)).isoformat())


def _open_changes(article_id: int) -> list:
    from kb.web.change_pages import open_changes  # that module adds routes to this blueprint

    return open_changes(article_id)


@pages.post("/articles/<slug>/helpful")
def helpful(slug: str) -> Response:
    """Record a reader's answer to "Was this helpful?" and go back to the article."""
    item = kb().editing.readable(principal(), slug)
    kb().feedback.vote(item.id, request.form.get("helpful") == "yes", principal().actor)
    return redirect(url_for("pages.article", slug=item.slug, voted=1, _anchor="helpful"), code=303)  # not the top


@pages.get("/articles/<slug>/history")
def history(slug: str) -> str:
    """Revision list with links to diffs."""
    return history_page(kb().editing.readable(principal(), slug))


def history_page(item: ArticleView, stale: str = "") -> str:
    """The revision list, with why a restore was refused (if one was)."""
    return render_template("history.html", article=item, revisions=kb().editing.revisions(principal(), item.id),
                           may_restore=kb().editing.may_restore(principal(), item), stale=stale)


@pages.get("/articles/<slug>/diff")
def diff(slug: str) -> str:
    """Side-by-side diff of two revisions, changed words marked."""
    item, old, new = kb().editing.diff_pair(principal(), slug, int_arg("from", 0, maximum=MAX_ID),
                                            int_arg("to", 0, maximum=MAX_ID))
    return render_template("diff.html", article=item, old=old, new=new,
                           rows=diff_rows(old.body, new.body))
