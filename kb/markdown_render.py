"""Markdown to safe HTML: Python-Markdown for the syntax, nh3 so stored XSS cannot happen."""

from __future__ import annotations

import html
from dataclasses import dataclass
from functools import lru_cache

import markdown
import nh3
from markdown.extensions.toc import slugify_unicode

from kb.slugs import is_latin, slugify

_TAGS = set(nh3.ALLOWED_TAGS) - {"area", "map"}
_ATTRIBUTES = {
    "*": {"id", "title"},
    "a": {"href", "class"},
    "img": {"src", "alt", "width", "height"},
    "code": {"class"},
    # Column alignment as an attribute: the Content-Security-Policy blocks inline styles.
    "th": {"align", "colspan", "rowspan"},
    "td": {"align", "colspan", "rowspan"},
    "ol": {"start"},
}


@dataclass(frozen=True)
class TocEntry:
    """A heading in the article: its level, anchor id and text."""

    level: int
    anchor: str
    name: str


@dataclass(frozen=True)
class Rendered:
    """Sanitised HTML of an article body and its table of contents."""

    html: str
    toc: tuple[TocEntry, ...]


def _anchor(value: str, separator: str) -> str:
    # Transliterated ASCII ids stay readable in shared links for Latin-script languages; a Russian or
    # Greek heading keeps its own letters, or every section of the article would be "#article_N".
    if not is_latin(value) and (own := slugify_unicode(value, separator)[:60].strip(separator)):
        return own
    return slugify(value, max_length=60).replace("-", separator)


def _flatten(tokens: list[dict]) -> list[TocEntry]:
    entries: list[TocEntry] = []
    for token in tokens:
        # toc_tokens hold names already HTML-escaped; templates escape again.
        entries.append(TocEntry(token["level"], token["id"], html.unescape(token["name"])))
        entries.extend(_flatten(token.get("children", [])))
    return entries


def sanitise(html: str) -> str:
    """Remove everything that could run script or escape the page; keep ordinary markup."""
    return nh3.clean(
        html,
        tags=_TAGS,
        attributes=_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow",
        strip_comments=True,
    )


@lru_cache(maxsize=512)
def render_markdown(text: str) -> Rendered:
    """Render Markdown (tables, fenced code, heading anchors) to sanitised HTML with a TOC (cached)."""
    return render_markdown_uncached(text)


def render_markdown_uncached(text: str) -> Rendered:
    """The same rendering without the cache: for previews, which change on every keystroke."""
    # pymdownx.superfences, not Python-Markdown's fenced_code: a fence inside a list item ("2. Run:" and the
    # command under it, as authors write steps) is a code block there too, not inline text.
    md = markdown.Markdown(
        extensions=["tables", "pymdownx.highlight", "pymdownx.superfences", "sane_lists", "toc"],
        extension_configs={"tables": {"use_align_attribute": True},
                           "pymdownx.highlight": {"use_pygments": False},  # plain <pre><code class="language-…">
                           "toc": {"slugify": _anchor, "separator": "-", "toc_depth": "2-4", "permalink": "#",
                                   "permalink_class": "headerlink", "permalink_title": "Link to this section"}},
        output_format="html",
    )
    html = md.convert(text)
    return Rendered(html=sanitise(html), toc=tuple(_flatten(md.toc_tokens)))  # type: ignore[attr-defined]
