"""Articles into sections: split at headings, keep the heading path, window long sections."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html.parser import HTMLParser

from kb.index.base import Chunk
from kb.index.keyword_analysis import plain_text
from kb.markdown_render import render_markdown
from kb.views import ArticleView

CHUNKER_VERSION = 5  # 3: non-Latin headings anchor on their own letters; annotated "Related" lists left out
# 4: empty heading-only sections left out; one-link sections kept; long runs without spaces windowed whole;
#    text composed (NFC), typographic hyphens and fullwidth letters plain; 5: fenced code in list items is code
MAX_CHARS = 1000  # about what MiniLM's 256 word pieces hold
OVERLAP_CHARS = 200
_HEADINGS = {"h1": 1, "h2": 2, "h3": 3, "h4": 4, "h5": 5, "h6": 6}
# "Related" and "See also" headings in the base's languages.
_RELATED = re.compile(r"(?i)(?:related(?: articles)?|see also|further reading|relateret|relaterede artikler|se også|"
                      r"gerelateerd|zie ook|powiązane|zobacz też|zobacz także|katso myös|liittyvät|aiheeseen liittyvät|"
                      r"relaterat|se även|siehe auch|voir aussi|véase también|relacionado|relacionados)\s*:?")
_BLOCKS = {"p", "li", "pre", "tr", "br", "blockquote", "table", "ul", "ol", "div", "dd", "dt"}


@dataclass
class _Section:
    level: int
    anchor: str
    heading_path: tuple[str, ...]
    parts: list[str] = field(default_factory=list)
    link_chars: int = 0
    items: int = 0  # list items
    link_items: int = 0  # list items that open with a link
    loose_chars: int = 0  # text outside any list item
    links: int = 0

    def is_navigation(self) -> bool:
        """Links to other articles ("Related", "See also"): it points elsewhere, it does not answer.

        Either several links making up most of its text, or under a "Related"/"See also" heading a list whose
        every item opens with a link, however long the note after it ("[Payment failed](…) — for the
        subscription itself"). Steps that open with a link ("[Open the admin portal](…) and sign in") and a
        section that is one link ("Install [the hotfix for ERR-4012](…)") are kept.
        """
        total = sum(len(p.strip()) for p in self.parts)
        link_list = (bool(self.heading_path) and _RELATED.fullmatch(self.heading_path[-1].strip()) is not None
                     and self.items > 0 and self.link_items == self.items and self.loose_chars <= 40)
        return total > 0 and ((self.links > 1 and self.link_chars >= 0.6 * total) or link_list)


class _SectionParser(HTMLParser):
    """Walks rendered article HTML, starting a section at each heading."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.sections = [_Section(0, "", ())]
        self._heading: tuple[int, str] | None = None
        self._heading_text: list[str] = []
        self._skip = 0  # inside a heading's permalink
        self._in_link = 0
        self._item_opening = False  # inside a list item, before its first text
        self._in_item = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if tag in _HEADINGS:
            self._heading = (_HEADINGS[tag], attributes.get("id") or "")
            self._heading_text = []
        elif tag == "a" and "headerlink" in (attributes.get("class") or ""):
            self._skip += 1
        elif tag == "a":
            self._in_link += 1
            self.sections[-1].links += 1
        elif tag in _BLOCKS or tag in ("td", "th"):
            if tag == "li":
                self.sections[-1].items += 1
                self._item_opening, self._in_item = True, self._in_item + 1
            self._text(" ")

    def handle_endtag(self, tag: str) -> None:
        if tag in _HEADINGS and self._heading:
            level, anchor = self._heading
            name = " ".join("".join(self._heading_text).split())
            parents = [s for s in self.sections if 0 < s.level < level]
            path = (*parents[-1].heading_path, name) if parents else (name,)
            self.sections.append(_Section(level, anchor, path))
            self._heading = None
        elif tag == "a" and self._skip:
            self._skip -= 1
        elif tag == "a" and self._in_link:
            self._in_link -= 1
        elif tag in _BLOCKS:
            if tag == "li" and self._in_item:
                self._in_item -= 1
            self._text("\n")

    def handle_data(self, data: str) -> None:
        if self._skip:
            return
        if self._heading is not None:
            self._heading_text.append(data)
        else:
            section = self.sections[-1]
            if self._in_link:
                section.link_chars += len(data.strip())
            if data.strip() and self._item_opening:
                section.link_items += bool(self._in_link)
                self._item_opening = False
            elif data.strip() and not self._in_item:
                section.loose_chars += len(data.strip())
            self._text(data)

    def _text(self, data: str) -> None:
        self.sections[-1].parts.append(data)


def _windows(text: str) -> list[str]:
    """Split text longer than MAX_CHARS into overlapping windows at sentence or word boundaries.

    A run without spaces (a minified JSON line, a long URL) is cut inside the run rather than skipped.
    """
    if len(text) <= MAX_CHARS:
        return [text]
    windows, start = [], 0
    while start < len(text):
        end = min(len(text), start + MAX_CHARS)
        if end < len(text):
            half = start + MAX_CHARS // 2
            sentence = max(text.rfind(". ", half, end), text.rfind("\n", half, end))
            word = text.rfind(" ", half, end)
            end = sentence + 1 if sentence >= half else word if word >= half else end
        windows.append(text[start:end].strip())
        if end >= len(text):
            break
        overlap = max(end - OVERLAP_CHARS, start + 1)
        space = text.find(" ", overlap, end)  # begin on a word, within the overlap
        start = space + 1 if space != -1 else overlap
    return [w for w in windows if w]


def _clean(parts: list[str]) -> str:
    text = "".join(parts)
    lines = (" ".join(line.split()) for line in text.split("\n"))
    return re.sub(r"\n{2,}", "\n", "\n".join(line for line in lines if line)).strip()


def chunk_article(article: ArticleView) -> list[Chunk]:
    """The article's sections as chunks; an empty body still yields one chunk with the title."""
    parser = _SectionParser()
    parser.feed(render_markdown(article.body).html)
    parser.close()
    chunks: list[Chunk] = []
    sections = [s for s in parser.sections if not s.is_navigation()] or parser.sections[:1]
    texts = [plain_text(_clean(section.parts)) for section in sections]
    for section, text in zip(sections, texts, strict=True):
        if not text and (any(texts) or (section.level == 0 and len(sections) > 1)):
            # A heading with nothing under it but subheadings: its name is in their heading paths, and on its
            # own it would match any query on the title with a blank snippet.
            continue
        for window in _windows(text) if text else [""]:
            chunks.append(Chunk(
                chunk_id=f"{article.id}:{len(chunks)}", article_id=article.id, ordinal=len(chunks),
                title=plain_text(article.title), heading_path=tuple(map(plain_text, section.heading_path)),
                anchor=section.anchor,
                text=window, tags=article.tags, language=article.language, team=article.team,
                status=article.status,
            ))
    return chunks


def passage_text(chunk: Chunk) -> str:
    """What the embedding model reads for a chunk: title and heading path give the section context."""
    head = " › ".join((chunk.title, *chunk.heading_path)) if chunk.title else " › ".join(chunk.heading_path)
    return f"{head}\n{chunk.text}".strip()
