"""Snippets: the densest window of matched words, HTML-escaped, matches wrapped in <mark>."""

from __future__ import annotations

from html import escape

SNIPPET_CHARS = 240


def _best_window(text: str, spans: list[tuple[int, int]], width: int) -> tuple[int, int]:
    """The window of `width` characters covering the most matched spans."""
    if not spans or len(text) <= width:
        return 0, min(len(text), width)
    best_start, best_count, j = spans[0][0], 0, 0
    for i, (start, _) in enumerate(spans):
        j = max(j, i)
        while j + 1 < len(spans) and spans[j + 1][1] - start <= width:
            j += 1
        if j - i + 1 > best_count:
            best_start, best_count = start, j - i + 1
    # A little context before the first match reads better than starting on it.
    start = max(0, best_start - width // 6)
    start = text.rfind(" ", 0, start) + 1 if start > 0 else 0
    end = min(len(text), start + width)
    if end < len(text):
        end = text.rfind(" ", start, end) if text.rfind(" ", start, end) > start else end
    return start, end


def make_snippet(text: str, spans: list[tuple[int, int]], width: int = SNIPPET_CHARS) -> str:
    """Escaped snippet HTML with the matched words marked."""
    spans = sorted((s, e) for s, e in spans if 0 <= s < e <= len(text))
    start, end = _best_window(text, spans, width)
    out, cursor = [], start
    for s, e in spans:
        if s < cursor or e > end:
            continue
        out.append(escape(text[cursor:s]))
        out.append(f"<mark>{escape(text[s:e])}</mark>")
        cursor = e
    out.append(escape(text[cursor:end]))
    prefix = "… " if start > 0 else ""
    suffix = " …" if end < len(text) else ""
    return prefix + "".join(out).replace("\n", " ") + suffix
