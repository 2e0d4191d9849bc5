"""Server-rendered HTML pages: article list, article, history and diff."""

from __future__ import annotations

from datetime import date

from flask import Blueprint, Response, redirect, render_template, request, url_for

from kb.diff import diff_rows
from kb.markdown_render import render_markdown
from kb.store import ArticleQuery
from kb.web.current import kb
from kb.web.requests import int_arg

pages = Blueprint("pages", __name__)



def _search_context() -> dict:
    from kb.web.search_api import filters_from_args, run_search

    query = request.args.get("q", "").strip()
    mode = request.args.get("mode", "hybrid")
    response = run_search(query, mode, 20, filters_from_args()) if query and kb().search else None
    popular = kb().search_counts.popular() if not query else []
    return {"q": query, "mode": mode, "response": response, "lang": request.args.get("lang", ""),
            "tag": request.args.get("tag", ""), "team": request.args.get("team", ""), "popular": popular}


@pages.get("/")
def search() -> str:
    """The home page: search box, results with their best section and highlighted snippet."""
    return render_template("search.html", **_search_context())


@pages.post("/search/opened")
def search_opened() -> tuple[str, int]:
    """An agent opened a result for this query: count it towards "popular searches"."""
    kb().search_counts.record(request.form.get("q", ""))
    return "", 204


@pages.get("/search/results")
def search_results() -> str:
    """Just the results list, for the search-as-you-type script (same rendering as the full page)."""
    return render_template("search_results.html", **_search_context())


@pages.get("/articles")
def index() -> str:
    """Published articles, filterable by tag, language and team."""
    query = ArticleQuery(
        tag=request.args.get("tag") or None, language=request.args.get("lang") or None,
        team=request.args.get("team") or None, status=request.args.get("status") or "published",
        page=int_arg("page", 1), per_page=25,
    )
    page = kb().store.list(query)
    return render_template("index.html", page=page, query=query, pages_total=page.pages)


@pages.get("/articles/<slug>")
def article(slug: str) -> str:
    """One article, rendered."""
    item = kb().store.get(slug)
    rendered = render_markdown(item.body)
    related = kb().search.related(item.id) if kb().search else []
    return render_template("article.html", article=item, rendered=rendered, related=related,
                           stats=kb().feedback.stats(item.id), needs_review=item.needs_review(date.today()))


@pages.post("/articles/<slug>/helpful")
def helpful(slug: str) -> Response:
    """Record a reader's answer to "Was this helpful?" and go back to the article."""
    item = kb().store.get(slug)
    kb().feedback.vote(item.id, request.form.get("helpful") == "yes")
    return redirect(url_for("pages.article", slug=item.slug, voted=1), code=303)


@pages.get("/articles/<slug>/history")
def history(slug: str) -> str:
    """Revision list with links to diffs."""
    item = kb().store.get(slug)
    return render_template("history.html", article=item, revisions=kb().store.revisions(item.id))


@pages.get("/articles/<slug>/diff")
def diff(slug: str) -> str:
    """Side-by-side diff of two revisions, changed words marked."""
    item = kb().store.get(slug)
    new_n = int_arg("to", item.revision, maximum=item.revision)
    old_n = int_arg("from", max(1, new_n - 1), maximum=item.revision)
    old, new = kb().store.revision(item.id, old_n), kb().store.revision(item.id, new_n)
    return render_template("diff.html", article=item, old=old, new=new,
                           rows=diff_rows(old.body, new.body))
