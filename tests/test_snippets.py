"""Snippets: escaped, densest window, matches marked."""

from __future__ import annotations

from kb.snippets import make_snippet


def spans(text: str, *words: str) -> list[tuple[int, int]]:
    found = []
    for word in words:
        start = text.find(word)
        while start != -1:
            found.append((start, start + len(word)))
            start = text.find(word, start + 1)
    return found


def test_marks_matches_and_escapes_html() -> None:
    text = "Restart the <Print Agent> when ERR-4012 shows & retry."
    html = make_snippet(text, spans(text, "ERR-4012", "Restart"))
    assert html == "<mark>Restart</mark> the &lt;Print Agent&gt; when <mark>ERR-4012</mark> shows &amp; retry."


def test_picks_the_densest_window_of_a_long_text() -> None:
    text = "filler words here. " * 40 + "The cash drawer kicks when the printer cuts paper. " + "more filler. " * 40
    html = make_snippet(text, spans(text, "cash", "drawer", "printer"), width=120)
    assert html.startswith("… ") and html.endswith(" …")
    assert "<mark>cash</mark> <mark>drawer</mark>" in html and "<mark>printer</mark>" in html


def test_no_matches_gives_the_opening() -> None:
    assert make_snippet("Short text.", []) == "Short text."
    assert make_snippet("", []) == ""
