"""Articles whose owner can no longer edit them: listed for reviewers, counted on the users page, in the API."""

from __future__ import annotations

import pytest
from conftest import sign_in

from kb.workflow import lost_access


@pytest.fixture
def owned(knowledge_base):
    """Six authors' articles on team support; some owners then lose access to theirs."""
    users, store = knowledge_base.users, knowledge_base.store
    for name, role, team in [("ana", "author", "support"), ("ben", "author", "support"), ("cai", "author", "support"),
                             ("dee", "author", "support"), ("eli", "author", "support"),
                             ("fay", "reviewer", "support")]:
        users.create(name, role=role, password=None, team=team, by="test")
    for owner in ("ana", "ben", "cai", "dee", "eli", "fay"):
        store.create({"title": f"{owner.title()}'s article", "body": "Text.", "team": "support", "owner": owner,
                      "status": "published"}, author=owner)
    store.create({"title": "Imported", "body": "Text.", "team": "support", "owner": "not.yet.signed.in"},
                 author="import")
    archived = store.create({"title": "Old", "body": "Text.", "team": "support", "owner": "ana"}, author="ana")
    store.update(archived.id, {"status": "archived"}, base_revision=archived.revision, author="ana")
    users.update("ana", by="admin", disabled=True)
    users.update("ben", by="admin", role="reader")
    users.update("cai", by="admin", team="billing")
    users.update("fay", by="admin", team="billing")  # a reviewer edits every team's articles
    return knowledge_base


def test_owners_who_lost_access_are_listed_with_why(owned) -> None:
    orphans = owned.workflow.orphaned()
    assert [(o.article.owner, o.why) for o in orphans] == [
        ("ana", "account disabled"), ("ben", "now a reader"), ("cai", "now on team billing")]
    assert orphans[0].to_dict()["owner_problem"] == "account disabled" and "body" not in orphans[0].to_dict()


def test_an_owner_who_gets_access_back_leaves_the_list(owned) -> None:
    owned.users.update("cai", by="admin", team="support")
    owned.users.update("ana", by="admin", disabled=False)
    assert [o.article.owner for o in owned.workflow.orphaned()] == ["ben"]


@pytest.mark.parametrize(("role", "team", "disabled", "article_team", "why"), [
    ("author", "support", False, "support", ""),
    ("author", "support", False, "", ""),  # a team-less article is anyone's to edit
    ("author", "", False, "support", "now on team (none)"),
    ("reviewer", "billing", False, "support", ""),
    ("admin", "", True, "support", "account disabled"),
    ("reader", "support", False, "support", "now a reader"),
])
def test_lost_access_follows_the_edit_rules(role: str, team: str, disabled: bool, article_team: str,
                                            why: str) -> None:
    assert lost_access(role, team, disabled, article_team) == why


def test_the_review_queue_and_the_users_page_show_them(owned, app) -> None:
    client = app.test_client()
    queue = client.get("/review").text
    assert "Owner can no longer edit (3)" in queue
    assert "Ben&#39;s article" in queue and "now a reader" in queue and "now on team billing" in queue
    assert "Dee&#39;s article" not in queue.split('id="orphans-title"')[1].split("</section>")[0]
    users = client.get("/admin/users").text
    assert users.count("it can no longer edit") == 3 and "owns 1 article it can no longer edit" in users
    assert "Owner can no longer edit" not in client.get("/my").text  # an owner's own page has no such list


def test_the_api_lists_them_for_reviewers_only(owned, app) -> None:
    body = app.test_client().get("/api/v1/review/orphaned").get_json()
    assert body["total"] == 3 and [a["owner_problem"] for a in body["articles"]] == [
        "account disabled", "now a reader", "now on team billing"]
    author = app.test_client()
    author.environ_base.pop("HTTP_AUTHORIZATION")
    sign_in(author, "dee", "author", "support")
    refused = author.get("/api/v1/review/orphaned")
    assert refused.status_code == 403 and refused.get_json()["error"]["code"] == "forbidden"
