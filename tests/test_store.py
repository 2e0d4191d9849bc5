"""The article store: revisions, conflicts, restore, archive, validation, listing."""

from __future__ import annotations

import pytest

from kb.errors import Conflict, NotFound, TooLarge, ValidationFailed
from kb.slugs import slugify
from kb.store import ArticleQuery


def make(store, title="Reset your password", **fields):
    data = {"title": title, "body": "## Steps\n1. Open the login page", **fields}
    return store.create(data, author="maja")


def test_create_derives_a_unique_stable_slug(store) -> None:
    first = make(store, "Nulstil din adgangskode: trin for trin")
    second = make(store, "Nulstil din adgangskode: trin for trin")
    assert first.slug == "nulstil-din-adgangskode-trin-for-trin"
    assert second.slug == "nulstil-din-adgangskode-trin-for-trin-2"
    renamed = store.update(first.id, {"title": "Completely new title"}, base_revision=1, author="x")
    assert renamed.slug == first.slug


@pytest.mark.parametrize(("title", "slug"), [
    ("Принтер не печатает чеки", "printer-ne-pechataet-cheki"), ("Εκτυπωτής", "ektypotis"),
    ("打印机 设置", "dayinji-shezhi"), ("Zażółć gęślą jaźń", "zazolc-gesla-jazn"), ("Ærø — Ø", "aero-o"),
    ("🚀 Launch checklist", "launch-checklist"), ("2024", "2024-article"), ("🚀", "article"),
])
def test_titles_in_any_script_give_a_readable_ascii_slug(title: str, slug: str) -> None:
    assert slugify(title) == slug


def test_defaults_and_fields(store) -> None:
    article = make(store, tags=["Login", " SSO ", "login"], language="da", team="support",
                   review_by="2027-01-31")
    assert article.tags == ("login", "sso")
    assert (article.status, article.language, article.owner, article.revision) == ("draft", "da", "maja", 1)
    assert article.review_by.isoformat() == "2027-01-31"
    assert store.get(article.slug) == store.get(article.id) == article


def test_every_save_is_a_revision_with_author_and_message(store) -> None:
    article = make(store)
    store.update(article.id, {"body": "v2"}, base_revision=1, author="tomasz", message="Fix step")
    store.update(article.id, {"status": "published"}, base_revision=2, author="aino", message="Publish")
    revisions = store.revisions(article.id)
    assert [(r.number, r.author, r.message) for r in revisions] == [
        (3, "aino", "Publish"), (2, "tomasz", "Fix step"), (1, "maja", "Created")]
    assert store.revision(article.id, 2).body == "v2"
    assert store.revision(article.id, 1).body.startswith("## Steps")


def test_saving_identical_content_makes_no_revision(store) -> None:
    article = make(store)
    same = store.update(article.id, {"title": article.title, "body": article.body}, base_revision=1,
                        author="x")
    assert same.revision == 1 and len(store.revisions(article.id)) == 1


def test_stale_save_is_refused_and_says_what_changed(store) -> None:
    article = make(store)
    store.update(article.id, {"body": "Tomasz's fix"}, base_revision=1, author="tomasz", message="Fix")
    with pytest.raises(Conflict) as caught:
        store.update(article.id, {"body": "Maja's edit"}, base_revision=1, author="maja")
    details = caught.value.details
    assert details["current_revision"] == 2
    assert details["changes"][0]["author"] == "tomasz"
    assert "+Tomasz's fix" in details["diff"]
    assert store.get(article.id).body == "Tomasz's fix"
    store.update(article.id, {"title": "Renamed by Rita", "tags": ["billing"]}, base_revision=2, author="rita")
    with pytest.raises(Conflict) as renamed:  # a change to the title or tags only shows in the diff too
        store.update(article.id, {"body": "Maja's edit"}, base_revision=2, author="maja")
    assert "+# Renamed by Rita" in renamed.value.details["diff"] and "+tags: billing" in renamed.value.details["diff"]


def test_base_revision_from_the_future_is_invalid(store) -> None:
    article = make(store)
    with pytest.raises(ValidationFailed):
        store.update(article.id, {"body": "x"}, base_revision=7, author="x")


def test_restore_is_a_new_revision(store) -> None:
    article = make(store, tags=["login"])
    store.update(article.id, {"body": "broken", "tags": ["oops"]}, base_revision=1, author="x")
    restored = store.restore(article.id, 1, author="maja")
    assert restored.revision == 3
    assert restored.body == article.body and restored.tags == ("login",)
    assert store.revisions(article.id)[0].message == "Restored revision 1"


def test_restore_brings_back_the_text_not_the_status_or_the_owner(store) -> None:
    article = make(store, tags=["login"], owner="maja")  # revision 1: a draft
    store.update(article.id, {"body": "v2", "status": "published", "owner": "tomasz", "team": "billing"},
                 base_revision=1, author="x")
    restored = store.restore(article.id, 1, author="x")
    assert (restored.body, restored.tags) == (article.body, ("login",))
    assert (restored.status, restored.owner, restored.team) == ("published", "tomasz", "billing")


def test_archive_keeps_everything(store) -> None:
    article = make(store, status="published")
    archived = store.archive(article.slug, author="x")
    assert archived.status == "archived" and archived.body == article.body
    assert len(store.revisions(article.id)) == 2


@pytest.mark.parametrize(("fields", "error"), [
    ({"title": ""}, ValidationFailed),
    ({"title": "x", "status": "gone"}, ValidationFailed),
    ({"title": "x", "language": "English!"}, ValidationFailed),
    ({"title": "x", "review_by": "next tuesday"}, ValidationFailed),
    ({"title": "x", "tags": "<script>"}, ValidationFailed),
    ({"title": "x", "colour": "red"}, ValidationFailed),
    ({"title": "x", "body": "a" * 20_001}, TooLarge),
])
def test_invalid_input_is_refused_and_stores_nothing(store, fields, error) -> None:
    with pytest.raises(error):
        store.create(fields, author="x")
    assert store.list().total == 0


def test_missing_title_is_refused(store) -> None:
    with pytest.raises(ValidationFailed, match="title"):
        store.create({"body": "x"}, author="x")


def test_unknown_article_is_not_found(store) -> None:
    with pytest.raises(NotFound):
        store.get("no-such-article")
    with pytest.raises(NotFound):
        store.revision(make(store).id, 9)


def test_list_filters_and_pages(store) -> None:
    for i in range(5):
        make(store, f"Article {i}", tags=["billing"] if i % 2 else ["login"], language="pl" if i == 4 else "en",
             team="sales" if i == 3 else "support", status="published" if i < 3 else "draft")
    assert store.list(ArticleQuery(tag="billing")).total == 2
    assert store.list(ArticleQuery(languages=("pl",))).items[0].title == "Article 4"
    assert store.list(ArticleQuery(team="sales")).total == 1
    assert store.list(ArticleQuery(status="published")).total == 3
    page = store.list(ArticleQuery(page=2, per_page=2))
    assert (page.total, len(page.items)) == (5, 2)


def test_change_log_lists_changed_articles(store) -> None:
    a, b = make(store, "A"), make(store, "B")
    generation, changed = store.changed_since(0)
    assert changed == [a.id, b.id]
    store.update(a.id, {"body": "new"}, base_revision=1, author="x")
    later, changed = store.changed_since(generation)
    assert changed == [a.id] and later > generation


def test_listeners_hear_about_changes_and_batches_are_merged(store) -> None:
    heard: list[list[int]] = []
    store.on_change(heard.append)
    a = make(store, "A")
    with store.batch():
        b = make(store, "B")
        store.update(b.id, {"body": "x"}, base_revision=1, author="x")
    assert heard == [[a.id], [b.id]]


def test_a_failing_listener_does_not_undo_or_fail_a_save(store) -> None:
    def broken(_ids: list[int]) -> None:
        raise RuntimeError("index unavailable")

    store.on_change(broken)
    article = make(store)
    assert store.get(article.id).title == article.title


def test_changes_committed_out_of_order_are_not_skipped(store) -> None:
    from kb.models import Change, utcnow

    a, b = make(store, "A"), make(store, "B")
    seen: set[int] = set()
    generation, changed = store.changed_since(0, seen)
    assert changed == [a.id, b.id]
    with store.db.session() as session:  # a lower id becoming visible late, as on PostgreSQL
        session.add(Change(id=generation + 5, article_id=b.id, at=utcnow()))
    generation, changed = store.changed_since(generation, seen)
    with store.db.session() as session:
        session.add(Change(id=generation - 2, article_id=a.id, at=utcnow()))
    later, changed = store.changed_since(generation, seen)
    assert changed == [a.id] and later == generation


def test_language_filters_are_resolved_against_the_languages_in_use() -> None:
    from kb.validation import resolve_languages

    known = ["da", "en", "en-GB", "pt-BR"]
    assert resolve_languages(["EN"], known) == ("en",)
    assert resolve_languages(["en-us"], known) == ("en", "en-GB")
    assert resolve_languages(["en-GB", "pt"], known) == ("en-GB", "pt-BR")
    assert resolve_languages(["fi", " "], known) == ("fi",)
    with pytest.raises(ValidationFailed, match="language code"):
        resolve_languages(["english please"], known)


def test_a_passed_review_date_moves_on_with_a_review_or_a_content_edit(knowledge_base) -> None:
    from datetime import date, timedelta

    store, workflow = knowledge_base.store, knowledge_base.workflow
    passed, later = date.today() - timedelta(days=1), date.today() + timedelta(days=90)
    next_time = date.today() + timedelta(days=knowledge_base.settings.review_interval_days)
    reviewed = make(store, status="published", review_by=passed.isoformat())
    assert reviewed.needs_review(date.today())
    after = workflow.mark_reviewed(reviewed.id, by="rita")  # no new date given: the schedule goes on
    assert after.review_by == next_time and not after.needs_review(date.today())
    assert workflow.mark_reviewed(reviewed.id, by="rita", review_by=later).review_by == later
    with pytest.raises(ValidationFailed, match="after today"):
        workflow.mark_reviewed(reviewed.id, by="rita", review_by=passed)
    edited = store.create({"title": "Edited", "body": "v1", "status": "published",
                           "review_by": passed.isoformat()}, author="maja")
    assert store.update(edited.id, {"body": "v2"}, base_revision=1, author="maja").review_by == next_time
    echoed = store.create({"title": "Edited in the editor", "body": "v1", "status": "published",
                           "review_by": passed.isoformat()}, author="maja")
    # The editor (and a PUT) sends every field back, the passed date unchanged: the edit still moves it on.
    saved = store.update(echoed.id, {"body": "v2", "review_by": passed.isoformat()}, base_revision=1, author="maja")
    assert saved.review_by == next_time and not saved.needs_review(date.today())
    kept = store.update(echoed.id, {"body": "v3", "review_by": later.isoformat()}, base_revision=2, author="maja")
    assert kept.review_by == later  # a new date given with the edit stays


def test_tags_are_one_spelling_whatever_the_keyboard(store) -> None:
    article = make(store, tags=["café", "cafe\u0301", "İstanbul", "pos,hardware", " Two  Words "])
    assert article.tags == ("café", "istanbul", "pos-hardware", "two-words")
    with pytest.raises(ValidationFailed, match="empty"):
        make(store, title="Only a comma", tags=[","])
