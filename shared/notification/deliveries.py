"""Delivery records: one per (lead, notice, channel), written around every outbound call.

The protocol that keeps a redelivered event from posting twice:

1. `claim` before the call: a conditional update that succeeds only when nobody holds the record
   (absent, or a definite failure to retry). It writes `state=sending`, a fresh `attempt_id` and a
   lease.
2. The call.
3. `finish` after the call, conditional on the same `attempt_id`: `sent`, `failed` (definitely not
   delivered: may be claimed again) or `uncertain` (a timeout: it may have arrived).

Many records are claimed and finished with one conditional UpdateItem each, several in flight at
once, not in a transaction: a record's guarantee is its own condition (nobody holds it / same
attempt), which an UpdateItem enforces alone for one write unit, where a transaction bills two.
Nothing tied a batch's records together: a cancelled transaction was redone record by record.

A crash between 1 and 3 leaves `sending` with a lease. Within the lease another invocation is told
`in_flight` (try later). After it, the caller decides: people-facing channels treat it as
`uncertain` and never post again on that channel (at most once); the downstream sync takes the
record over and re-sends with the same idempotency key (the receiver deduplicates).
"""

from __future__ import annotations

import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from shared.core.dynamo import ConditionFailed, call, from_attr, to_attr
from shared.core.models import DeliveryRecord, DeliveryState, DeliveryView

BATCH_GET_MAX = 100
#: BatchGetItem calls of one read go out together
_readers = ThreadPoolExecutor(4)
#: conditional UpdateItems of one batch (claims, outcomes) in flight at once; a pool of its own, as
#: callers may already run on `_readers`
PARALLEL_WRITES = 8
_writers = ThreadPoolExecutor(PARALLEL_WRITES)


#: a record's state (the model's own name is `DeliveryState`)
State = DeliveryState


class Claim(StrEnum):
    CLAIMED = "claimed"  # yours: make the call, then `finish`
    DONE = "done"  # already sent (or digested): nothing to do
    IN_FLIGHT = "in_flight"  # another invocation holds a live lease: try again later
    ABANDONED = "abandoned"  # a lease expired with no outcome: the call may or may not have happened
    UNCERTAIN = "uncertain"  # an earlier call's outcome is unknown


@dataclass(frozen=True)
class ClaimResult:
    outcome: Claim
    attempt_id: str
    record: DeliveryRecord

    @property
    def attempts(self) -> int:
        return self.record.attempts


@dataclass(frozen=True)
class Outcome:
    """How one call ended: the state to record, with the receiver's HTTP status and a detail."""

    state: State
    status: int | None = None
    detail: str | None = None


def delivery_key(notice: str, channel: str) -> str:
    return f"{notice}#{channel}"


class DeliveryStore:
    def __init__(self, table: str, *, lease_s: int = 40) -> None:
        self.table = table
        self.lease_s = lease_s

    def _key(self, pk: str, sk: str) -> dict[str, Any]:
        return {"lead_id": {"S": pk}, "delivery": {"S": sk}}

    def get_many(self, keys: list[tuple[str, str]]) -> dict[tuple[str, str], DeliveryRecord]:
        """Records by (pk, sk), strongly consistent, 100 keys a call, the calls at the same time."""
        unique = list(dict.fromkeys(keys))
        chunks = [unique[start : start + BATCH_GET_MAX] for start in range(0, len(unique), BATCH_GET_MAX)]
        found: dict[tuple[str, str], DeliveryRecord] = {}
        results = _readers.map(self._get_chunk, chunks) if len(chunks) > 1 else map(self._get_chunk, chunks)
        for records in results:
            for record in records:
                found[(record.lead_id, record.delivery)] = record
        return found

    def _get_chunk(self, keys: list[tuple[str, str]]) -> list[DeliveryRecord]:
        request: dict[str, Any] = {self.table: {"Keys": [self._key(pk, sk) for pk, sk in keys], "ConsistentRead": True}}
        records: list[DeliveryRecord] = []
        for _ in range(8):
            response = call("batch_get_item", RequestItems=request)
            records.extend(_record(item) for item in response.get("Responses", {}).get(self.table, []))
            request = response.get("UnprocessedKeys") or {}
            if not request:
                break
            time.sleep(0.05)
        return records

    def _claim_update(self, pk: str, sk: str, attempt_id: str, now: float, takeover: bool) -> dict[str, Any]:
        condition = "attribute_not_exists(lead_id) OR #s = :failed"
        if takeover:
            condition += " OR (#s = :sending AND lease_until < :now)"
        return {
            "TableName": self.table,
            "Key": self._key(pk, sk),
            "UpdateExpression": (
                "SET #s = :sending, attempt_id = :a, lease_until = :lease, updated_at = :now, "
                "first_at = if_not_exists(first_at, :now) ADD attempts :one"
            ),
            "ConditionExpression": condition,
            "ExpressionAttributeNames": {"#s": "state"},
            "ExpressionAttributeValues": {
                ":sending": {"S": State.SENDING},
                ":failed": {"S": State.FAILED},
                ":a": {"S": attempt_id},
                ":lease": {"N": str(round(now + self.lease_s, 3))},
                ":now": {"N": str(round(now, 3))},
                ":one": {"N": "1"},
            },
        }

    def claim_many(
        self, pks: list[str], sk: str, *, now: float | None = None, takeover: bool = False
    ) -> dict[str, ClaimResult]:
        """`claim` for many records: one conditional UpdateItem each, several at once."""
        now = time.time() if now is None else now
        unique = list(dict.fromkeys(pks))
        claims = _writers.map(lambda pk: self.claim(pk, sk, now=now, takeover=takeover), unique)
        return dict(zip(unique, claims, strict=True))

    def claim(self, pk: str, sk: str, *, now: float | None = None, takeover: bool = False) -> ClaimResult:
        """Take the record for one call. `takeover=True` lets an expired lease be taken over."""
        now = time.time() if now is None else now
        attempt_id = uuid.uuid4().hex
        try:
            response = call(
                "update_item",
                **self._claim_update(pk, sk, attempt_id, now, takeover),
                ReturnValues="ALL_NEW",
                ReturnValuesOnConditionCheckFailure="ALL_OLD",
            )
        except ConditionFailed as exc:
            if exc.item is not None:
                record = DeliveryRecord.model_validate(exc.item)
            else:
                record = self.get(pk, sk) or DeliveryRecord(lead_id=pk, delivery=sk)
            return ClaimResult(self._held(record, now), "", record)
        return ClaimResult(Claim.CLAIMED, attempt_id, DeliveryRecord.model_validate(from_attr(response["Attributes"])))

    @staticmethod
    def _held(record: DeliveryRecord, now: float) -> Claim:
        state = record.state
        if state in (State.SENT, State.DIGESTED, State.GAVE_UP):
            return Claim.DONE
        if state == State.UNCERTAIN:
            return Claim.UNCERTAIN
        if state == State.SENDING and (record.lease_until or 0) >= now:
            return Claim.IN_FLIGHT
        return Claim.ABANDONED

    def _finish_update(
        self, pk: str, sk: str, attempt_id: str, state: State, fields: dict[str, str | int | None]
    ) -> dict[str, Any]:
        names = {"#s": "state"}
        values: dict[str, Any] = {
            ":s": {"S": state},
            ":a": {"S": attempt_id},
            ":now": {"N": str(round(time.time(), 3))},
        }
        sets = ["#s = :s", "updated_at = :now"]
        for i, (name, value) in enumerate(sorted(fields.items())):
            if value is None:
                continue
            names[f"#f{i}"] = name
            values[f":f{i}"] = to_attr({"v": value})["v"]
            sets.append(f"#f{i} = :f{i}")
        return {
            "TableName": self.table,
            "Key": self._key(pk, sk),
            "UpdateExpression": "SET " + ", ".join(sets) + " REMOVE lease_until",
            "ConditionExpression": "attempt_id = :a",
            "ExpressionAttributeNames": names,
            "ExpressionAttributeValues": values,
        }

    def finish_many(self, sk: str, outcomes: list[tuple[str, str, Outcome]]) -> None:
        """`finish` for many (pk, attempt id, outcome): one conditional UpdateItem each, several at
        once. A record taken over meanwhile keeps the newer attempt's outcome (as `finish`)."""
        list(
            _writers.map(
                lambda o: self.finish(o[0], sk, o[1], o[2].state, status=o[2].status, detail=o[2].detail), outcomes
            )
        )

    def finish(
        self,
        pk: str,
        sk: str,
        attempt_id: str,
        state: State,
        *,
        status: int | None = None,
        detail: str | None = None,
    ) -> bool:
        """Record the call's outcome; False when another invocation took the record over meanwhile."""
        fields: dict[str, str | int | None] = {"status": status, "detail": detail}
        try:
            call("update_item", **self._finish_update(pk, sk, attempt_id, state, fields))
        except ConditionFailed:
            return False

        return True

    def mark(self, pk: str, sk: str, state: State, *, only_if: State | None = None, detail: str | None = None) -> bool:
        """Set a state without a claim (e.g. `uncertain` on an abandoned claim)."""
        names = {"#s": "state"}
        values: dict[str, Any] = {":s": {"S": state}, ":now": {"N": str(round(time.time(), 3))}}
        sets = ["#s = :s", "updated_at = :now"]
        if detail is not None:
            names["#f0"] = "detail"
            values[":f0"] = {"S": detail}
            sets.append("#f0 = :f0")
        kwargs: dict[str, Any] = {}
        if only_if is not None:
            kwargs["ConditionExpression"] = "#s = :only"
            values[":only"] = {"S": only_if}
        try:
            call(
                "update_item",
                TableName=self.table,
                Key=self._key(pk, sk),
                UpdateExpression="SET " + ", ".join(sets),
                ExpressionAttributeNames=names,
                ExpressionAttributeValues=values,
                **kwargs,
            )
        except ConditionFailed:
            return False

        return True

    def get(self, pk: str, sk: str) -> DeliveryRecord | None:
        item = call("get_item", TableName=self.table, Key=self._key(pk, sk), ConsistentRead=True).get("Item")
        return _record(item) if item else None

    def for_lead(self, lead_id: str) -> list[DeliveryRecord]:
        records: list[DeliveryRecord] = []
        kwargs: dict[str, Any] = {
            "TableName": self.table,
            "KeyConditionExpression": "lead_id = :id",
            "ExpressionAttributeValues": {":id": {"S": lead_id}},
        }
        while True:
            page = call("query", **kwargs)
            records.extend(_record(i) for i in page.get("Items", []))
            if "LastEvaluatedKey" not in page:
                return records
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def _record(item: dict[str, Any]) -> DeliveryRecord:
    return DeliveryRecord.model_validate(from_attr(item))


def _iso(epoch: float | None) -> str | None:
    if epoch is None:
        return None
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(epoch))


def public(record: DeliveryRecord) -> DeliveryView:
    """A delivery record as the API shows it."""
    notice, _, channel = record.delivery.rpartition("#")
    return DeliveryView(
        notice=notice,
        channel=channel,
        state=record.state,
        attempts=record.attempts,
        first_at=_iso(record.first_at),
        updated_at=_iso(record.updated_at),
        detail=record.detail,
        digest=record.digest,
        status=record.status,
        next_attempt_at=_iso(record.next_attempt_at),
    )


def deliveries_for(lead_id: str, *, table: str | None = None) -> list[DeliveryView]:
    """A lead's deliveries (Slack, email, digest, downstream), oldest first, for `GET /leads/{id}`.

    The table defaults to `DELIVERIES_TABLE` from the environment; a function that calls this needs
    read access to the notification domain's deliveries table.
    """
    if table is None:
        from shared.core.settings import load
        from shared.notification.settings import DeliveriesEnv

        table = load(DeliveriesEnv).DELIVERIES_TABLE
    records = DeliveryStore(table).for_lead(lead_id)
    return sorted((public(r) for r in records), key=lambda d: (d.first_at or d.updated_at or "", d.notice))
