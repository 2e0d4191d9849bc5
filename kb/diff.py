"""Differences between two revisions: unified text and a side-by-side HTML table with word marks."""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from html import escape
from typing import Any

_WORDS = re.compile(r"\s+|[^\s]+")


def revision_text(revision: Any) -> str:
    """A revision as the text its diffs compare: every field a revision records, not only the body."""
    review = revision.review_by.isoformat() if revision.review_by else ""
    return (f"# {revision.title}\ntags: {', '.join(revision.tags)}\nstatus: {revision.status}\n"
            f"owner: {revision.owner}\nteam: {revision.team}\nlanguage: {revision.language}\nreview by: {review}\n\n"
            f"{revision.body}")


def unified_diff(old: str, new: str, old_label: str = "old", new_label: str = "new") -> str:
    """A unified diff of two texts, as `diff -u` prints it."""
    lines = difflib.unified_diff(
        old.splitlines(keepends=True), new.splitlines(keepends=True), old_label, new_label, n=3
    )
    return "".join(line if line.endswith("\n") else line + "\n" for line in lines)


@dataclass(frozen=True)
class DiffRow:
    """One row of a side-by-side diff; `kind` is equal, replace, delete or insert."""

    kind: str
    old_number: int | None
    old_html: str
    new_number: int | None
    new_html: str


def _word_opcodes(a: list[str], b: list[str]) -> list[tuple[str, int, int, int, int]]:
    """Word opcodes, with lone spaces between two changes folded into one change."""
    merged: list[tuple[str, int, int, int, int]] = []
    for op in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if merged and merged[-1][0] != "equal" and op[0] != "equal":
            _, i1, _, j1, _ = merged.pop()
            op = ("replace", i1, op[2], j1, op[4])
        elif (len(merged) >= 2 and op[0] != "equal" and merged[-1][0] == "equal"
              and merged[-2][0] != "equal" and not "".join(a[merged[-1][1]:merged[-1][2]]).strip()):
            merged.pop()
            _, i1, _, j1, _ = merged.pop()
            op = ("replace", i1, op[2], j1, op[4])
        merged.append(op)
    return merged


def _mark_words(old: str, new: str) -> tuple[str, str]:
    """Escape both lines, wrapping the words that differ in <del> and <ins>."""
    a, b = _WORDS.findall(old), _WORDS.findall(new)
    old_out: list[str] = []
    new_out: list[str] = []
    for op, i1, i2, j1, j2 in _word_opcodes(a, b):
        old_part, new_part = escape("".join(a[i1:i2])), escape("".join(b[j1:j2]))
        if op == "equal":
            old_out.append(old_part)
            new_out.append(new_part)
            continue
        if old_part:
            old_out.append(f"<del>{old_part}</del>")
        if new_part:
            new_out.append(f"<ins>{new_part}</ins>")
    return "".join(old_out), "".join(new_out)


def diff_rows(old: str, new: str) -> list[DiffRow]:
    """Line-aligned rows for a side-by-side view, changed words marked."""
    a, b = old.splitlines(), new.splitlines()
    rows: list[DiffRow] = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if op == "equal":
            rows += [DiffRow("equal", i + 1, escape(a[i]), j + 1, escape(b[j]))
                     for i, j in zip(range(i1, i2), range(j1, j2), strict=True)]
            continue
        for k in range(max(i2 - i1, j2 - j1)):
            i, j = i1 + k, j1 + k
            old_line = a[i] if i < i2 else None
            new_line = b[j] if j < j2 else None
            if old_line is not None and new_line is not None:
                old_html, new_html = _mark_words(old_line, new_line)
                rows.append(DiffRow("replace", i + 1, old_html, j + 1, new_html))
            elif old_line is not None:
                rows.append(DiffRow("delete", i + 1, f"<del>{escape(old_line)}</del>", None, ""))
            else:
                rows.append(DiffRow("insert", None, "", j + 1, f"<ins>{escape(new_line or '')}</ins>"))
    return rows


def side_by_side_html(old: str, new: str, old_label: str = "old", new_label: str = "new") -> str:
    """A self-contained HTML table showing both texts side by side."""
    head = (f'<table class="diff"><thead><tr><th colspan="2">{escape(old_label)}</th>'
            f'<th colspan="2">{escape(new_label)}</th></tr></thead><tbody>')
    body = "".join(
        f'<tr class="diff-{r.kind}"><td class="ln">{r.old_number or ""}</td><td>{r.old_html}</td>'
        f'<td class="ln">{r.new_number or ""}</td><td>{r.new_html}</td></tr>'
        for r in diff_rows(old, new)
    )
    return head + body + "</tbody></table>"
