"""HTML mail to plain text: visible text line by line, paragraphs and list items kept, quoted blocks marked."""
from __future__ import annotations

from html.parser import HTMLParser

from kb.ticket_patterns import WS

_BLOCK = frozenset({"p", "div", "br", "li", "ul", "ol", "tr", "table", "h1", "h2", "h3", "h4", "h5", "h6",
                    "blockquote", "pre", "hr", "section", "article", "header", "footer", "dd", "dt"})
_LINE_BREAK = frozenset({"br", "li", "tr", "dd", "dt"})
_SKIP = frozenset({"style", "script", "head", "title", "noscript", "template", "svg"})


class _TextExtractor(HTMLParser):
    """Collects visible text line by line; quoted blocks get a '> ' prefix so quote removal applies to them."""

    def __init__(self) -> None:
        """Start with no lines, nothing open."""
        super().__init__(convert_charrefs=True)
        self.lines: list[str] = []
        self._cur, self._cur_quoted, self._skip, self._bullet = "", False, 0, False
        # Open div/blockquote elements, with counters so deep or broken nesting stays linear.
        self._stack: list[tuple[str, bool]] = []
        self._open = {"div": 0, "blockquote": 0}
        self._quoted = 0

    def newline(self, blank: bool) -> None:
        """Finish the current line; a blank line separates blocks such as paragraphs."""
        if self._cur.strip():
            self.lines.append(("> " if self._cur_quoted else "") + self._cur.strip())
        if blank and self.lines and self.lines[-1]:
            self.lines.append("")
        self._cur = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        """Track skipped/quoted elements and break lines at block elements."""
        self._skip = self._skip + 1 if tag in _SKIP else 0 if tag == "body" else self._skip
        if tag in ("div", "blockquote"):
            # Gmail, Yahoo and Thunderbird wrap the quoted history in an element whose class mentions "quote".
            attr = " ".join(v or "" for k, v in attrs if k in ("class", "id")).lower()
            self._stack.append((tag, tag == "blockquote" or "quote" in attr))
            self._open[tag] += 1
            self._quoted += self._stack[-1][1]
        if tag in _BLOCK:
            self.newline(blank=tag not in _LINE_BREAK)
        self._bullet = tag == "li" or (self._bullet and tag not in _BLOCK)

    def handle_endtag(self, tag: str) -> None:
        """Close skipped/quoted elements (also ones left open inside) and break lines at block elements."""
        self._skip = max(0, self._skip - 1) if tag in _SKIP else self._skip
        while self._open.get(tag):
            closed, quoted = self._stack.pop()
            self._open[closed] -= 1
            self._quoted -= quoted
            if closed == tag:
                break
        if tag in _BLOCK:
            self.newline(blank=tag not in _LINE_BREAK)

    def handle_data(self, data: str) -> None:
        """Append visible text, whitespace-collapsed, marking list items and quoted lines."""
        if self._skip or (not data.strip() and not self._cur):
            return
        if not self._cur:
            self._cur_quoted = self._quoted > 0
            self._cur, self._bullet = ("- " if self._bullet else ""), False
        self._cur += WS.sub(" ", data)


def html_to_text(html: str) -> str:
    """Convert HTML mail to plain text keeping paragraphs and list items, dropping style/script/head."""
    parser = _TextExtractor()
    try:
        parser.feed(html if isinstance(html, str) else "")
        parser.close()
    except Exception:  # malformed markup must never break ticket intake; keep what was parsed so far
        pass
    parser.newline(blank=False)
    return "\n".join(parser.lines).strip()
