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


def _plain(html: str) -> str:
    return html.replace("<mark>", "").replace("</mark>", "").removeprefix("… ").removesuffix(" …")


def test_a_snippet_without_matches_ends_between_words() -> None:
    text = "Contacting the accountsdepartment " * 20
    plain = _plain(make_snippet(text, [], width=100))
    assert text.startswith(plain) and text[len(plain)] == " "


def test_the_lead_in_never_pushes_the_last_match_of_the_group_out() -> None:
    text = "intro words " * 30 + "alpha " + "x" * 3 + " middle words " * 15 + "omega tail " + "end " * 50
    html = make_snippet(text, spans(text, "alpha", "omega"), width=240)
    assert "<mark>alpha</mark>" in html and "<mark>omega</mark>" in html


def test_windows_start_and_end_at_word_or_line_boundaries() -> None:
    codes = "\n".join(f"ERR-40{n:02d} Printer fault number {n}" for n in range(40))
    html = make_snippet(codes, spans(codes, "ERR-4075"), width=120)
    assert "<mark>ERR-4075</mark>" not in html  # not in the text at all: the opening, cut between words
    html = make_snippet(codes, spans(codes, "ERR-4031"), width=120)
    plain = _plain(html)
    assert "<mark>ERR-4031</mark>" in html and plain.split()[0].startswith(("ERR-", "fault", "number", "Printer"))
    for word in plain.split():
        assert word in codes.split(), word  # no word cut in half
