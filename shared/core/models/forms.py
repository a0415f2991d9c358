"""Web-form leads, their forwarding steps, and the SMS conversations between a customer and a dealer."""

from __future__ import annotations

from enum import StrEnum
from typing import Any, Literal

from pydantic import AliasChoices, BaseModel, ConfigDict, Field

from shared.core.models._base import _DEFERRED
from shared.core.models.lead import Lead


class StepState(StrEnum):
    PENDING = "pending"
    SENDING = "sending"
    RETRYING = "retrying"
    DONE = "done"
    SKIPPED = "skipped"
    FAILED = "failed"

    @property
    def is_final(self) -> bool:
        return self in (StepState.DONE, StepState.SKIPPED, StepState.FAILED)


class FormStep(BaseModel):
    """One forward step of a form lead (store, marketing, an SMS): where it stands."""

    model_config = _DEFERRED

    state: StepState = StepState.PENDING
    attempts: int = 0
    #: when it last finished an attempt
    at: str | None = None
    error: str | None = None
    next_attempt_at: str | None = None
    #: what the step produced (a message sid, "queued for storing")
    result: str | None = None
    #: epoch seconds until which the invocation that claimed it holds it
    claimed_until: int | None = None


class FormLead(BaseModel):
    """A lead from a web form, with its forward steps and, for web-to-text, its SMS conversation.

    Stored flat: each step's fields are attributes named `<step>_<field>` (`sms_dealer_state`), so
    that one UpdateItem can claim or finish a step under a condition on its own attributes."""

    model_config = ConfigDict(extra="ignore", defer_build=True)

    form_lead_id: str
    lead_id: str | None = None
    created_at: str
    updated_at: str
    #: open (web-to-text, until closed or replaced), received, closed
    status: str
    web2text: bool = False
    customer_phone: str | None = None
    customer_name: str | None = None
    dealer_id: str | None = None
    location_id: str | None = None
    form_id: str | None = None
    page_url: str | None = None
    message: str | None = None
    #: the submission as one row (header -> text), what the store step sends
    row: dict[str, str] = Field(default_factory=dict)
    lead: Lead | None = None
    steps: list[str] = Field(default_factory=list)
    progress: dict[str, FormStep] = Field(default_factory=dict)
    #: set while a step is unfinished: the key of the sparse `inflight` index
    inflight: str | None = None
    #: (phone, dealer, location) of an open web-to-text lead
    open_key: str | None = None
    location_phone: str | None = None
    conversation_id: str | None = None
    pool_number: str | None = None
    last_message: str | None = None
    last_message_at: str | None = None
    last_message_from: str | None = None
    conversation_status: str | None = None
    replaced_by: str | None = None
    closed_at: str | None = None
    forwarded_at: str | None = None

    def step(self, name: str) -> FormStep:
        return self.progress.get(name) or FormStep()

    @classmethod
    def from_item(cls, item: dict[str, Any]) -> FormLead:
        steps = [str(s) for s in item.get("steps", [])]
        progress = {
            step: {field: item[f"{step}_{field}"] for field in FormStep.model_fields if f"{step}_{field}" in item}
            for step in steps
        }
        return cls.model_validate({**item, "progress": progress})

    def to_item(self) -> dict[str, Any]:
        item = self.model_dump(mode="json", by_alias=True, exclude_none=True, exclude={"progress"})
        for step, state in self.progress.items():
            for field, value in state.model_dump(mode="json", exclude_none=True).items():
                item[f"{step}_{field}"] = value
        return item


class Conversation(BaseModel):
    """An SMS conversation between a customer and a dealer location, on a number of the pool."""

    model_config = ConfigDict(extra="ignore", defer_build=True)

    conversation_id: str
    customer: str
    dealer_phone: str
    pool_number: str
    customer_name: str | None = None
    #: the open form leads it carries (a DynamoDB string set; absent when none is open)
    leads: list[str] = Field(default_factory=list)
    last_message_at: str | None = None
    created_at: str
    updated_at: str | None = None


#: who a text is from or to in a conversation
Party = Literal["customer", "dealer"]


class SmsMessage(BaseModel):
    """One text of a conversation, either way; stored once per Twilio MessageSid."""

    model_config = ConfigDict(extra="ignore", defer_build=True)

    sid: str
    at: str
    direction: Literal["inbound", "outbound"]
    party: Party
    #: "from" in the table and the API (a Python keyword, hence the name)
    from_: str = Field(validation_alias=AliasChoices("from", "from_"), serialization_alias="from")
    to: str
    body: str
    #: the form lead an outbound text was sent for
    lead: str | None = None
    #: the sid of the relay of an inbound text, once sent
    relayed_sid: str | None = None

    def to_item(self) -> dict[str, Any]:
        return self.model_dump(mode="json", by_alias=True, exclude_none=True)

    def public(self) -> dict[str, Any]:
        return self.model_dump(mode="json", by_alias=True, exclude_none=True, exclude={"relayed_sid"})


class FormForward(BaseModel):
    """A message on the form-forwards queue: one step of a form lead (store, marketing, an SMS).

    A step that must wait longer than SQS's longest delay hops: it is re-sent with the same
    `not_before` until that time has come."""

    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)

    form_lead_id: str
    step: str
    attempt: int = Field(ge=1)
    #: epoch seconds before which the step must not run (None: at once)
    not_before: float | None = None

    def body(self) -> str:
        return self.model_dump_json(exclude_none=True)


class FormAnswer(BaseModel):
    """The answer to `POST /leads` (202), kept as the first answer of its Idempotency-Key."""

    model_config = ConfigDict(extra="ignore", defer_build=True)

    lead_id: str
    form_lead_id: str
    status: str = "accepted"
    web2text: bool
    conversation_id: str | None = None
    pool_number: str | None = None
    #: the open lead this one replaced
    replaced: str | None = None


class DealerLocation(BaseModel):
    """A dealer location's phone number, where its web-to-text conversations go."""

    model_config = _DEFERRED

    dealer_id: str
    location_id: str
    #: E.164
    phone: str
    updated_at: str


class TwilioCredentials(BaseModel):
    """The Twilio secret: the account SID and auth token (read when needed: an operator may rotate them)."""

    model_config = ConfigDict(frozen=True, extra="ignore", defer_build=True)

    account_sid: str | None = None
    auth_token: str | None = None
