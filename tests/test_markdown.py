"""Markdown rendering and sanitising: stored XSS must be impossible."""

from __future__ import annotations

import pytest

from kb.markdown_render import render_markdown


@pytest.mark.parametrize("source", [
    "<script>alert(1)</script>",
    "Hi <script src=//evil.example/x.js></script> there",
    "[click](javascript:alert(1))",
    "[click](JaVaScRiPt:alert(1))",
    "[click](data:text/html;base64,PHNjcmlwdD4=)",
    "<img src=x onerror=alert(1)>",
    '<a href="#" onclick="alert(1)">x</a>',
    "<div onmouseover=alert(1) style='position:fixed;inset:0'>raw block</div>",
    "<iframe src=https://evil.example></iframe>",
    "<svg><script>alert(1)</script></svg>",
    "<style>body{display:none}</style>",
    '<form action="https://evil.example"><input name=p></form>',
    '![x](javascript:alert(1) "t")',
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
])
def test_dangerous_markup_comes_out_inert(source: str) -> None:
    html = render_markdown(f"Intro\n\n{source}\n\nOutro").html.lower()
    for bad in ("<script", "javascript:", "onerror", "onclick", "onmouseover", "<iframe", "<style",
                "<form", "data:text/html", "position:fixed", "<svg"):
        assert bad not in html
    assert "intro" in html


def test_raw_html_block_keeps_its_text_but_loses_attributes() -> None:
    html = render_markdown('<div class="x" onclick="steal()">Keep me</div>').html
    assert "Keep me" in html and "onclick" not in html and "steal" not in html


def test_tables_fenced_code_and_lists() -> None:
    html = render_markdown(
        "| Code | Meaning |\n|:--|--:|\n| `ERR-4012` | Token expired |\n\n"
        "```bash\n# a comment, not a heading\ncurl -s https://api.example\n```\n\n1. one\n2. two\n"
    ).html
    assert "<table>" in html and '<th align="left">Code</th>' in html and "style=" not in html
    assert '<code class="language-bash"># a comment, not a heading' in html
    assert "<ol>" in html and "<li>two</li>" in html


def test_a_fence_inside_a_list_item_is_a_code_block() -> None:
    html = render_markdown("1. Open a terminal.\n2. Run:\n\n    ```bash\n    python -m kb reindex\n    ```\n\n"
                           "3. Search again.\n\n> ```\n> ERR-4012\n> ```\n").html
    assert '<pre><code class="language-bash">python -m kb reindex</code></pre>' in html
    assert "<li>\n<p>Search again.</p>" in html and html.count("<ol>") == 1  # the list goes on after it
    assert "<blockquote>\n<pre><code>ERR-4012</code></pre>" in html


def test_headings_get_stable_readable_anchors_and_a_toc() -> None:
    rendered = render_markdown("## Symptoms\n\ntext\n\n## Symptoms\n\n### Krok 2: Zmień hasło\n")
    anchors = [entry.anchor for entry in rendered.toc]
    assert anchors == ["symptoms", "symptoms_1", "krok-2-zmien-haslo"]
    assert '<h3 id="krok-2-zmien-haslo">' in rendered.html
    assert render_markdown("## Symptoms\n").toc[0].anchor == "symptoms"


def test_links_are_kept_and_marked_nofollow() -> None:
    html = render_markdown("[status page](https://status.example.com) and <mailto:help@example.com>").html
    assert 'href="https://status.example.com"' in html
    assert "nofollow" in html
