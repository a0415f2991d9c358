"""API tokens: created once, shown once, stored as a SHA-256 hash with a role, a user, a public id and an expiry.

A token's lifecycle:
- **created** with an expiry (the stage's `token_expiry_days`, or `expires`: a duration such as `12h`,
  `30d`, or an ISO date/time, at most `MAX_EXPIRY` away). Its record carries a public id (`tok_` and 20
  random hex digits, unrelated to the secret, so the id is no help in guessing it); the secret itself
  is returned once and never stored.
- **used**: the authorizers refuse a token that is unknown, malformed, expired or revoked, all with
  the same answer. The record's `last_used_at` is written at most once per `LAST_USED_EVERY` per token,
  by a conditional update, so a busy token costs one write per interval, not one per request.
- **revoked** by id; refused from then on (within the REST authorizer's cache TTL, since API Gateway
  keeps an Allow for that long), and the WebSocket connections opened with it are returned so the
  caller can close them. The records of connections are kept on the token's item (`connections`,
  `<epoch ms>#<connection id>`): the authorizer adds one on `$connect` with a condition that the token
  is not revoked, so a connection is either recorded before the revocation (and closed by it) or refused.
- **purged**: DynamoDB's TTL (`purge_at`, epoch seconds) deletes the record `KEPT_AFTER_END` after its
  expiry or revocation. TTL deletion is lazy (days, at times), so expiry is checked here, never left to it.

Records written before tokens expired (no `expires_at` or `token_id`) are refused as expired.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum
from typing import Any, Protocol

from shared.core.clock import utc_now
from shared.core.dynamo import ConditionFailed, call, call_with, from_attr, to_attr
from shared.core.errors import BadInput

TOKEN_PREFIX = "lf_"
TOKEN_ID_PREFIX = "tok_"
TOKEN_ID_PATTERN = re.compile(r"^tok_[0-9a-f]{20}$")
#: the GSI that finds a record by its public id (revocation)
ID_INDEX = "by-id"
#: how far ahead an expiry may be set; a token meant to live longer is made again
MAX_EXPIRY = timedelta(days=366)
#: how long a record stays (listed as expired or revoked) before DynamoDB's TTL deletes it
KEPT_AFTER_END = timedelta(days=30)
#: `last_used_at` is written at most once per token per this interval
LAST_USED_EVERY = timedelta(minutes=15)
#: API Gateway closes every WebSocket connection after 2 hours: an older connection record is dead
CONNECTION_LIFETIME = timedelta(hours=2)
#: a connection recorded this shortly before a revocation may not be open yet ($connect still running):
#: its closer tries again for a few seconds when API Gateway says it is gone
JUST_OPENED = timedelta(seconds=30)
#: past this many connection records on a token, $connect also drops the dead ones
PRUNE_CONNECTIONS_OVER = 20


class Role(StrEnum):
    ADMIN = "admin"
    AGENT = "agent"
    INTEGRATION = "integration"


class Refusal(StrEnum):
    """Why a token was refused; for the logs only: every caller gets the same 401."""

    MALFORMED = "malformed"
    UNKNOWN = "unknown"
    EXPIRED = "expired"
    REVOKED = "revoked"


@dataclass(frozen=True)
class Principal:
    user: str
    role: Role
    token_id: str = ""
    expires_at: str = ""


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_token_id() -> str:
    return TOKEN_ID_PREFIX + secrets.token_hex(10)


def iso(moment: datetime) -> str:
    """The one timestamp format of token records (sorts as text)."""
    return moment.astimezone(UTC).isoformat(timespec="milliseconds")


def parse_role(value: str) -> Role:
    try:
        return Role(value)
    except ValueError:
        raise BadInput(f"unknown role {value!r}; use one of {', '.join(r.value for r in Role)}") from None


_DURATION = re.compile(r"^(\d{1,6})([mhdw])$")
_UNITS = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def parse_expiry(value: str, now: datetime | None = None) -> datetime:
    """`30m`, `12h`, `30d`, `2w`, or an ISO date (midnight UTC) or date-time (UTC unless it names a zone).

    It must lie in the future and at most `MAX_EXPIRY` ahead."""
    now = now or utc_now()
    text = value.strip()
    match = _DURATION.match(text.lower())
    if match:
        delta = timedelta(**{_UNITS[match.group(2)]: int(match.group(1))})
        if delta > MAX_EXPIRY:  # before adding: 999999w would overflow the calendar
            raise BadInput(
                f"expires {value!r} is more than {MAX_EXPIRY.days} days away; make a new token later instead"
            )
        moment = now + delta
    else:
        try:
            if len(text) == 10:
                day = date.fromisoformat(text)
                moment = datetime(day.year, day.month, day.day, tzinfo=UTC)
            else:
                moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
                moment = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
        except ValueError:
            raise BadInput(
                f"expires {value!r} is neither a duration (30m, 12h, 30d, 2w) nor an ISO date or date-time"
            ) from None
    if moment <= now:
        raise BadInput(f"expires {value!r} is not in the future")
    if moment - now > MAX_EXPIRY:
        raise BadInput(f"expires {value!r} is more than {MAX_EXPIRY.days} days away; make a new token later instead")
    return moment


def status(record: dict[str, Any], now: datetime | None = None) -> str:
    """`active`, `expired` or `revoked`."""
    if record.get("revoked_at"):
        return "revoked"
    expires = record.get("expires_at")
    if not expires or str(expires) <= iso(now or utc_now()):
        return "expired"
    return "active"


def public_view(record: dict[str, Any], now: datetime | None = None) -> dict[str, Any]:
    """What `GET /tokens` shows of a record: never the secret, nor its hash, nor connection ids."""
    return {
        "token_id": record.get("token_id"),
        "user": record.get("user"),
        "role": record.get("role"),
        "status": status(record, now),
        "created_at": record.get("created_at"),
        "created_by": record.get("created_by"),
        "last_used_at": record.get("last_used_at"),
        "expires_at": record.get("expires_at"),
        "revoked_at": record.get("revoked_at"),
        "revoked_by": record.get("revoked_by"),
    }


def _connection_entry(connection_id: str, at: datetime) -> str:
    return f"{int(at.timestamp() * 1000)}#{connection_id}"


def live_connections(entries: Iterable[str], now: datetime, younger_than: timedelta = CONNECTION_LIFETIME) -> list[str]:
    """The connection ids among `<epoch ms>#<id>` entries that may still be open (younger than 2 hours),
    or that were recorded within `younger_than`."""
    cutoff = int((now - younger_than).timestamp() * 1000)
    out = []
    for entry in entries:
        stamp, _, connection_id = str(entry).partition("#")
        if connection_id and stamp.isdigit() and int(stamp) >= cutoff:
            out.append(connection_id)
    return sorted(out)


# ---------------------------------------------------------------------- records


class TokenRecords(Protocol):
    """Token records by hash (`DynamoTokenRecords`; an in-memory one in tests)."""

    def put(self, item: dict[str, Any]) -> None: ...

    def get(self, token_hash: str) -> dict[str, Any] | None: ...

    def by_id(self, token_id: str) -> dict[str, Any] | None: ...

    def all(self) -> list[dict[str, Any]]: ...

    def touch(self, token_hash: str, at: str, unless_after: str) -> bool:
        """Set `last_used_at` to `at` unless it is already later than `unless_after`; False if not written."""
        ...

    def revoke(self, token_hash: str, at: str, by: str, purge_at: int) -> dict[str, Any] | None:
        """Mark it revoked and return the record as now; None if it was revoked already (or is gone)."""
        ...

    def add_connection(self, token_hash: str, entry: str, at: str) -> bool:
        """Record a connection on a token not revoked (and refresh `last_used_at`); False if revoked or gone."""
        ...

    def drop_connections(self, token_hash: str, entries: list[str]) -> None: ...


def _not_revoked() -> str:
    return "attribute_exists(token_hash) AND attribute_not_exists(revoked_at)"


@dataclass
class DynamoTokenRecords:
    table: str
    #: a DynamoDB client of one's own (the CLI's, for a stage's region); else the shared one
    client: Any = None

    def _call(self, operation: str, **params: Any) -> dict[str, Any]:
        if self.client is None:
            return call(operation, **params)
        return call_with(self.client, operation, **params)

    def _key(self, token_hash: str) -> dict[str, Any]:
        return to_attr({"token_hash": token_hash})

    def put(self, item: dict[str, Any]) -> None:
        self._call(
            "put_item",
            TableName=self.table,
            Item=to_attr({k: v for k, v in item.items() if v is not None}),
            ConditionExpression="attribute_not_exists(token_hash)",
        )

    def get(self, token_hash: str) -> dict[str, Any] | None:
        # strongly consistent: a revocation a moment ago must count
        response = self._call("get_item", TableName=self.table, Key=self._key(token_hash), ConsistentRead=True)
        item = response.get("Item")
        return from_attr(item) if item else None

    def by_id(self, token_id: str) -> dict[str, Any] | None:
        response = self._call(
            "query",
            TableName=self.table,
            IndexName=ID_INDEX,
            KeyConditionExpression="token_id = :id",
            ExpressionAttributeValues=to_attr({":id": token_id}),
        )
        items = response.get("Items") or []
        return from_attr(items[0]) if items else None

    def all(self) -> list[dict[str, Any]]:
        # a stage has tens of tokens (records go 30 days after they end): a paged Scan is the list
        items: list[dict[str, Any]] = []
        params: dict[str, Any] = {"TableName": self.table}
        while True:
            response = self._call("scan", **params)
            items.extend(from_attr(i) for i in response.get("Items") or [])
            if not response.get("LastEvaluatedKey"):
                return items
            params["ExclusiveStartKey"] = response["LastEvaluatedKey"]

    def touch(self, token_hash: str, at: str, unless_after: str) -> bool:
        try:
            self._call(
                "update_item",
                TableName=self.table,
                Key=self._key(token_hash),
                UpdateExpression="SET last_used_at = :at",
                ConditionExpression="attribute_exists(token_hash) AND "
                "(attribute_not_exists(last_used_at) OR last_used_at < :cutoff)",
                ExpressionAttributeValues=to_attr({":at": at, ":cutoff": unless_after}),
            )
        except ConditionFailed:
            return False
        return True

    def revoke(self, token_hash: str, at: str, by: str, purge_at: int) -> dict[str, Any] | None:
        try:
            response = self._call(
                "update_item",
                TableName=self.table,
                Key=self._key(token_hash),
                UpdateExpression="SET revoked_at = :at, revoked_by = :by, purge_at = :purge",
                ConditionExpression=_not_revoked(),
                ExpressionAttributeValues=to_attr({":at": at, ":by": by, ":purge": purge_at}),
                ReturnValues="ALL_NEW",
            )
        except ConditionFailed:
            return None
        return from_attr(response["Attributes"])

    def add_connection(self, token_hash: str, entry: str, at: str) -> bool:
        try:
            self._call(
                "update_item",
                TableName=self.table,
                Key=self._key(token_hash),
                UpdateExpression="ADD connections :c SET last_used_at = :at",
                ConditionExpression=_not_revoked(),
                ExpressionAttributeValues=to_attr({":c": {entry}, ":at": at}),
            )
        except ConditionFailed:
            return False
        return True

    def drop_connections(self, token_hash: str, entries: list[str]) -> None:
        if entries:
            self._call(
                "update_item",
                TableName=self.table,
                Key=self._key(token_hash),
                UpdateExpression="DELETE connections :c",
                ConditionExpression="attribute_exists(token_hash)",
                ExpressionAttributeValues=to_attr({":c": set(entries)}),
            )


# ---------------------------------------------------------------------- the store


@dataclass(frozen=True)
class Created:
    token: str  # the secret, shown once
    record: dict[str, Any]


@dataclass(frozen=True)
class Revoked:
    record: dict[str, Any]
    #: False when it had been revoked before (nothing changed)
    changed: bool
    #: the WebSocket connections opened with it that may still be open
    connection_ids: list[str]
    #: those of them recorded within `JUST_OPENED`: maybe not open yet
    just_opened: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Checked:
    principal: Principal | None
    refusal: Refusal | None
    record: dict[str, Any] | None = None


class TokenStore:
    def __init__(
        self,
        table: str,
        records: TokenRecords | None = None,
        *,
        now: Callable[[], datetime] = utc_now,
    ) -> None:
        self.table = table
        self.records = records if records is not None else DynamoTokenRecords(table)
        self.now = now

    def create(
        self,
        *,
        role: Role,
        user: str,
        created_by: str | None = None,
        expires_at: datetime | None = None,
        default_days: int = 30,
    ) -> str:
        """Make a new random token and store only its hash. The caller shows it once."""
        return self.issue(
            role=role, user=user, created_by=created_by, expires_at=expires_at, default_days=default_days
        ).token

    def issue(
        self,
        *,
        role: Role,
        user: str,
        created_by: str | None = None,
        expires_at: datetime | None = None,
        default_days: int = 30,
    ) -> Created:
        now = self.now()
        expires = expires_at or now + timedelta(days=default_days)
        token = TOKEN_PREFIX + secrets.token_urlsafe(32)
        item = {
            "token_hash": hash_token(token),
            "token_id": new_token_id(),
            "role": role.value,
            "user": user,
            "created_at": iso(now),
            "created_by": created_by,
            "expires_at": iso(expires),
            "purge_at": int((expires + KEPT_AFTER_END).timestamp()),
        }
        self.records.put(item)
        return Created(token=token, record=item)

    def check(self, token: str) -> Checked:
        """The token's principal, or why it is refused (for the logs; callers all get the same answer)."""
        if not token.startswith(TOKEN_PREFIX) or len(token) > 200:
            return Checked(None, Refusal.MALFORMED)
        data = self.records.get(hash_token(token))
        if not data:
            return Checked(None, Refusal.UNKNOWN)
        state = status(data, self.now())
        if state == "revoked":
            return Checked(None, Refusal.REVOKED, data)
        if state == "expired" or not data.get("token_id"):
            return Checked(None, Refusal.EXPIRED, data)
        principal = Principal(
            user=data["user"], role=Role(data["role"]), token_id=data["token_id"], expires_at=data["expires_at"]
        )
        return Checked(principal, None, data)

    def lookup(self, token: str) -> Principal | None:
        return self.check(token).principal

    def note_use(self, checked: Checked) -> bool:
        """Write `last_used_at`, at most once per `LAST_USED_EVERY` per token; True if written.

        The record just read says when it was last written, so most calls write nothing; the condition
        keeps two authorizers that read the same old value from both writing."""
        if checked.record is None or checked.principal is None:
            return False
        now = self.now()
        cutoff = iso(now - LAST_USED_EVERY)
        last = checked.record.get("last_used_at")
        if last and str(last) >= cutoff:
            return False
        return self.records.touch(checked.record["token_hash"], iso(now), cutoff)

    def open_connection(self, checked: Checked, connection_id: str) -> bool:
        """Record a WebSocket connection on the token (False: it was revoked meanwhile; refuse the connection).

        Past `PRUNE_CONNECTIONS_OVER` records, the ones older than API Gateway's 2-hour lifetime go."""
        if checked.record is None or checked.principal is None:
            return False
        now = self.now()
        token_hash = checked.record["token_hash"]
        if not self.records.add_connection(token_hash, _connection_entry(connection_id, now), iso(now)):
            return False
        entries = [str(e) for e in checked.record.get("connections") or ()]
        if len(entries) >= PRUNE_CONNECTIONS_OVER:
            live = set(live_connections(entries, now))
            self.records.drop_connections(token_hash, [e for e in entries if e.partition("#")[2] not in live])
        return True

    def listing(self) -> list[dict[str, Any]]:
        """Every record's public view, newest first."""
        now = self.now()
        views = [public_view(r, now) for r in self.records.all()]
        return sorted(views, key=lambda v: str(v.get("created_at") or ""), reverse=True)

    def find(self, token_id: str) -> dict[str, Any] | None:
        """A record by its public id; a malformed id is simply not found."""
        if not TOKEN_ID_PATTERN.match(token_id):
            return None
        return self.records.by_id(token_id)

    def revoke(self, token_id: str, *, by: str) -> Revoked | None:
        """Revoke by public id; None when there is no such token. Revoking twice changes nothing."""
        record = self.find(token_id)
        if record is None:
            return None
        now = self.now()
        purge = now + KEPT_AFTER_END
        purge_at = min(int(purge.timestamp()), int(record.get("purge_at") or purge.timestamp()))
        updated = self.records.revoke(record["token_hash"], iso(now), by, purge_at)
        if updated is None:
            current = self.records.get(record["token_hash"]) or record
            entries = [str(e) for e in current.get("connections") or ()]
            return Revoked(
                record=current,
                changed=False,
                connection_ids=live_connections(entries, now),
                just_opened=live_connections(entries, now, JUST_OPENED),
            )
        entries = [str(e) for e in updated.get("connections") or ()]
        return Revoked(
            record=updated,
            changed=True,
            connection_ids=live_connections(entries, now),
            just_opened=live_connections(entries, now, JUST_OPENED),
        )
