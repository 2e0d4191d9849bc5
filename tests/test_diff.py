"""Unified and side-by-side diffs."""

from __future__ import annotations

from kb.diff import diff_rows, side_by_side_html, unified_diff


def test_unified_diff_shows_changed_lines() -> None:
    text = unified_diff("a\nb\nc\n", "a\nB\nc\nd\n", "revision 1", "revision 2")
    assert text.startswith("--- revision 1\n+++ revision 2\n")
    assert "-b\n+B\n" in text and "+d\n" in text


def test_side_by_side_marks_changed_words_only() -> None:
    rows = diff_rows("Restart the print agent\nsame", "Restart the Print Agent service\nsame")
    assert rows[0].kind == "replace"
    assert "<del>print agent</del>" in rows[0].old_html
    assert "<ins>Print Agent service</ins>" in rows[0].new_html
    assert "Restart the " in rows[0].new_html
    assert rows[1].kind == "equal"


def test_inserted_and_deleted_lines() -> None:
    kinds = [row.kind for row in diff_rows("one\ntwo\n", "one\nthree\nfour\n")]
    assert kinds == ["equal", "replace", "insert"]
    assert [row.kind for row in diff_rows("a\nb\n", "a\n")] == ["equal", "delete"]


def test_html_is_escaped() -> None:
    html = side_by_side_html("<script>alert(1)</script>", "<b>x</b>")
    assert "<script>" not in html and "&lt;script&gt;" in html and "&lt;b&gt;" in html
