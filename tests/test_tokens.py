"""API tokens in the core: hashing, verification, revocation, scope order and validation."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from kb.errors import NotFound, ValidationFailed
from kb.models import ApiToken, utcnow
from kb.tokens import SCOPES, TokenStore, scope_allows


@pytest.fixture
def tokens(knowledge_base) -> TokenStore:
    return knowledge_base.tokens


def stored_row(knowledge_base, token_id: int) -> ApiToken:
    with knowledge_base.db.session() as session:
        return session.get(ApiToken, token_id)


def test_only_a_sha256_of_the_secret_is_stored(tokens, knowledge_base) -> None:
    view, secret = tokens.create("zendesk-plugin", "suggest", team="support")
    assert secret.startswith("kb_") and len(secret) >= 40
    row = stored_row(knowledge_base, view.id)
    assert row.token_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert row.prefix == view.prefix == secret[:8]
    assert all(secret not in str(value) for value in vars(row).values())
    assert (view.name, view.scope, view.team, view.revoked_at) == ("zendesk-plugin", "suggest", "support", None)


def test_secrets_are_unique(tokens) -> None:
    secrets = {tokens.create(f"t{i}", "read")[1] for i in range(20)}
    assert len(secrets) == 20


def test_verify_accepts_the_secret_and_nothing_else(tokens) -> None:
    view, secret = tokens.create("freshdesk", "read")
    assert tokens.verify(secret).id == view.id
    for wrong in ["", "kb_", secret[:-1], secret + "x", secret.upper(), "Bearer " + secret, "x" * 5000,
                  "kb_" + "é" * 40, secret[3:]]:
        assert tokens.verify(wrong) is None, wrong


def test_revoked_tokens_never_verify(tokens) -> None:
    view, secret = tokens.create("old-plugin", "write")
    revoked = tokens.revoke(view.id)
    assert revoked.revoked_at is not None and not revoked.active
    assert tokens.verify(secret) is None
    assert tokens.revoke(view.id).revoked_at == revoked.revoked_at  # revoking twice keeps the first time


def test_revoking_an_unknown_token_is_not_found(tokens) -> None:
    with pytest.raises(NotFound):
        tokens.revoke(999)


def test_last_used_is_written_at_most_once_a_minute(tokens, knowledge_base) -> None:
    view, secret = tokens.create("plugin", "read")
    assert view.last_used_at is None
    tokens.verify(secret)
    first = stored_row(knowledge_base, view.id).last_used_at
    assert first is not None
    with knowledge_base.db.session() as session:  # pretend the first use was 30 s earlier
        session.execute(update(ApiToken).values(last_used_at=first - timedelta(seconds=30)))
    tokens.verify(secret)
    assert stored_row(knowledge_base, view.id).last_used_at == first - timedelta(seconds=30)
    with knowledge_base.db.session() as session:
        session.execute(update(ApiToken).values(last_used_at=first - timedelta(minutes=5)))
    tokens.verify(secret)
    assert stored_row(knowledge_base, view.id).last_used_at >= utcnow() - timedelta(seconds=5)


@pytest.mark.parametrize("have", SCOPES)
@pytest.mark.parametrize("need", SCOPES)
def test_a_scope_allows_itself_and_every_weaker_scope(have: str, need: str) -> None:
    assert scope_allows(have, need) is (SCOPES.index(have) >= SCOPES.index(need))


def test_scope_order_and_unknown_scopes() -> None:
    assert SCOPES == ("suggest", "read", "write", "admin")
    assert not scope_allows("root", "suggest") and not scope_allows("admin", "root")


@pytest.mark.parametrize(("name", "scope", "team", "field"), [
    ("plugin", "superuser", "", "scope"),
    ("plugin", "", "", "scope"),
    ("plugin", None, "", "scope"),
    ("", "read", "", "name"),
    ("   ", "read", "", "name"),
    (None, "read", "", "name"),
    ("x" * 101, "read", "", "name"),
    ("plugin", "read", 42, "team"),
    ("plugin", "read", "t" * 101, "team"),
])
def test_invalid_input_is_rejected(tokens, name, scope, team, field: str) -> None:
    with pytest.raises(ValidationFailed) as caught:
        tokens.create(name, scope, team)
    assert caught.value.details["field"] == field
    assert tokens.list() == []


def test_list_includes_revoked_tokens_and_never_the_hash(tokens, knowledge_base) -> None:
    first, secret = tokens.create("a", "read")
    second, _ = tokens.create("b", "admin", team="ops")
    tokens.revoke(first.id)
    listed = tokens.list()
    assert [t.id for t in listed] == [first.id, second.id]
    assert [t.active for t in listed] == [False, True]
    data = listed[1].to_dict()
    assert set(data) == {"id", "name", "scope", "team", "prefix", "created_at", "last_used_at", "revoked_at",
                         "active"}
    with knowledge_base.db.session() as session:
        digest = session.scalar(select(ApiToken.token_hash).where(ApiToken.id == first.id))
    assert digest not in str([t.to_dict() for t in listed]) and secret not in str(listed)


def test_a_token_name_leaves_room_for_its_author_name_in_revisions(tokens, knowledge_base) -> None:
    with pytest.raises(ValidationFailed, match="longer than 94"):
        tokens.create("z" * 95, "write")
    token, _ = tokens.create("z" * 94, "write")
    from kb.permissions import Principal

    created = knowledge_base.editing.create(Principal(token.name, "reviewer", "", "token"), {"title": "Long name"})
    assert knowledge_base.store.revisions(created.id)[0].author == "token:" + "z" * 94  # 100: what columns hold
