"""A web-form submission becomes a form lead: validated, answered once per Idempotency-Key, held to
the open-lead rules, put in its conversation, and handed to the forwarder step by step.

A web-to-text lead is identified by (customer phone, dealer id, location id); while one is open,
another submission for the same three is refused with the open lead's id, unless it asks to
replace it (the old one is closed and a new one opened, in one transaction).
"""

from __future__ import annotations

import hashlib
import json
import uuid
from dataclasses import dataclass
from typing import Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field

from shared.core.batching import SqsSender, sqs_client
from shared.core.errors import BadInput, DomainError
from shared.core.models import (
    Conversation,
    FormAnswer,
    FormForward,
    FormLead,
    FormStep,
    Lead,
    StepState,
    iso_now,
)
from shared.core.observability import logger
from shared.enrichment.enricher import lead_id_for
from shared.enrichment.standardize import dedupe_key, standardize_row
from shared.forms.conversations import Conversations
from shared.forms.store import AnswerExists, IntakeStore, OpenLeadExists, open_key

_ID = r"^[A-Za-z0-9_.:\-]+$"
BASE_STEPS = ("store", "marketing")
SMS_STEPS = ("sms_customer", "sms_dealer")


class LocationPhone(BaseModel):
    """The body of PUT /locations/{dealer_id}/{location_id}: the number the location's texts go to."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, defer_build=True)

    phone: str = Field(min_length=1, max_length=40, description="the location's phone, e.g. +12125550100")


class FormSubmission(BaseModel):
    """What a web form posts to `POST /leads`."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, defer_build=True)

    first_name: str | None = Field(default=None, max_length=100)
    last_name: str | None = Field(default=None, max_length=100)
    email: str | None = Field(default=None, max_length=254)
    phone: str | None = Field(default=None, max_length=40)
    company: str | None = Field(default=None, max_length=200)
    title: str | None = Field(default=None, max_length=200)
    country: str | None = Field(default=None, max_length=60)
    dealer_id: str | None = Field(default=None, max_length=64, pattern=_ID)
    location_id: str | None = Field(default=None, max_length=64, pattern=_ID)
    form_id: str | None = Field(default=None, max_length=100)
    page_url: str | None = Field(default=None, max_length=2000)
    message: str | None = Field(default=None, max_length=2000)
    #: close the open lead of the same phone, dealer and location and open this one instead
    replace: bool = False

    def row(self) -> dict[str, str]:
        """The submission as a row of `header -> cell`, as the store step standardizes it."""
        cells = {
            "First Name": self.first_name,
            "Last Name": self.last_name,
            "Email": self.email,
            "Phone": self.phone,
            "Company": self.company,
            "Title": self.title,
            "Country": self.country,
            "Dealer Id": self.dealer_id,
            "Location Id": self.location_id,
            "Form Id": self.form_id,
            "Page URL": self.page_url,
            "Message": self.message,
        }
        return {k: v for k, v in cells.items() if v}

    def fingerprint(self, replace: bool) -> str:
        canonical = json.dumps({**self.model_dump(), "replace": replace}, sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(canonical.encode()).hexdigest()


class IdempotencyMismatch(DomainError):
    status_code = 422

    def __init__(self) -> None:
        super().__init__("this Idempotency-Key was used with a different submission; use a new key")


def lead_from(submission: FormSubmission, default_region: str) -> tuple[Lead, dict[str, str]]:
    """The Lead the store step will store (same rules, same dedupe key, so the same id)."""
    row = submission.row()
    std = standardize_row(row, default_region=default_region)
    if std.rejected:
        raise BadInput(f"the submission cannot become a lead: {std.rejected}")
    key = dedupe_key(std.fields)
    if key is None:
        raise BadInput("the submission needs an email or a phone number")
    lead = Lead.model_validate(
        {
            **std.fields,
            "lead_id": lead_id_for(key),
            "source": "form",
            "dealer_id": submission.dealer_id,
            "location_id": submission.location_id,
            "dedupe_key": key,
            "attributes": std.attributes,
            "problems": list(std.problems),
        }
    )
    return lead, row


#: the store and conversations types stay visible to the handler, whose admin routes use more of them
S = TypeVar("S", bound=IntakeStore)
C = TypeVar("C", bound=Conversations)


@dataclass
class FormIntake(Generic[S, C]):
    store: S
    conversations: C
    forwards_queue_url: str
    default_region: str = "US"
    #: None: the real SQS client
    sqs: SqsSender | None = None

    def submit(
        self, submission: FormSubmission, *, replace: bool = False, idempotency_key: str | None = None
    ) -> tuple[int, FormAnswer]:
        replace = replace or submission.replace
        fingerprint = submission.fingerprint(replace)
        if idempotency_key:
            stored = self.store.answer(idempotency_key)
            if stored is not None:
                return self._replay(stored.fingerprint, fingerprint, stored.form_lead_id, stored.status, stored.body)
        lead, row = lead_from(submission, self.default_region)
        form_lead_id = uuid.uuid4().hex
        web2text = bool(lead.phone and submission.dealer_id and submission.location_id)
        now = iso_now()
        steps = BASE_STEPS + (SMS_STEPS if web2text else ())
        record = FormLead(
            form_lead_id=form_lead_id,
            lead_id=lead.lead_id,
            created_at=now,
            updated_at=now,
            status="open" if web2text else "received",
            web2text=web2text,
            customer_phone=lead.phone,
            customer_name=" ".join(p for p in (lead.first_name, lead.last_name) if p) or None,
            dealer_id=submission.dealer_id,
            location_id=submission.location_id,
            form_id=submission.form_id,
            page_url=submission.page_url,
            message=submission.message,
            row=row,
            lead=lead,
            steps=list(steps),
            progress={step: FormStep() for step in steps},
            inflight="forward",
        )
        conversation: Conversation | None = None
        if web2text:
            assert lead.phone and submission.dealer_id and submission.location_id
            record.open_key = open_key(lead.phone, submission.dealer_id, submission.location_id)
            location_phone = self.store.location_phone(submission.dealer_id, submission.location_id)
            if location_phone:
                record.location_phone = location_phone
                conversation = self.conversations.open(
                    customer=lead.phone, dealer_phone=location_phone, customer_name=record.customer_name
                )
                record.conversation_id = conversation.conversation_id
                record.pool_number = conversation.pool_number
            else:
                for step in SMS_STEPS:
                    record.progress[step] = FormStep(
                        state=StepState.SKIPPED, error="no phone number on file for this location"
                    )
        answer = FormAnswer(
            lead_id=lead.lead_id,
            form_lead_id=form_lead_id,
            web2text=web2text,
            conversation_id=record.conversation_id,
            pool_number=record.pool_number,
        )
        replaced: str | None = None
        while True:
            try:
                self.store.create(
                    record,
                    idempotency=(idempotency_key, fingerprint, answer) if idempotency_key else None,
                    replace_open=replaced,
                )
                break
            except AnswerExists:
                assert idempotency_key
                first = self.store.answer(idempotency_key)
                assert first is not None
                return self._replay(first.fingerprint, fingerprint, first.form_lead_id, first.status, first.body)
            except OpenLeadExists as exc:
                if not replace or replaced is not None:
                    raise
                replaced = answer.replaced = exc.open_lead_id
        if conversation is not None:
            self.conversations.add_lead(conversation.conversation_id, form_lead_id)
        if replaced is not None:
            old = self.store.form_lead(replaced)
            if old is not None and old.conversation_id:
                self.conversations.remove_lead(old.conversation_id, replaced)
        self._enqueue(form_lead_id, [s for s in steps if record.step(s).state == StepState.PENDING])
        logger.info(
            "form lead accepted",
            form_lead_id=form_lead_id,
            lead_id=lead.lead_id,
            web2text=web2text,
            conversation_id=record.conversation_id,
            replaced=replaced,
        )
        return 202, answer

    def _replay(
        self, stored_fingerprint: str, fingerprint: str, form_lead_id: str, status: int, body: FormAnswer
    ) -> tuple[int, FormAnswer]:
        if stored_fingerprint != fingerprint:
            raise IdempotencyMismatch()
        # the first request may have died between its write and its queue messages: steps that never
        # started go again (the forwarder is idempotent, so a duplicate costs one read)
        record = self.store.form_lead(form_lead_id)
        steps = record.steps if record is not None else []
        unstarted = [
            s for s in steps if record and record.step(s).state == StepState.PENDING and not record.step(s).attempts
        ]
        self._enqueue(form_lead_id, unstarted)
        logger.info("idempotent replay answered", form_lead_id=form_lead_id, requeued=len(unstarted))
        return status, body

    def _enqueue(self, form_lead_id: str, steps: list[str]) -> None:
        if not steps:
            return
        entries = [
            {"Id": step, "MessageBody": FormForward(form_lead_id=form_lead_id, step=step, attempt=1).body()}
            for step in steps
        ]
        response = (self.sqs or sqs_client()).send_message_batch(QueueUrl=self.forwards_queue_url, Entries=entries)
        if response.get("Failed"):
            raise RuntimeError(f"SQS refused forward messages: {response['Failed']}")
