"""Snippets: the densest window of matched words, HTML-escaped, matches wrapped in <mark>."""

from __future__ import annotations

from html import escape

SNIPPET_CHARS = 240


def _best_window(text: str, spans: list[tuple[int, int]], width: int) -> tuple[int, int]:
    """The window of `width` characters covering the most matched spans, cut between words."""
    if len(text) <= width:
        return 0, len(text)
    if not spans:
        return 0, _cut_before(text, 0, width, 0)
    first, last, best_count, j = 0, 0, 0, 0
    for i, (start, _) in enumerate(spans):
        j = max(j, i)
        while j + 1 < len(spans) and spans[j + 1][1] - start <= width:
            j += 1
        if j - i + 1 > best_count:
            first, last, best_count = i, j, j - i + 1
    group_start, group_end = spans[first][0], spans[last][1]
    # A little context before the first match reads better than starting on it, but never at the cost of
    # pushing the group's last match out of the window.
    lead = max(0, min(width // 6, width - (group_end - group_start)))
    start = _word_start(text, max(0, group_start - lead), max(0, group_end - width), group_start)
    end = min(len(text), start + width)
    return start, (_cut_before(text, start, end, group_end) if end < len(text) else end)


def _word_start(text: str, start: int, earliest: int, limit: int) -> int:
    """`start` moved to the beginning of a word: back a little (not before `earliest`), else forward (not past
    `limit`)."""
    if start == 0 or text[start - 1].isspace():
        return start
    back = max(text.rfind(c, max(earliest, start - 20), start) for c in " \n\t")
    if back >= 0:
        return back + 1
    return next((i + 1 for i in range(start, limit) if text[i].isspace()), start)


def _cut_before(text: str, start: int, end: int, keep: int) -> int:
    """`end` moved back to the last space or line break after `keep`, so no word is cut (unless none)."""
    cut = max(text.rfind(c, max(start, keep), end + 1) for c in " \n\t")
    return cut if cut > start else end


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
