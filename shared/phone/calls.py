"""Phone leads: a call from Amazon Connect gets the caller's best vanity numbers, stored with the call.

A call is stored once per ContactId (a retried invocation returns the stored answer). A caller seen
within the window gets the vanity numbers found last time without recomputing. The caller also
becomes a lead: one message on the lead-batches queue, the same path an uploaded row takes.
What Connect receives is a flat map of strings, because a contact flow rejects nested values.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Protocol

from shared.core.batching import SqsSender, sqs_client
from shared.core.dynamo import ConditionFailed, call, from_attr, to_attr
from shared.core.models import BatchRow, Call, LeadBatch, utc_now
from shared.core.observability import logger
from shared.phone.vanity.engine import spoken, vanity_numbers
from shared.phone.vanity.numbers import InvalidNumber

VANITY_COUNT = 5
SPOKEN_COUNT = 3
RETENTION_S = 365 * 24 * 3600


class NoCallerNumber(ValueError):
    """The number is withheld or cannot be read as a phone number."""


def to_e164(raw: str | None, default_region: str) -> str:
    text = (raw or "").strip()
    if not text or text.lower() in {"anonymous", "private", "restricted", "unknown", "withheld"}:
        raise NoCallerNumber("the caller's number is withheld")
    # here, not at the top: at the first number to read, not in the cold start (README, cold starts)
    import phonenumbers

    try:
        number = phonenumbers.parse(text, default_region)
    except phonenumbers.NumberParseException as exc:
        raise NoCallerNumber(f"the caller's number {text!r} cannot be read: {exc}") from None
    if not phonenumbers.is_possible_number(number):
        raise NoCallerNumber(f"the caller's number {text!r} is not a possible phone number")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def connect_answer(e164: str, vanity: list[str], speech: list[str], *, reused: bool) -> dict[str, str]:
    """The flat map of strings a contact flow can read as $.External.<key>."""
    answer = {"status": "ok", "caller": e164, "count": str(len(vanity)), "reused": str(reused).lower()}
    answer.update({f"vanity{i}": v for i, v in enumerate(vanity, start=1)})
    answer.update({f"speech{i}": s for i, s in enumerate(speech[:SPOKEN_COUNT], start=1)})
    return answer


def graceful_answer(reason: str) -> dict[str, str]:
    return {
        "status": "no_number",
        "count": "0",
        "message": "We could not read your phone number, so we have no vanity numbers for you this time.",
        "reason": reason,
    }


class CallLog(Protocol):
    """The stored calls, as answering a call needs them (`DynamoCallLog`; an in-memory one in tests)."""

    def get(self, contact_id: str) -> Call | None: ...

    def latest_of(self, caller: str, since: str) -> Call | None:
        """The caller's newest call at or after `since` (an ISO time), if any."""
        ...

    def put_once(self, call: Call) -> bool:
        """Store the call unless its ContactId is stored already; False then."""
        ...


@dataclass
class DynamoCallLog:
    table: str

    def get(self, contact_id: str) -> Call | None:
        response = call("get_item", TableName=self.table, Key=to_attr({"contact_id": contact_id}), ConsistentRead=True)
        return Call.model_validate(from_attr(response["Item"])) if "Item" in response else None

    def latest_of(self, caller: str, since: str) -> Call | None:
        response = call(
            "query",
            TableName=self.table,
            IndexName="by_caller",
            KeyConditionExpression="caller = :c AND called_at >= :since",
            ExpressionAttributeValues=to_attr({":c": caller, ":since": since}),
            ScanIndexForward=False,
            Limit=1,
        )
        items = response.get("Items", [])
        return Call.model_validate(from_attr(items[0])) if items else None

    def put_once(self, record: Call) -> bool:
        try:
            call(
                "put_item",
                TableName=self.table,
                Item=to_attr(record.to_item()),
                ConditionExpression="attribute_not_exists(contact_id)",
            )
        except ConditionFailed:
            return False

        return True


@dataclass
class CallService:
    calls_table: str
    lead_queue_url: str
    default_region: str
    window: timedelta
    #: None: the DynamoDB table `calls_table`
    log: CallLog | None = None
    #: None: the real SQS client
    sqs: SqsSender | None = None
    _log: CallLog = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._log = self.log if self.log is not None else DynamoCallLog(self.calls_table)

    def handle(self, contact_id: str, raw_number: str | None, *, now: datetime | None = None) -> dict[str, str]:
        now = now or utc_now()
        try:
            e164 = to_e164(raw_number, self.default_region)
        except NoCallerNumber as exc:
            # the message quotes the number: the contact id is enough to find the call
            logger.info("no usable caller number", contact_id=contact_id)
            return graceful_answer(str(exc))
        stored = self._log.get(contact_id)
        if stored:  # the same contact again: Connect or Lambda retried the invocation
            return connect_answer(e164, stored.vanity, stored.speech, reused=True)
        previous = self._log.latest_of(e164, (now - self.window).isoformat(timespec="milliseconds"))
        if previous:
            vanity, speech, reused = previous.vanity, previous.speech, True
        else:
            try:
                found = vanity_numbers(e164, VANITY_COUNT)
            except InvalidNumber as exc:
                return graceful_answer(str(exc))
            vanity, speech, reused = [v.text for v in found], [spoken(v) for v in found], False
        record = Call(
            contact_id=contact_id,
            caller=e164,
            called_at=now.isoformat(timespec="milliseconds"),
            vanity=vanity,
            speech=speech,
            reused=reused,
            expires_at=int(time.time()) + RETENTION_S,
        )
        if self._log.put_once(record):
            self._send_lead(contact_id, e164)
        logger.info("call answered", contact_id=contact_id, reused=reused)
        return connect_answer(e164, vanity, speech, reused=reused)

    def _send_lead(self, contact_id: str, e164: str) -> None:
        # a job-less batch of one row: the store step gives it a lead id derived from the contact
        batch = LeadBatch(
            batch_id=f"call-{contact_id}",
            source="phone",
            rows=[BatchRow(r=1, v={"Phone": e164, "Contact Id": contact_id})],
        )
        (self.sqs or sqs_client()).send_message(QueueUrl=self.lead_queue_url, MessageBody=batch.body())
