"""API tokens with an in-memory record store (the same conditions as the DynamoDB one): only the hash
is kept, a public id unrelated to the secret, expiry, revocation by id, last used at most once per
interval, and the WebSocket connections a revocation must close."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from pydantic import ValidationError

from shared.core.auth import (
    CONNECTION_LIFETIME,
    KEPT_AFTER_END,
    LAST_USED_EVERY,
    PRUNE_CONNECTIONS_OVER,
    TOKEN_PREFIX,
    Principal,
    Refusal,
    Role,
    TokenStore,
    hash_token,
    parse_expiry,
    parse_role,
    public_view,
)
from shared.core.errors import BadInput
from shared.core.models import TokenRequest

START = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


@dataclass
class FakeTokenRecords:
    """The DynamoDB records' behaviour, conditions included, in memory."""

    items: dict[str, dict[str, Any]] = field(default_factory=dict)
    reads: int = 0
    writes: int = 0

    def put(self, item: dict[str, Any]) -> None:
        assert item["token_hash"] not in self.items
        self.writes += 1
        self.items[item["token_hash"]] = {k: v for k, v in item.items() if v is not None}

    def get(self, token_hash: str) -> dict[str, Any] | None:
        self.reads += 1
        item = self.items.get(token_hash)
        return dict(item) if item else None

    def by_id(self, token_id: str) -> dict[str, Any] | None:
        return next((dict(i) for i in self.items.values() if i.get("token_id") == token_id), None)

    def all(self) -> list[dict[str, Any]]:
        return [dict(i) for i in self.items.values()]

    def touch(self, token_hash: str, at: str, unless_after: str) -> bool:
        item = self.items.get(token_hash)
        if item is None or (item.get("last_used_at") and item["last_used_at"] >= unless_after):
            return False
        self.writes += 1
        item["last_used_at"] = at
        return True

    def revoke(self, token_hash: str, at: str, by: str, purge_at: int) -> dict[str, Any] | None:
        item = self.items.get(token_hash)
        if item is None or item.get("revoked_at"):
            return None
        self.writes += 1
        item.update(revoked_at=at, revoked_by=by, purge_at=purge_at)
        return dict(item)

    def add_connection(self, token_hash: str, entry: str, at: str) -> bool:
        item = self.items.get(token_hash)
        if item is None or item.get("revoked_at"):
            return False
        self.writes += 1
        item.setdefault("connections", set()).add(entry)
        item["last_used_at"] = at
        return True

    def drop_connections(self, token_hash: str, entries: list[str]) -> None:
        self.writes += 1
        self.items[token_hash]["connections"] -= set(entries)


class Clock:
    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def records() -> FakeTokenRecords:
    return FakeTokenRecords()


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def store(records: FakeTokenRecords, clock: Clock) -> TokenStore:
    return TokenStore("unused", records, now=clock)


def test_a_token_is_stored_as_its_hash_with_a_public_id_unrelated_to_it(
    store: TokenStore, records: FakeTokenRecords
) -> None:
    created = store.issue(role=Role.AGENT, user="ada", created_by="admin")
    token, item = created.token, records.items[hash_token(created.token)]

    assert token.startswith(TOKEN_PREFIX) and len(token) > 40
    assert item["token_hash"] == hash_token(token) and len(item["token_hash"]) == 64
    assert token not in str(item), "the token itself is never stored"
    assert (item["role"], item["user"], item["created_by"]) == ("agent", "ada", "admin")
    assert re.fullmatch(r"tok_[0-9a-f]{20}", item["token_id"])
    secret = token[len(TOKEN_PREFIX) :]
    assert item["token_id"][4:] not in secret and item["token_id"][4:] not in item["token_hash"]
    assert token not in str(public_view(item)) and item["token_hash"] not in str(public_view(item))


def test_expiry_defaults_to_the_stage_days_and_the_record_is_purged_30_days_later(
    store: TokenStore, records: FakeTokenRecords
) -> None:
    created = store.issue(role=Role.ADMIN, user="grace", default_days=7)
    item = records.items[hash_token(created.token)]
    assert item["expires_at"] == (START + timedelta(days=7)).isoformat(timespec="milliseconds")
    assert item["purge_at"] == int((START + timedelta(days=7) + KEPT_AFTER_END).timestamp())

    chosen = store.issue(role=Role.ADMIN, user="grace", expires_at=START + timedelta(hours=12))
    assert records.items[hash_token(chosen.token)]["expires_at"].startswith("2026-12-02T00:00:00")


def test_a_lookup_carries_role_user_id_and_expiry(store: TokenStore, records: FakeTokenRecords) -> None:
    agent = store.issue(role=Role.AGENT, user="ada")
    admin = store.create(role=Role.ADMIN, user="grace")

    found = store.lookup(agent.token)
    assert found == Principal(
        user="ada", role=Role.AGENT, token_id=agent.record["token_id"], expires_at=agent.record["expires_at"]
    )
    assert store.lookup(admin) is not None and store.lookup(admin).role is Role.ADMIN  # type: ignore[union-attr]


def test_an_expired_token_is_refused_though_its_record_is_still_there(
    store: TokenStore, clock: Clock, records: FakeTokenRecords
) -> None:
    token = store.create(role=Role.ADMIN, user="grace", expires_at=START + timedelta(hours=1))
    clock.now = START + timedelta(minutes=59)
    assert store.lookup(token) is not None
    clock.now = START + timedelta(hours=1)
    checked = store.check(token)
    assert checked.principal is None and checked.refusal is Refusal.EXPIRED
    assert hash_token(token) in records.items, "TTL deletion is lazy: the record may well still be there"


def test_a_record_from_before_expiry_existed_is_refused(store: TokenStore, records: FakeTokenRecords) -> None:
    token = TOKEN_PREFIX + "legacy-token-made-before-expiry"
    records.items[hash_token(token)] = {"token_hash": hash_token(token), "role": "admin", "user": "old"}
    assert store.check(token).refusal is Refusal.EXPIRED


def test_an_unknown_token_is_refused(store: TokenStore) -> None:
    store.create(role=Role.ADMIN, user="grace")
    assert store.check(TOKEN_PREFIX + "never-made").refusal is Refusal.UNKNOWN


@pytest.mark.parametrize("token", ["", "Bearer lf_x", "xx_" + "a" * 40, TOKEN_PREFIX + "a" * 300])
def test_a_malformed_token_is_refused_without_a_read(store: TokenStore, records: FakeTokenRecords, token: str) -> None:
    checked = store.check(token)
    assert checked.principal is None and checked.refusal is Refusal.MALFORMED and records.reads == 0


def test_revoking_by_id_refuses_the_token_and_returns_its_live_connections(
    store: TokenStore, clock: Clock, records: FakeTokenRecords
) -> None:
    created = store.issue(role=Role.AGENT, user="ada", default_days=30)
    other = store.create(role=Role.AGENT, user="bob")
    assert store.open_connection(store.check(created.token), "old-conn=")
    clock.now = START + CONNECTION_LIFETIME + timedelta(minutes=1)
    assert store.open_connection(store.check(created.token), "live-conn=")

    clock.now += timedelta(seconds=10)
    revoked = store.revoke(created.record["token_id"], by="grace")

    assert revoked is not None and revoked.changed
    assert revoked.connection_ids == ["live-conn="], "a connection past API Gateway's 2 h lifetime is dead"
    assert revoked.just_opened == ["live-conn="], "recorded 10 s before: maybe still in its $connect"
    assert store.check(created.token).refusal is Refusal.REVOKED
    assert store.lookup(other) is not None, "only that token"
    view = public_view(revoked.record)
    assert (view["status"], view["revoked_by"]) == ("revoked", "grace")
    assert revoked.record["purge_at"] == int((clock.now + KEPT_AFTER_END).timestamp())

    again = store.revoke(created.record["token_id"], by="someone-else")
    assert again is not None and not again.changed and again.record["revoked_by"] == "grace"


@pytest.mark.parametrize("token_id", ["tok_0123456789abcdef0123", "nonsense", "", "tok_' OR 1=1"])
def test_an_unknown_or_malformed_id_is_not_found_alike(store: TokenStore, token_id: str) -> None:
    store.create(role=Role.ADMIN, user="grace")
    assert store.revoke(token_id, by="grace") is None


def test_a_connection_is_refused_once_the_token_is_revoked_between_check_and_record(
    store: TokenStore,
) -> None:
    created = store.issue(role=Role.AGENT, user="ada")
    checked = store.check(created.token)  # the authorizer has read the record...
    store.revoke(created.record["token_id"], by="grace")  # ...when the revocation lands
    assert not store.open_connection(checked, "racing-conn=")


def test_dead_connection_records_are_pruned_past_a_threshold(
    store: TokenStore, clock: Clock, records: FakeTokenRecords
) -> None:
    created = store.issue(role=Role.AGENT, user="ada")
    for i in range(PRUNE_CONNECTIONS_OVER):
        assert store.open_connection(store.check(created.token), f"dead-{i}=")
    clock.now = START + CONNECTION_LIFETIME + timedelta(seconds=1)
    assert store.open_connection(store.check(created.token), "fresh=")
    entries = records.items[hash_token(created.token)]["connections"]
    assert [e.partition("#")[2] for e in entries] == ["fresh="]


def test_last_used_is_written_at_most_once_per_interval(
    store: TokenStore, clock: Clock, records: FakeTokenRecords
) -> None:
    token = store.create(role=Role.ADMIN, user="grace")
    writes = records.writes
    uses = 0
    for minute in range(0, 60):  # a request a minute for an hour
        clock.now = START + timedelta(minutes=minute)
        uses += store.note_use(store.check(token))
    per_hour = int(timedelta(hours=1) / LAST_USED_EVERY)
    assert uses == records.writes - writes == per_hour == 4
    # written at 12:00, then once more than 15 minutes had passed: 12:16, 12:32, 12:48
    assert records.items[hash_token(token)]["last_used_at"].startswith("2026-12-01T12:48")


def test_a_listing_shows_no_secret_nor_hash_newest_first(store: TokenStore, clock: Clock) -> None:
    first = store.issue(role=Role.ADMIN, user="grace")
    clock.now = START + timedelta(minutes=1)
    second = store.issue(role=Role.AGENT, user="ada", expires_at=START + timedelta(minutes=2))
    clock.now = START + timedelta(minutes=3)
    listed = store.listing()
    assert [t["token_id"] for t in listed] == [second.record["token_id"], first.record["token_id"]]
    assert [t["status"] for t in listed] == ["expired", "active"]
    text = str(listed)
    for created in (first, second):
        assert created.token not in text and created.record["token_hash"] not in text
    assert set(listed[0]) == {
        "token_id",
        "user",
        "role",
        "status",
        "created_at",
        "created_by",
        "last_used_at",
        "expires_at",
        "revoked_at",
        "revoked_by",
    }


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("30m", START + timedelta(minutes=30)),
        ("12h", START + timedelta(hours=12)),
        ("30d", START + timedelta(days=30)),
        ("2w", START + timedelta(weeks=2)),
        ("2027-01-31", datetime(2027, 1, 31, tzinfo=UTC)),
        ("2027-01-31T08:30:00Z", datetime(2027, 1, 31, 8, 30, tzinfo=UTC)),
        ("2027-01-31T08:30:00+02:00", datetime(2027, 1, 31, 6, 30, tzinfo=UTC)),
    ],
)
def test_expires_takes_a_duration_or_an_iso_date(text: str, expected: datetime) -> None:
    assert parse_expiry(text, START) == expected


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("soon", "neither a duration"),
        ("12x", "neither a duration"),
        ("2026-11-30", "not in the future"),
        ("0h", "not in the future"),
        ("367d", "more than 366 days"),
        ("999999w", "more than 366 days"),
        ("9999-12-31T23:59:59", "more than 366 days"),
        ("2030-01-01", "more than 366 days"),
    ],
)
def test_a_bad_expiry_is_refused_saying_why(text: str, reason: str) -> None:
    with pytest.raises(BadInput, match=reason):
        parse_expiry(text, START)


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
    with pytest.raises(ValidationError, match="neither a duration"):
        TokenRequest(role=Role.ADMIN, expires="tomorrow")
