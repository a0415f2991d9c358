"""Durable forwarding of a form lead, one step per queue message, with an exactly-once effect.

The AWS-native counterpart of the seed's Restate workflow: each step (`store`, `marketing`,
`sms_customer`, `sms_dealer`) is a message on the form-forwards queue. A step is claimed on the
form lead's record (a conditional write with a lease), performed, and its outcome recorded there:
that record is the journal, and it is what `GET /leads/{id}/messages` and `GET /admin/inflight` show.

- Exactly-once effect: a finished step is never performed again; `store` sends a batch whose id is
  the form lead's (the store step merges by dedupe key); `marketing` carries an Idempotency-Key
  that is the same on every attempt, so a receiver that saw it answers without a second effect.
  Twilio takes no idempotency key: the claim makes a text go at most once per lease.
- Backoff: a failed attempt re-sends the step to the queue delayed by base * 2^(attempt-1)
  (capped); SQS delays at most 900 s, so a longer wait is several hops carrying `not_before`.
- The last failed attempt marks the step failed and fails the message, so it dead-letters (alarm).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from shared.core.batching import SqsSender, sqs_client
from shared.core.budget import CircuitOpen, call_timeout, through_circuit
from shared.core.models import BatchRow, FormForward, FormLead, LeadBatch, Party, SmsMessage, StepState, iso_now
from shared.core.observability import logger
from shared.forms.conversations import Conversations
from shared.forms.store import Claimed, StepJournal
from shared.forms.twilio import RETRYABLE, TextSender, TwilioError

if TYPE_CHECKING:
    import httpx

MAX_HOP_S = 900
MAX_BACKOFF_S = 6 * 3600
IDEMPOTENCY_HEADER = "Idempotency-Key"
REQUEST_TIMEOUT_S = 10.0


def _http_client() -> httpx.Client:
    """The marketing endpoint's client, built with the first `Forwarder`."""
    import httpx  # here, not at the top: only a request needs it, not the cold start

    return httpx.Client(timeout=REQUEST_TIMEOUT_S)


class StepError(Exception):
    def __init__(self, message: str, *, retryable: bool) -> None:
        super().__init__(message)
        self.retryable = retryable


class Skip(Exception):
    """The step has nothing to do (no endpoint configured, no conversation)."""


class GaveUp(Exception):
    """The step failed for good: the message fails, and SQS moves it to the dead-letter queue."""


def backoff_s(attempt: int, base_s: int) -> int:
    return int(min(MAX_BACKOFF_S, base_s * 2 ** (attempt - 1)))


def marketing_key(form_lead_id: str) -> str:
    return f"form-{form_lead_id}-marketing"


@dataclass
class Forwarder:
    store: StepJournal
    conversations: Conversations
    queue_url: str
    lead_batches_url: str
    marketing_url: str
    twilio: TextSender
    base_s: int
    max_attempts: int
    lease_s: int
    clock: Callable[[], float] = time.time
    http: httpx.Client = field(default_factory=_http_client)
    #: the cap of one outbound request (less when the function has less time left)
    request_timeout_s: float = REQUEST_TIMEOUT_S
    #: after the marketing endpoint hangs, how long its other steps back off at once
    circuit_reset_s: float = 30.0
    #: None: the real SQS client
    sqs: SqsSender | None = None

    def handle(self, body: str, *, remaining_s: Callable[[], float] | None = None) -> str:
        """Process one step message; returns what happened (for logs and tests)."""
        message = FormForward.model_validate_json(body)
        form_lead_id, step, attempt = message.form_lead_id, message.step, message.attempt
        now = self.clock()
        not_before = message.not_before
        if not_before is not None and now < float(not_before) - 0.5:
            self._send(form_lead_id, step, attempt, float(not_before))
            return "waiting"
        claim = self.store.claim_step(form_lead_id, step, now=now, lease_s=self.lease_s)
        if claim == Claimed.MISSING:
            logger.warning("forward step for an unknown form lead", form_lead_id=form_lead_id, step=step)
            return "missing"
        if claim == Claimed.HELD:
            # another invocation has it; look again once its lease has run out (done by then, usually)
            self._send(form_lead_id, step, attempt, now + self.lease_s)
            return "held"
        record = self.store.form_lead(form_lead_id)
        if record is None:  # gone between the claim and this read (it expired): nothing to do
            logger.warning("forward step for an unknown form lead", form_lead_id=form_lead_id, step=step)
            return "missing"
        if claim == Claimed.FINISHED:
            if record.step(step).state == StepState.FAILED:
                raise GaveUp(f"{step} of {form_lead_id} failed for good; its error is on the form lead")
            return "finished"
        steps = record.steps
        attempts = record.step(step).attempts + 1
        try:
            result = self._perform(step, record, remaining_s)
        except Skip as skip:
            self.store.finish_step(form_lead_id, step, StepState.SKIPPED, steps=steps, error=str(skip))
            return "skipped"
        except StepError as exc:
            if exc.retryable and attempts < self.max_attempts:
                wait = backoff_s(attempts, self.base_s)
                at = datetime.fromtimestamp(now + wait, UTC).isoformat(timespec="seconds")
                self.store.finish_step(
                    form_lead_id, step, StepState.RETRYING, steps=steps, error=str(exc), next_attempt_at=at
                )
                self._send(form_lead_id, step, attempt + 1, now + wait)
                logger.info(
                    "forward step will retry", form_lead_id=form_lead_id, step=step, attempts=attempts, wait_s=wait
                )
                return "retrying"
            self.store.finish_step(form_lead_id, step, StepState.FAILED, steps=steps, error=str(exc))
            # not the error's text: Twilio's answer quotes the number; it is kept on the form lead (`leadflow inflight`)
            logger.error("forward step failed for good", form_lead_id=form_lead_id, step=step, attempts=attempts)
            raise GaveUp(f"{step} of {form_lead_id} failed for good; its error is on the form lead") from None
        self.store.finish_step(form_lead_id, step, StepState.DONE, steps=steps, result=result)
        logger.info("forward step done", form_lead_id=form_lead_id, step=step, attempts=attempts)
        return "done"

    def _send(self, form_lead_id: str, step: str, attempt: int, not_before: float) -> None:
        delay = max(0, min(MAX_HOP_S, math.ceil(not_before - self.clock())))
        message = FormForward(form_lead_id=form_lead_id, step=step, attempt=attempt, not_before=not_before)
        (self.sqs or sqs_client()).send_message(QueueUrl=self.queue_url, MessageBody=message.body(), DelaySeconds=delay)

    # ------------------------------------------------------------------ the steps

    def _perform(self, step: str, record: FormLead, remaining_s: Callable[[], float] | None) -> str:
        if step == "store":
            return self._store(record)
        timeout = call_timeout(self.request_timeout_s, remaining_s)
        if timeout is None:
            raise StepError("no time left in this invocation", retryable=True)
        if step == "marketing":
            return self._marketing(record, timeout)
        if step in ("sms_customer", "sms_dealer"):
            return self._text(step, record, timeout)
        raise StepError(f"unknown step {step!r}", retryable=False)

    def _store(self, record: FormLead) -> str:
        # a job-less batch of one row, as a phone call's lead; its id is the form lead's, so a
        # second send merges into the same stored lead
        batch = LeadBatch(batch_id=f"form-{record.form_lead_id}", source="form", rows=[BatchRow(r=1, v=record.row)])
        (self.sqs or sqs_client()).send_message(QueueUrl=self.lead_batches_url, MessageBody=batch.body())
        return "queued for storing"

    def _marketing(self, record: FormLead, timeout: float) -> str:
        if not self.marketing_url:
            raise Skip("no marketing endpoint configured for this stage")
        import httpx  # here, not at the top: only a request needs it, not the cold start

        payload = {
            "form_lead_id": record.form_lead_id,
            "lead": record.lead.to_item() if record.lead else {},
            "form_id": record.form_id,
            "page_url": record.page_url,
            "message": record.message,
            "dealer_id": record.dealer_id,
            "location_id": record.location_id,
        }
        headers = {IDEMPOTENCY_HEADER: marketing_key(record.form_lead_id)}
        try:
            response = through_circuit(
                f"marketing {self.marketing_url}",
                self.circuit_reset_s,
                lambda: self.http.post(self.marketing_url, json=payload, headers=headers, timeout=timeout),
            )
        except CircuitOpen as exc:
            raise StepError(str(exc), retryable=True) from None
        except httpx.HTTPError as exc:
            raise StepError(f"marketing endpoint unreachable: {exc.__class__.__name__}", retryable=True) from None
        if response.status_code < 300:
            return f"accepted ({response.status_code})"
        raise StepError(
            f"marketing endpoint answered {response.status_code}", retryable=response.status_code in RETRYABLE
        )

    def _text(self, step: str, record: FormLead, timeout: float) -> str:
        cid, pool_number = record.conversation_id, record.pool_number
        if not cid or not pool_number:
            raise Skip("the lead has no conversation")
        name = record.customer_name or "there"
        party: Party
        if step == "sms_customer":
            to, party = str(record.customer_phone), "customer"
            body = (
                f"Hi {name}, thanks for your enquiry. The dealership will text you from this number; "
                "reply here any time."
            )
        else:
            to, party = str(record.location_phone), "dealer"
            message = f": {record.message}" if record.message else ""
            body = f"New web lead {name} ({record.customer_phone}){message}. Reply to this number to text them."
        try:
            sid = self.twilio.send(from_=str(pool_number), to=to, body=body, timeout=timeout)
        except TwilioError as exc:
            raise StepError(str(exc), retryable=exc.retryable) from None
        sent = SmsMessage(
            sid=sid,
            at=iso_now(),
            direction="outbound",
            party=party,
            from_=pool_number,
            to=to,
            body=body,
            lead=record.form_lead_id,
        )
        self.conversations.record_outbound(cid, sent)
        return sid
