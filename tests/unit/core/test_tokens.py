"""API tokens with an in-memory record store: only the hash is kept, role and user come back on
lookup, and a token never made (or malformed) is refused without a read."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest
from pydantic import ValidationError

from shared.core.auth import TOKEN_PREFIX, Principal, Role, TokenRequest, TokenStore, hash_token, parse_role
from shared.core.errors import BadInput


@dataclass
class FakeTokenRecords:
    items: dict[str, dict[str, Any]] = field(default_factory=dict)
    reads: int = 0

    def put(self, item: dict[str, Any]) -> None:
        self.items[item["token_hash"]] = dict(item)

    def get(self, token_hash: str) -> dict[str, Any] | None:
        self.reads += 1
        return self.items.get(token_hash)


@pytest.fixture
def records() -> FakeTokenRecords:
    return FakeTokenRecords()


@pytest.fixture
def store(records: FakeTokenRecords) -> TokenStore:
    return TokenStore("unused", records)


def test_a_token_is_stored_as_its_hash_only(store: TokenStore, records: FakeTokenRecords) -> None:
    token = store.create(role=Role.AGENT, user="ada", created_by="admin")

    [(key, item)] = records.items.items()
    assert token.startswith(TOKEN_PREFIX) and len(token) > 40
    assert key == hash_token(token) == item["token_hash"] and len(key) == 64
    assert token not in str(item), "the token itself is never stored"
    assert (item["role"], item["user"], item["created_by"]) == ("agent", "ada", "admin")


def test_a_lookup_carries_the_role_and_the_user(store: TokenStore) -> None:
    agent = store.create(role=Role.AGENT, user="ada")
    admin = store.create(role=Role.ADMIN, user="grace")

    assert store.lookup(agent) == Principal(user="ada", role=Role.AGENT)
    assert store.lookup(admin) == Principal(user="grace", role=Role.ADMIN)
    assert agent != admin


def test_an_unknown_token_is_refused(store: TokenStore) -> None:
    store.create(role=Role.ADMIN, user="grace")
    assert store.lookup(TOKEN_PREFIX + "never-made") is None


@pytest.mark.parametrize("token", ["", "Bearer lf_x", "xx_" + "a" * 40, TOKEN_PREFIX + "a" * 300])
def test_a_malformed_token_is_refused_without_a_read(store: TokenStore, records: FakeTokenRecords, token: str) -> None:
    assert store.lookup(token) is None and records.reads == 0


def test_a_role_is_parsed_or_refused_naming_the_roles() -> None:
    assert parse_role("integration") is Role.INTEGRATION
    with pytest.raises(BadInput, match="admin, agent, integration"):
        parse_role("owner")


def test_an_agent_token_needs_a_user_one_identity_is_one_person() -> None:
    with pytest.raises(ValidationError, match="an agent token needs a user"):
        TokenRequest(role=Role.AGENT)
    with pytest.raises(ValidationError):
        TokenRequest(role=Role.AGENT, user="")
    assert TokenRequest(role=Role.AGENT, user="ada").user == "ada"
    # the other roles may still leave it out ('<role>-user')
    assert TokenRequest(role=Role.INTEGRATION).user is None
