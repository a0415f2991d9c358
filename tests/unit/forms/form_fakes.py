"""In-memory form-leads and conversations tables and an SMS sender, keeping the rules the DynamoDB
conditions keep: a key answered once, one open lead per (phone, dealer, location), a step claimed
by one invocation under a lease."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from shared.core.errors import Conflict
from shared.core.models import Conversation, FormAnswer, FormLead, SmsMessage, StepState, iso_now
from shared.forms.store import AnswerExists, Claimed, OpenLeadExists, StoredAnswer
from shared.forms.twilio import TwilioError


@dataclass
class FakeFormStore:
    records: dict[str, dict[str, Any]] = field(default_factory=dict)
    answers: dict[str, StoredAnswer] = field(default_factory=dict)
    opens: dict[str, str] = field(default_factory=dict)
    locations: dict[tuple[str, str], str] = field(default_factory=dict)

    def answer(self, idempotency_key: str) -> StoredAnswer | None:
        return self.answers.get(idempotency_key)

    def location_phone(self, dealer_id: str, location_id: str) -> str | None:
        return self.locations.get((dealer_id, location_id))

    def form_lead(self, form_lead_id: str) -> FormLead | None:
        record = self.records.get(form_lead_id)
        return FormLead.from_item(record) if record else None

    def create(
        self,
        lead: FormLead,
        *,
        idempotency: tuple[str, str, FormAnswer] | None,
        replace_open: str | None = None,
    ) -> None:
        record = lead.to_item()
        if idempotency is not None and idempotency[0] in self.answers:
            raise AnswerExists()
        key = record.get("open_key")
        if key:
            current = self.opens.get(key)
            if replace_open is None and current is not None:
                raise OpenLeadExists(current)
            if replace_open is not None and current != replace_open:
                if current is None:
                    raise Conflict("the open lead changed while this request ran; send it again")
                raise OpenLeadExists(current)
        if replace_open is not None:
            self.records[replace_open].update(status="closed", replaced_by=record["form_lead_id"])
        if idempotency is not None:
            idem_key, fingerprint, body = idempotency
            self.answers[idem_key] = StoredAnswer(202, body.model_copy(), fingerprint, record["form_lead_id"])
        if key:
            self.opens[key] = record["form_lead_id"]
        self.records[record["form_lead_id"]] = dict(record)

    def claim_step(self, form_lead_id: str, step: str, *, now: float, lease_s: int) -> Claimed:
        record = self.records.get(form_lead_id)
        if record is None:
            return Claimed.MISSING
        state = StepState(record.get(f"{step}_state", StepState.PENDING))
        lapsed = state == StepState.SENDING and record.get(f"{step}_claimed_until", 0) < int(now)
        if state in (StepState.PENDING, StepState.RETRYING) or lapsed:
            record[f"{step}_state"] = StepState.SENDING.value
            record[f"{step}_claimed_until"] = int(now) + lease_s
            return Claimed.CLAIMED
        return Claimed.FINISHED if state.is_final else Claimed.HELD

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
        record = self.records[form_lead_id]
        record[f"{step}_state"] = state.value
        record[f"{step}_attempts"] = int(record.get(f"{step}_attempts", 0)) + 1
        record.pop(f"{step}_claimed_until", None)
        for extra, value in (("error", error), ("next_attempt_at", next_attempt_at), ("result", result)):
            if value is None:
                record.pop(f"{step}_{extra}", None)
            else:
                record[f"{step}_{extra}"] = value
        if all(StepState(record.get(f"{s}_state", "pending")).is_final for s in steps):
            record.pop("inflight", None)
        return FormLead.from_item(record)


@dataclass
class FakeConversations:
    pool_number: str = "+15550000001"
    leads: dict[str, set[str]] = field(default_factory=dict)
    outbound: list[tuple[str, SmsMessage]] = field(default_factory=list)

    def open(self, *, customer: str, dealer_phone: str, customer_name: str | None) -> Conversation:
        return Conversation(
            conversation_id=f"conv-{customer}-{dealer_phone}",
            customer=customer,
            dealer_phone=dealer_phone,
            pool_number=self.pool_number,
            customer_name=customer_name,
            created_at=iso_now(),
        )

    def add_lead(self, cid: str, form_lead_id: str) -> None:
        self.leads.setdefault(cid, set()).add(form_lead_id)

    def remove_lead(self, cid: str, form_lead_id: str) -> None:
        self.leads.get(cid, set()).discard(form_lead_id)

    def record_outbound(self, cid: str, message: SmsMessage) -> None:
        self.outbound.append((cid, message))


@dataclass
class FakeTexts:
    """Sent texts as (from, to, body); `errors` are raised first, one a send."""

    sent: list[tuple[str, str, str]] = field(default_factory=list)
    errors: list[TwilioError] = field(default_factory=list)

    def send(self, *, from_: str, to: str, body: str, timeout: float = 10.0) -> str:
        if self.errors:
            raise self.errors.pop(0)
        self.sent.append((from_, to, body))
        return f"SM{len(self.sent):04d}"
