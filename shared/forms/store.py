"""The form-leads table: first answers by Idempotency-Key, dealer locations' phone numbers, the open
web-to-text lead per (customer phone, dealer, location), and each form lead with its forward steps.

Every rule that must hold under concurrency is a DynamoDB condition: a key is answered once, a
(phone, dealer, location) has at most one open lead, a forward step is claimed by one invocation.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Protocol

from shared.core.dynamo import ConditionFailed, TransactionCancelled, call, from_attr, to_attr
from shared.core.errors import Conflict, NotFound
from shared.core.models import DealerLocation, FormAnswer, FormLead, StepState, iso_now

#: first answers are kept this long (a client retries within minutes, a queue within days)
IDEMPOTENCY_TTL_S = 7 * 24 * 3600
INFLIGHT = "forward"
MAX_LIST = 100


class Claimed(StrEnum):
    CLAIMED = "claimed"
    FINISHED = "finished"  # done, skipped or failed already
    HELD = "held"  # another invocation works on it (its lease has not run out)
    MISSING = "missing"


def open_key(phone: str, dealer_id: str, location_id: str) -> str:
    return f"open#{phone}#{dealer_id}#{location_id}"


def _form_key(form_lead_id: str) -> dict[str, str]:
    return {"pk": f"form#{form_lead_id}", "sk": "form"}


class OpenLeadExists(Conflict):
    def __init__(self, open_lead_id: str) -> None:
        super().__init__("a web-to-text lead is already open for this phone, dealer and location")
        self.open_lead_id = open_lead_id


@dataclass(frozen=True)
class StoredAnswer:
    status: int
    body: FormAnswer
    fingerprint: str
    form_lead_id: str


class IntakeStore(Protocol):
    """What taking a submission needs from the form-leads table (`FormStore`; in memory in tests)."""

    def answer(self, idempotency_key: str) -> StoredAnswer | None: ...

    def location_phone(self, dealer_id: str, location_id: str) -> str | None: ...

    def form_lead(self, form_lead_id: str) -> FormLead | None: ...

    def create(
        self,
        record: FormLead,
        *,
        idempotency: tuple[str, str, FormAnswer] | None,
        replace_open: str | None = None,
    ) -> None:
        """All or nothing; raises `AnswerExists` or `OpenLeadExists` (see `FormStore.create`)."""
        ...


class StepJournal(Protocol):
    """What forwarding needs: the form lead's record, where each step is claimed and its outcome kept."""

    def form_lead(self, form_lead_id: str) -> FormLead | None: ...

    def claim_step(self, form_lead_id: str, step: str, *, now: float, lease_s: int) -> Claimed: ...

    def finish_step(
        self,
        form_lead_id: str,
        step: str,
        state: StepState,
        *,
        steps: Sequence[str],
        error: str | None = None,
        next_attempt_at: str | None = None,
        result: str | None = None,
    ) -> FormLead: ...


@dataclass
class FormStore:
    table: str

    # ------------------------------------------------------------------ reads

    def _get(self, key: dict[str, str]) -> dict[str, Any] | None:
        response = call("get_item", TableName=self.table, Key=to_attr(key), ConsistentRead=True)
        return from_attr(response["Item"]) if "Item" in response else None

    def answer(self, idempotency_key: str) -> StoredAnswer | None:
        item = self._get({"pk": f"idem#{idempotency_key}", "sk": "answer"})
        if item is None:
            return None
        return StoredAnswer(
            int(item["status"]),
            FormAnswer.model_validate(item["body"]),
            str(item["fingerprint"]),
            str(item["form_lead_id"]),
        )

    def location_phone(self, dealer_id: str, location_id: str) -> str | None:
        item = self._get({"pk": f"loc#{dealer_id}#{location_id}", "sk": "location"})
        return str(item["phone"]) if item else None

    def open_lead(self, key: str) -> str | None:
        item = self._get({"pk": key, "sk": "open"})
        return str(item["form_lead_id"]) if item else None

    def form_lead(self, form_lead_id: str) -> FormLead | None:
        item = self._get(_form_key(form_lead_id))
        return FormLead.from_item(item) if item else None

    def form_leads_of(self, lead_id: str) -> list[FormLead]:
        """A stored Lead's form leads, newest first (one Query on `by_lead`)."""
        response = call(
            "query",
            TableName=self.table,
            IndexName="by_lead",
            KeyConditionExpression="lead_id = :l",
            ExpressionAttributeValues=to_attr({":l": lead_id}),
            ScanIndexForward=False,
            Limit=MAX_LIST,
        )
        return [FormLead.from_item(from_attr(i)) for i in response.get("Items", [])]

    def inflight(self, limit: int = MAX_LIST) -> list[FormLead]:
        """Form leads with an unfinished forward step, oldest change first (the sparse `inflight` index)."""
        response = call(
            "query",
            TableName=self.table,
            IndexName="inflight",
            KeyConditionExpression="inflight = :f",
            ExpressionAttributeValues=to_attr({":f": INFLIGHT}),
            Limit=max(1, min(limit, MAX_LIST)),
        )
        return [FormLead.from_item(from_attr(i)) for i in response.get("Items", [])]

    # ------------------------------------------------------------------ writes

    def set_location_phone(self, dealer_id: str, location_id: str, phone: str) -> DealerLocation:
        location = DealerLocation(dealer_id=dealer_id, location_id=location_id, phone=phone, updated_at=iso_now())
        item = {"pk": f"loc#{dealer_id}#{location_id}", "sk": "location", **location.model_dump(mode="json")}
        call("put_item", TableName=self.table, Item=to_attr(item))
        return location

    def create(
        self,
        record: FormLead,
        *,
        idempotency: tuple[str, str, FormAnswer] | None,
        replace_open: str | None = None,
    ) -> None:
        """Write a new form lead, its open-lead claim (if any) and the first answer, all or nothing.

        `idempotency` is (key, fingerprint, answer). `replace_open` is the open lead being
        replaced (closed in the same transaction). Raises `OpenLeadExists` or `AnswerExists`.
        """
        now = record.created_at
        items: list[dict[str, Any]] = []
        kinds: list[str] = []
        if idempotency is not None:
            key, fingerprint, body = idempotency
            answer = {
                "pk": f"idem#{key}",
                "sk": "answer",
                "status": 202,
                "body": body.model_dump(mode="json"),
                "fingerprint": fingerprint,
                "form_lead_id": record.form_lead_id,
                "expires_at": int(time.time()) + IDEMPOTENCY_TTL_S,
            }
            items.append(
                {
                    "Put": {
                        "TableName": self.table,
                        "Item": to_attr(answer),
                        "ConditionExpression": "attribute_not_exists(pk)",
                    }
                }
            )
            kinds.append("answer")
        if record.open_key:
            claim = {"pk": record.open_key, "sk": "open", "form_lead_id": record.form_lead_id, "updated_at": now}
            if replace_open is None:
                put = {
                    "TableName": self.table,
                    "Item": to_attr(claim),
                    "ConditionExpression": "attribute_not_exists(pk)",
                }
            else:
                put = {
                    "TableName": self.table,
                    "Item": to_attr(claim),
                    "ConditionExpression": "form_lead_id = :old",
                    "ExpressionAttributeValues": to_attr({":old": replace_open}),
                }
            items.append({"Put": put})
            kinds.append("open")
        if replace_open is not None:
            items.append(
                {
                    "Update": {
                        "TableName": self.table,
                        "Key": to_attr(_form_key(replace_open)),
                        "UpdateExpression": "SET #s = :closed, closed_at = :now, updated_at = :now, replaced_by = :new",
                        "ConditionExpression": "#s = :open",
                        "ExpressionAttributeNames": {"#s": "status"},
                        "ExpressionAttributeValues": to_attr(
                            {":closed": "closed", ":open": "open", ":now": now, ":new": record.form_lead_id}
                        ),
                    }
                }
            )
            kinds.append("close")
        item = {**_form_key(record.form_lead_id), **record.to_item()}
        items.append(
            {"Put": {"TableName": self.table, "Item": to_attr(item), "ConditionExpression": "attribute_not_exists(pk)"}}
        )
        kinds.append("record")
        try:
            call("transact_write_items", TransactItems=items)
        except TransactionCancelled as exc:
            failed = {kinds[i] for i in exc.failed()}
            if "answer" in failed:
                raise AnswerExists() from None
            if failed & {"open", "close"}:
                current = self.open_lead(str(record.open_key))
                if current is None:  # closed meanwhile: the caller may try again
                    raise Conflict("the open lead changed while this request ran; send it again") from None
                raise OpenLeadExists(current) from None
            raise

    def close(self, form_lead_id: str) -> FormLead:
        """Close an open web-to-text lead: its (phone, dealer, location) is free for a new one."""
        record = self.form_lead(form_lead_id)
        if record is None:
            raise NotFound(f"no form lead {form_lead_id}")
        if record.status != "open" or not record.open_key:
            raise Conflict(f"form lead {form_lead_id} is not open (it is {record.status})")
        now = iso_now()
        try:
            call(
                "transact_write_items",
                TransactItems=[
                    {
                        "Update": {
                            "TableName": self.table,
                            "Key": to_attr(_form_key(form_lead_id)),
                            "UpdateExpression": "SET #s = :closed, closed_at = :now, updated_at = :now",
                            "ConditionExpression": "#s = :open",
                            "ExpressionAttributeNames": {"#s": "status"},
                            "ExpressionAttributeValues": to_attr({":closed": "closed", ":open": "open", ":now": now}),
                        }
                    },
                    {
                        "Delete": {
                            "TableName": self.table,
                            "Key": to_attr({"pk": record.open_key, "sk": "open"}),
                            "ConditionExpression": "form_lead_id = :id",
                            "ExpressionAttributeValues": to_attr({":id": form_lead_id}),
                        }
                    },
                ],
            )
        except TransactionCancelled:
            raise Conflict(f"form lead {form_lead_id} was closed meanwhile") from None
        return record.model_copy(update={"status": "closed", "closed_at": now, "updated_at": now})

    def set_conversation(self, form_lead_id: str, conversation_id: str, pool_number: str) -> None:
        call(
            "update_item",
            TableName=self.table,
            Key=to_attr(_form_key(form_lead_id)),
            UpdateExpression="SET conversation_id = :c, pool_number = :p",
            ExpressionAttributeValues=to_attr({":c": conversation_id, ":p": pool_number}),
        )

    def note_message(self, form_lead_id: str, *, text: str, party: str, at: str) -> None:
        """The lead's tracking: its last message and who sent it."""
        call(
            "update_item",
            TableName=self.table,
            Key=to_attr(_form_key(form_lead_id)),
            UpdateExpression="SET last_message = :m, last_message_at = :at, last_message_from = :p, "
            "conversation_status = :s, updated_at = :at",
            ConditionExpression="attribute_exists(pk)",
            ExpressionAttributeValues=to_attr({":m": text[:500], ":at": at, ":p": party, ":s": f"{party} replied"}),
        )

    # ------------------------------------------------------------------ forward steps

    def claim_step(self, form_lead_id: str, step: str, *, now: float, lease_s: int) -> Claimed:
        """Take a step for this invocation: pending or retrying, or sending under a lease that ran out."""
        names = {"#st": f"{step}_state", "#cl": f"{step}_claimed_until"}
        try:
            call(
                "update_item",
                TableName=self.table,
                Key=to_attr(_form_key(form_lead_id)),
                UpdateExpression="SET #st = :sending, #cl = :until, updated_at = :at",
                ConditionExpression="attribute_exists(pk) AND (#st IN (:pending, :retrying) "
                "OR (#st = :sending AND #cl < :now))",
                ExpressionAttributeNames=names,
                ExpressionAttributeValues=to_attr(
                    {
                        ":sending": StepState.SENDING.value,
                        ":pending": StepState.PENDING.value,
                        ":retrying": StepState.RETRYING.value,
                        ":until": int(now) + lease_s,
                        ":now": int(now),
                        ":at": iso_now(),
                    }
                ),
            )
        except ConditionFailed:
            record = self.form_lead(form_lead_id)
            if record is None:
                return Claimed.MISSING
            return Claimed.FINISHED if record.step(step).state.is_final else Claimed.HELD
        return Claimed.CLAIMED

    def finish_step(
        self,
        form_lead_id: str,
        step: str,
        state: StepState,
        *,
        steps: Sequence[str],
        error: str | None = None,
        next_attempt_at: str | None = None,
        result: str | None = None,
    ) -> FormLead:
        """Record a step's outcome (counting the attempt); the last final step takes the lead off `inflight`."""
        now = iso_now()
        sets = ["#st = :state", "#at = :now", "updated_at = :now", "#n = if_not_exists(#n, :zero) + :one"]
        names = {"#st": f"{step}_state", "#at": f"{step}_at", "#n": f"{step}_attempts", "#cl": f"{step}_claimed_until"}
        values: dict[str, Any] = {":state": state.value, ":now": now, ":zero": 0, ":one": 1}
        removes = ["#cl"]
        for extra, value in (("error", error), ("next_attempt_at", next_attempt_at), ("result", result)):
            names[f"#{extra}"] = f"{step}_{extra}"
            if value is None:
                removes.append(f"#{extra}")
            else:
                sets.append(f"#{extra} = :{extra}")
                values[f":{extra}"] = value
        response = call(
            "update_item",
            TableName=self.table,
            Key=to_attr(_form_key(form_lead_id)),
            UpdateExpression=f"SET {', '.join(sets)} REMOVE {', '.join(removes)}",
            ExpressionAttributeNames=names,
            ExpressionAttributeValues=to_attr(values),
            ReturnValues="ALL_NEW",
        )
        record = FormLead.from_item(from_attr(response["Attributes"]))
        if all(record.step(s).state.is_final for s in steps) and record.inflight is not None:
            call(
                "update_item",
                TableName=self.table,
                Key=to_attr(_form_key(form_lead_id)),
                UpdateExpression="REMOVE inflight SET forwarded_at = :now",
                ExpressionAttributeValues=to_attr({":now": now}),
            )
            record = record.model_copy(update={"inflight": None, "forwarded_at": now})
        return record


class AnswerExists(Exception):
    """Another request with the same Idempotency-Key was answered first."""
