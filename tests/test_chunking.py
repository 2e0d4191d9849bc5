"""Articles split into sections at headings, with paths, anchors and windows."""

from __future__ import annotations

from datetime import UTC, datetime

from kb.chunking import MAX_CHARS, chunk_article, passage_text
from kb.markdown_render import render_markdown
from kb.views import ArticleView

NOW = datetime(2026, 1, 1, tzinfo=UTC)


def article(body: str, title: str = "Printer prints blank receipts") -> ArticleView:
    return ArticleView(id=3, slug="p", title=title, body=body, tags=("printers",), status="published",
                       language="en", owner="", team="support", review_by=None, created_at=NOW, updated_at=NOW,
                       revision=1)


BODY = """Affects Epson printers after the update.

## Symptoms

The receipt is blank.

### On Windows

Error `PRN-6004` in the log.

## Resolution

1. Update to v4.18.2.

## Related

- [Install the Print Agent](/articles/install)
- [Printer offline](/articles/offline)
"""


def test_sections_follow_headings_with_paths_and_anchors() -> None:
    chunks = chunk_article(article(BODY))
    assert [(c.heading_path, c.anchor) for c in chunks] == [
        ((), ""), (("Symptoms",), "symptoms"), (("Symptoms", "On Windows"), "on-windows"),
        (("Resolution",), "resolution")]
    assert chunks[2].text == "Error PRN-6004 in the log."
    assert chunks[3].text == "Update to v4.18.2."
    assert {c.article_id for c in chunks} == {3} and [c.ordinal for c in chunks] == [0, 1, 2, 3]
    assert chunks[1].tags == ("printers",) and chunks[1].team == "support"


def test_anchors_are_the_rendered_heading_ids() -> None:
    body = "## Krok 1: Zmień hasło\n\ntext\n\n## Krok 1: Zmień hasło\n\nagain\n"
    rendered = {entry.anchor for entry in render_markdown(body).toc}
    assert {c.anchor for c in chunk_article(article(body))} == rendered


def test_link_lists_are_not_sections() -> None:
    assert all(c.heading != "Related" for c in chunk_article(article(BODY)))


def test_long_sections_are_windowed_with_overlap() -> None:
    sentences = " ".join(f"Sentence number {i} explains one more detail of the fix." for i in range(80))
    chunks = chunk_article(article(f"## Long\n\n{sentences}\n"))
    assert len(chunks) > 3
    assert all(len(c.text) <= MAX_CHARS for c in chunks)
    assert all(c.heading_path == ("Long",) for c in chunks)
    first_tail = chunks[0].text[-60:]
    assert any(part in chunks[1].text for part in first_tail.split(". ") if len(part) > 20)


def test_code_and_tables_are_searchable_text() -> None:
    body = "## Codes\n\n| Code | Meaning |\n|--|--|\n| ERR-4012 | expired |\n\n```\nnorbly-agent --reset\n```\n"
    text = chunk_article(article(body))[-1].text
    assert "ERR-4012" in text and "expired" in text and "norbly-agent --reset" in text


def test_empty_body_still_has_a_chunk_for_the_title() -> None:
    chunks = chunk_article(article(""))
    assert len(chunks) == 1 and chunks[0].text == ""
    assert passage_text(chunks[0]) == "Printer prints blank receipts"


def test_passage_text_carries_title_and_heading_path() -> None:
    chunk = chunk_article(article(BODY))[2]
    assert passage_text(chunk).startswith("Printer prints blank receipts › Symptoms › On Windows\n")


def test_non_latin_headings_keep_their_own_letters_in_anchors() -> None:
    body = "## Настройка принтера\n\ntext\n\n## Ошибка ERR-4012\n\nmore\n\n## Zażółć gęślą\n\nlatin\n"
    anchors = [c.anchor for c in chunk_article(article(body)) if c.anchor]
    assert anchors == ["настройка-принтера", "ошибка-err-4012", "zazolc-gesla"]
    assert set(anchors) == {entry.anchor for entry in render_markdown(body).toc}


def test_a_link_list_with_notes_is_not_a_section_but_steps_with_a_link_are() -> None:
    steps = ("## Steps\n\n1. [Open the admin portal](portal) and sign in, then choose Users.\n"
             "2. [Open the MFA tab](mfa) and press Reset authenticator for the user.\n")
    assert [c.heading for c in chunk_article(article(steps))] == ["Steps"]  # steps that open with a link stay
    body = ("## Fix\n\n1. Open [Settings](settings) and turn sync off.\n2. Restart the app.\n\n"
            "## Related\n\n- [Connect Stripe to accept card payments](connect-stripe)\n"
            "- [Subscription payment failed with PAY-2051](pay-2051) — for failed payments of the Norbly "
            "subscription itself, not the customer's card payments at the till.\n")
    assert [c.heading for c in chunk_article(article(body))] == ["Fix"]


def test_a_heading_with_only_subheadings_under_it_is_not_an_empty_section() -> None:
    body = "Intro.\n\n## Setup\n\nPlug it in.\n\n## Common problems\n\n### Wrong characters\n\nSet the layout.\n"
    chunks = chunk_article(article(body, title="Barcode scanner setup"))
    assert [c.heading_path for c in chunks] == [(), ("Setup",), ("Common problems", "Wrong characters")]
    assert all(c.text for c in chunks)
    only_headings = chunk_article(article("## One\n\n## Two\n"))
    assert [c.heading for c in only_headings] == ["One", "Two"]  # nothing but headings: they are the content


def test_a_long_run_without_spaces_is_windowed_whole() -> None:
    blob = '{"config": ' + ",".join(f'"key{i}":"value{i}"' for i in range(90)) + ',"code":"ERR-7777"}'
    assert len(blob) > MAX_CHARS and " " not in blob[12:]
    chunks = chunk_article(article(f"## Log\n\nThe app stops.\n\n```\n{blob}\n```\n\nThen it restarts.\n"))
    joined = "".join(c.text for c in chunks)
    assert "ERR-7777" in joined and "key45" in joined and "Then it restarts." in joined
    assert len(chunks) <= 4
    line = "x" * 2500
    assert len(chunk_article(article(f"## Blob\n\n{line}\n"))) <= 4  # not one chunk per character


def test_a_section_that_is_one_link_is_content() -> None:
    body = "Intro.\n\n## Resolution\n\nInstall [Print Agent hotfix 4.18.3 for ERR-4012](https://example.com/x).\n"
    assert [c.heading for c in chunk_article(article(body))] == ["", "Resolution"]
