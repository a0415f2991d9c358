"""The domain models every Lambda shares: Lead, Email, User, and the Job around an upload."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import (
    AliasChoices,
    BaseModel,
    ConfigDict,
    Field,
    JsonValue,
    SerializerFunctionWrapHandler,
    model_serializer,
    model_validator,
)

from shared.core.auth import Role, parse_expiry
from shared.core.clock import iso_now as iso_now  # the domain's clock, re-exported
from shared.core.clock import utc_now as utc_now
from shared.core.errors import BadInput

#: Every model here builds its validator at first use, not at import (`defer_build`): each function
#: uses a few of them, and building all of them took about 20 ms (CPU) of every cold start.
_DEFERRED = ConfigDict(defer_build=True)


class LeadStatus(StrEnum):
    NEW = "new"
    CONTACTED = "contacted"
    QUALIFIED = "qualified"
    DISQUALIFIED = "disqualified"


class Lead(BaseModel):
    """A person who may buy, with where they came from."""

    model_config = ConfigDict(populate_by_name=True, extra="forbid", defer_build=True)

    lead_id: str
    first_name: str | None = None
    last_name: str | None = None
    email: str | None = None
    phone: str | None = None
    company: str | None = None
    title: str | None = None
    country: str | None = None
    source: str = "upload"
    job_id: str | None = None
    file: str | None = None
    worksheet: str | None = Field(default=None, alias="_worksheet")
    row: int | None = None
    dealer_id: str | None = None
    location_id: str | None = None
    dedupe_key: str | None = None
    status: LeadStatus = LeadStatus.NEW
    attributes: dict[str, str] = Field(default_factory=dict)
    #: every place this person was seen ("upload:<job>", "phone:<call>", ...); the first is `source`
    sources: list[str] = Field(default_factory=list)
    #: what the rules found wrong (an invalid email kept in attributes, an unknown country, ...)
    problems: list[str] = Field(default_factory=list)
    #: fields an LLM filled from this lead's own cells (grounded), for review
    llm_fields: list[str] = Field(default_factory=list)
    #: the job/batch that created the lead: a replay of that batch counts it as stored, not duplicate
    first_batch: str | None = None
    created_at: str = Field(default_factory=iso_now)
    updated_at: str | None = None

    @staticmethod
    def id_for(job_id: str, worksheet: str | None, row: int) -> str:
        """The same row of the same job always gets the same id, so a redelivery overwrites itself."""
        digest = hashlib.sha256(f"{job_id}\x1f{worksheet or ''}\x1f{row}".encode()).hexdigest()
        return digest[:32]

    def to_item(self) -> dict[str, Any]:
        return self.model_dump(by_alias=True, exclude_none=True, mode="json")


class EmailStatus(StrEnum):
    PENDING = "Pending"
    POSITIVE = "Positive Reply"
    NEUTRAL = "Neutral Reply"
    NOT_A_LEAD = "Not a lead"


def _is_none(value: object) -> bool:
    return value is None


def _shown_when_set(description: str | None = None) -> Any:
    """A field left out of a dump while None (others show None as null)."""
    return Field(default=None, exclude_if=_is_none, description=description)


class Email(BaseModel):
    """An inbound message from a lead that an agent must read and classify, as agents and admins see it.

    The first eight fields are always shown (null when unknown); the held email's `assigned_to`,
    `assigned_at`, `expires_at` and the count of take-backs `expiries` only when set."""

    model_config = _DEFERRED

    email_id: str
    lead_id: str | None = None
    sender: str
    subject: str | None = None
    body: str | None = None
    received_at: str
    status: EmailStatus = EmailStatus.PENDING
    lead: LeadSnapshot | None = Field(default=None, description="the lead as its lead.enriched event had it")
    assigned_to: str | None = _shown_when_set("the agent holding it")
    assigned_at: str | None = _shown_when_set()
    expires_at: str | None = _shown_when_set("when the agent's time to act runs out")
    expiries: int | None = _shown_when_set("how often an agent's time to act ran out on it")

    def public(self) -> Email:
        """This email without the table's bookkeeping (an `EmailRecord` has more)."""
        return Email.model_validate({name: getattr(self, name) for name in Email.model_fields})


class UserStatus(StrEnum):
    OFFLINE = "offline"
    AWAY = "away"
    BUSY = "busy"
    ONLINE = "online"


class User(BaseModel):
    """An agent as the users table keeps it: status, the WebSocket connections it holds, its current work.

    `available` and `idle_key` are set only while online and free (the sparse index of free agents);
    `grace` and `grace_until` while it has no connection left but may still come back as it was."""

    model_config = ConfigDict(extra="ignore", defer_build=True)

    user_id: str
    kind: Literal["agent"] | None = None
    status: UserStatus = UserStatus.OFFLINE
    #: a string set in the table, absent when empty
    connections: list[str] = Field(default_factory=list)
    current_email_id: str | None = None
    current_attempt: str | None = None
    #: "" when the held email has no lead
    current_lead_id: str | None = None
    current_assigned_at: str | None = None
    last_assigned_at: str | None = None
    available: str | None = None
    idle_key: str | None = None
    grace: str | None = None
    grace_until: str | None = None
    updated_at: str | None = None

    def to_item(self) -> dict[str, Any]:
        """The item as `dynamo.to_attr` takes it (connections a set, left out when empty)."""
        item = self.model_dump(mode="json", exclude_none=True, exclude={"connections"})
        if self.connections:
            item["connections"] = set(self.connections)
        return item


class JobStatus(StrEnum):
    UPLOADING = "uploading"
    UPLOADED = "uploaded"
    PROCESSING = "processing"
    COMPLETED = "completed"
    FAILED = "failed"
    CANCELLED = "cancelled"

    @property
    def is_final(self) -> bool:
        return self in (JobStatus.COMPLETED, JobStatus.FAILED, JobStatus.CANCELLED)


class Rejection(BaseModel):
    model_config = _DEFERRED

    worksheet: str | None = None
    row: int
    reason: str


class Job(BaseModel):
    """An upload's progress. Counters are updated atomically by the functions that do the work."""

    model_config = _DEFERRED

    job_id: str
    status: JobStatus
    filename: str
    source: str = "upload"
    object_key: str | None = None
    size_bytes: int | None = None
    rows_total: int = 0
    leads_stored: int = 0
    rows_rejected: int = 0
    leads_duplicate: int = 0
    llm_calls: int = 0
    #: true while no LLM took part (none configured, or the rules needed none)
    rules_only: bool = True
    batches_total: int | None = None
    batches_done: int = 0
    rejections: list[Rejection] = Field(default_factory=list)
    error: str | None = None
    created_by: str | None = None
    created_at: str = Field(default_factory=iso_now)
    updated_at: str = Field(default_factory=iso_now)

    def public(self) -> dict[str, Any]:
        """The job object the API and the CLI show."""
        return self.model_dump(mode="json")


class Call(BaseModel):
    """A phone call from Amazon Connect, stored once per ContactId with the vanity numbers it got."""

    model_config = _DEFERRED

    contact_id: str
    #: E.164
    caller: str
    #: the one partition of the time-ordered `recent` index
    kind: Literal["call"] = "call"
    called_at: str
    vanity: list[str]
    #: how a contact flow reads each vanity number aloud
    speech: list[str]
    #: the caller's numbers came from an earlier call within the window
    reused: bool = False
    expires_at: int | None = None

    def to_item(self) -> dict[str, Any]:
        return self.model_dump(mode="json", exclude_none=True)


class RecentCaller(BaseModel):
    """A call as `GET /callers` shows it."""

    model_config = _DEFERRED

    caller: str
    called_at: str
    contact_id: str
    vanity: list[str]
    reused: bool

    @classmethod
    def of(cls, call: Call) -> RecentCaller:
        return cls.model_validate(call.model_dump(include=set(cls.model_fields)))


class RecentCallers(BaseModel):
    model_config = _DEFERRED

    callers: list[RecentCaller]


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


# ---------------------------------------------------------------- messages between functions


class BatchRow(BaseModel):
    """One raw row on the lead-batches queue. Short names: SQS bills every 64 KB of a message."""

    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)

    #: the worksheet (None for CSV, JSON, a call or a form)
    w: str | None = None
    #: the row number a person sees in the file
    r: int
    #: header -> cell text, as read
    v: dict[str, str]


class LeadBatch(BaseModel):
    """A message on the lead-batches queue: rows for the store step, of one job or of a job-less
    source (a phone call, a web form), whose `batch_id` then keys the leads it makes."""

    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)

    job_id: str | None = None
    batch_id: str
    source: str = "upload"
    file: str | None = None
    rows: list[BatchRow]

    def body(self) -> str:
        return self.model_dump_json(exclude_none=False)


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


# ---------------------------------------------------------------- an agent's WebSocket messages


class SetStatus(BaseModel):
    """`{"action": "setStatus", "status": "online"}`; the engine checks the status itself."""

    model_config = ConfigDict(extra="ignore", defer_build=True)

    action: Literal["setStatus"]
    status: str = ""


class Disposition(BaseModel):
    """`{"action": "disposition", "email_id": "em_...", "disposition": "Positive Reply"}`."""

    model_config = ConfigDict(extra="ignore", defer_build=True)

    action: Literal["disposition"]
    email_id: str = Field(min_length=1)
    disposition: str = ""


class Resume(BaseModel):
    """What a client sends after each (re)connect."""

    model_config = ConfigDict(extra="ignore", defer_build=True)

    action: Literal["resume"]


class Ping(BaseModel):
    """The clients' heartbeat (API Gateway's idle timer counts messages, not ping frames)."""

    model_config = ConfigDict(extra="ignore", defer_build=True)

    action: Literal["ping"]


#: what an agent may send; API Gateway routes on `action` (`$request.body.action`)
AgentMessage = Annotated[SetStatus | Disposition | Resume | Ping, Field(discriminator="action")]


# ---------------------------------------------------------------- events on the bus


class LeadRow(BaseModel):
    """One accepted row of a lead, with its own cells. Several rows (several messages from one sender)
    can be one lead; the assignment domain makes an email of each row that carries a message."""

    model_config = ConfigDict(populate_by_name=True, extra="ignore", defer_build=True)

    lead_id: str
    worksheet: str | None = Field(default=None, alias="_worksheet")
    row: int | None = None
    attributes: dict[str, str] = Field(default_factory=dict)


class EventLead(Lead):
    """A lead as an event carries it: a lead grown large by merges goes without its merged attributes
    and, if need be, some of its sightings; `omitted` names what was left out."""

    omitted: list[str] = Field(default_factory=list)


class LeadEnriched(BaseModel):
    """The detail of `lead.enriched`: a batch's stored leads, each with the rows it was seen in."""

    model_config = ConfigDict(extra="ignore", defer_build=True)

    job_id: str | None = None
    source: str = "upload"
    leads: list[EventLead] = Field(default_factory=list)
    #: None in events from before rows were carried: then each lead is one email
    rows: list[LeadRow] | None = None


class EmailDispositioned(BaseModel):
    """The detail of `email.dispositioned`: an agent's verdict on an email."""

    model_config = ConfigDict(extra="ignore", defer_build=True)

    email_id: str
    lead_id: str | None = None
    disposition: str
    agent: str
    #: the lead, when the publisher has it at hand (the qualified-lead notice shows its fields)
    lead: EventLead | None = None


class TokenAudit(BaseModel):
    """The detail of `token.created` and `token.revoked` (and the audit log line of each)."""

    model_config = ConfigDict(extra="ignore", defer_build=True)

    action: Literal["token.created", "token.revoked"]
    token_id: str | None = None
    user: str | None = None
    role: str | None = None
    by: str | None = None
    at: str | None = None
    expires_at: str | None = None
    #: a revocation's connections to close, and which of them were still in their `$connect`
    connection_ids: list[str] | None = None
    just_opened: list[str] | None = None
    repeated: bool | None = None


class _BusEnvelope(BaseModel):
    """EventBridge's envelope as an SQS target receives it (the fields we read)."""

    model_config = ConfigDict(populate_by_name=True, extra="ignore", defer_build=True)

    id: str | None = None
    time: str | None = None
    source: str | None = None


class LeadEnrichedEvent(_BusEnvelope):
    detail_type: Literal["lead.enriched"] = Field(alias="detail-type")
    detail: LeadEnriched


class EmailDispositionedEvent(_BusEnvelope):
    detail_type: Literal["email.dispositioned"] = Field(alias="detail-type")
    detail: EmailDispositioned


class TokenEvent(_BusEnvelope):
    detail_type: Literal["token.created", "token.revoked"] = Field(alias="detail-type")
    detail: TokenAudit


#: an event of ours as a queue subscribed to the bus receives it, told apart by its detail-type
BusEvent = Annotated[LeadEnrichedEvent | EmailDispositionedEvent | TokenEvent, Field(discriminator="detail_type")]

_bus_events: Any = None


def bus_event(body: str | bytes) -> LeadEnrichedEvent | EmailDispositionedEvent | TokenEvent:
    """Parse an SQS body that EventBridge delivered; a detail-type of someone else's or a detail that
    does not fit its model raises pydantic's ValidationError."""
    global _bus_events
    if _bus_events is None:
        from pydantic import TypeAdapter

        _bus_events = TypeAdapter(BusEvent)
    event: LeadEnrichedEvent | EmailDispositionedEvent | TokenEvent = _bus_events.validate_json(body)
    return event


# ---------------------------------------------------------------- enrichment and ingestion

#: a JSON object as an LLM (or any JSON text) gives it, before a model has read it
JsonObject = dict[str, JsonValue]


class StoredLead(BaseModel):
    """A lead as the leads table holds it: the lead, and the version its conditional writes check."""

    model_config = _DEFERRED

    lead: Lead
    #: how often the item was written; 0 for a lead not stored yet
    version: int = 0

    @classmethod
    def from_item(cls, item: Mapping[str, Any]) -> StoredLead:
        """The item's lead fields (index keys such as `kind` and `email_key` left out) and its version."""
        fields = {k: v for k, v in item.items() if k in Lead.model_fields or k == "_worksheet"}
        return cls(lead=Lead.model_validate(fields), version=int(item.get("version", 0)))


class LeadPage(BaseModel):
    """A page of `GET /leads`: the leads, and the cursor of the next page (None on the last)."""

    model_config = _DEFERRED

    leads: list[Lead] = Field(default_factory=list)
    next_cursor: str | None = None

    def public(self) -> dict[str, Any]:
        """The page as the API shows it: each lead as stored (no None fields), `next_cursor` always."""
        return {"leads": [lead.to_item() for lead in self.leads], "next_cursor": self.next_cursor}


class PresignedPost(BaseModel):
    """Where and how a client sends its file straight to S3: a form POST to `url` with `fields`."""

    model_config = _DEFERRED

    url: str
    fields: dict[str, str]
    method: Literal["POST"] = "POST"


class PresignedUpload(BaseModel):
    """The answer of `POST /uploads/presign`: the job made for the file, and the form to send it with."""

    model_config = _DEFERRED

    job_id: str
    status: JobStatus
    upload: PresignedPost
    max_bytes: int
    expires_in: int


# ---------------------------------------------------------------- notification


class DigestDue(BaseModel):
    """A message the burst gate sends to the notifications queue: the digest of a window is due."""

    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)

    kind: Literal["digest"]
    #: epoch seconds, the start of the window (a multiple of its length)
    window_start: int
    window_s: int = Field(gt=0)

    def body(self) -> str:
        return self.model_dump_json()


class DownstreamRetry(BaseModel):
    """A message the downstream sync sends to its own queue: leads to POST again, not before `not_before`.

    A wait longer than SQS's longest delay is several hops of the same message."""

    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)

    kind: Literal["retry"]
    #: each as its `lead.enriched` event carried it (dumped with `exclude_unset`)
    leads: list[EventLead]
    attempt: int = Field(ge=1)
    #: epoch seconds
    not_before: float

    def body(self) -> str:
        # `exclude_unset` reaches the leads: each keeps the fields its event gave it, no defaults added
        return self.model_dump_json(by_alias=True, exclude_unset=True)


class DownstreamEndpoint(BaseModel):
    """The downstream sync's secret: where to POST, and the key that signs each request."""

    model_config = ConfigDict(frozen=True, extra="ignore", defer_build=True)

    url: str | None = None
    signing_key: str | None = None


class DeliveryState(StrEnum):
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"
    UNCERTAIN = "uncertain"
    DIGESTED = "digested"
    GAVE_UP = "gave_up"


class DeliveryRecord(BaseModel):
    """One delivery record: a (lead or digest, `<notice>#<channel>`) and where its call stands."""

    model_config = ConfigDict(extra="ignore", defer_build=True)

    #: the lead's id, or `digest#<window start>`
    lead_id: str
    #: `<notice kind>#<channel>`: `new#slack`, `qualified:<email id>#email`, `sync#downstream`, ...
    delivery: str
    state: DeliveryState | None = None
    attempt_id: str | None = None
    attempts: int = 0
    #: epoch seconds, while an invocation holds the record (`sending`)
    lease_until: float | None = None
    first_at: float | None = None
    updated_at: float | None = None
    #: the receiver's HTTP status
    status: int | None = None
    detail: str | None = None
    #: the digest a lead went into (`digest#<window start>`)
    digest: str | None = None
    next_attempt_at: float | None = None


def _absent_if_none(value: object) -> bool:
    return value is None


class DeliveryView(BaseModel):
    """A delivery record as `GET /deliveries` and `GET /leads/{id}` show it; times are ISO 8601 (UTC)."""

    model_config = _DEFERRED

    notice: str
    channel: str
    state: DeliveryState | None
    attempts: int
    first_at: str | None
    updated_at: str | None
    #: these four are left out when empty
    detail: str | None = Field(default=None, exclude_if=_absent_if_none)
    digest: str | None = Field(default=None, exclude_if=_absent_if_none)
    status: int | None = Field(default=None, exclude_if=_absent_if_none)
    next_attempt_at: str | None = Field(default=None, exclude_if=_absent_if_none)


class LeadDeliveries(BaseModel):
    """`GET /deliveries`: a lead's notices and syncs, oldest first."""

    model_config = _DEFERRED

    lead_id: str
    deliveries: list[DeliveryView]


# ---------------------------------------------------------------- forms


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


# ---------------------------------------------------------------- tokens


class TokenRequest(BaseModel):
    """The body of POST /tokens."""

    model_config = ConfigDict(extra="forbid", defer_build=True)

    role: Role
    user: str | None = Field(
        default=None,
        min_length=1,
        max_length=200,
        description="whom the token is for; required for agents (one identity is one person), "
        "'<role>-user' if left out for the other roles",
    )
    expires: str | None = Field(
        default=None,
        min_length=1,
        max_length=40,
        description="when it stops working: a duration (30m, 12h, 30d, 2w) or an ISO date/time (UTC unless it "
        "names a zone), at most 366 days away; the stage's default (token_expiry_days) if left out",
    )

    @model_validator(mode="after")
    def _an_agent_is_a_person(self) -> TokenRequest:
        # two agents on one identity would disposition each other's emails
        if self.role is Role.AGENT and not self.user:
            raise ValueError("an agent token needs a user: one identity is one person")
        if self.expires is not None:
            try:
                parse_expiry(self.expires)
            except BadInput as exc:
                raise ValueError(exc.message) from None
        return self


# ---------------------------------------------------------------- assignment


class LeadSnapshot(BaseModel):
    """The lead an email came from, as its lead.enriched event had it (only the fields it had)."""

    model_config = ConfigDict(extra="ignore", defer_build=True)

    lead_id: str | None = _shown_when_set()
    first_name: str | None = _shown_when_set()
    last_name: str | None = _shown_when_set()
    email: str | None = _shown_when_set()
    phone: str | None = _shown_when_set()
    company: str | None = _shown_when_set()
    title: str | None = _shown_when_set()
    country: str | None = _shown_when_set()
    source: str | None = _shown_when_set()
    job_id: str | None = _shown_when_set()
    file: str | None = _shown_when_set()
    row: int | None = _shown_when_set()

    @classmethod
    def of(cls, lead: Lead) -> LeadSnapshot:
        return cls.model_validate(lead.model_dump(include=set(cls.model_fields), exclude_none=True))


class EmailRecord(Email):
    """An email as the emails table keeps it: the public email and the line's bookkeeping.

    `queue` only while it waits for an agent (the sparse index of the line, ordered by `queue_key`
    = `received_at#email_id`); `open` while Pending; `attempt` while held; `pending_since` for the
    pending-to-assigned latency."""

    model_config = ConfigDict(extra="ignore", defer_build=True)

    kind: Literal["email"] | None = None
    queue: str | None = None
    open: str | None = None
    queue_key: str
    pending_since: str | None = None
    created_at: str | None = None
    attempt: str | None = None
    dispositioned_at: str | None = None
    dispositioned_by: str | None = None

    def to_item(self) -> dict[str, Any]:
        return self.model_dump(mode="json", exclude_none=True)


class QueuedEmail(Email):
    """An email of `GET /emails`: Pending, held or not."""

    waiting: bool = Field(description="in line for an agent (nobody holds it)")

    @classmethod
    def of(cls, email: EmailRecord) -> QueuedEmail:
        return cls(**dict(email.public()), waiting=email.queue is not None)


class EmailPage(BaseModel):
    """`GET /emails`: a page of the queue in received order."""

    model_config = _DEFERRED

    emails: list[QueuedEmail]
    next: str | None = Field(description="pass as `next` for the following page; null on the last")


class AgentView(BaseModel):
    """An agent as `GET /agents` shows it."""

    model_config = _DEFERRED

    user_id: str
    status: UserStatus
    connections: int = Field(description="how many WebSocket connections it has open")
    current_email_id: str | None
    last_assigned_at: str | None
    grace_until: str | None = Field(description="set while it has no connection but keeps status and email until then")

    @classmethod
    def of(cls, user: User) -> AgentView:
        return cls(
            user_id=user.user_id,
            status=user.status,
            connections=len(user.connections),
            current_email_id=user.current_email_id,
            last_assigned_at=user.last_assigned_at,
            grace_until=user.grace_until,
        )


class Agents(BaseModel):
    model_config = _DEFERRED

    agents: list[AgentView]


# what an agent's connection is sent: pushes, and the answers to its messages


class Assigned(BaseModel):
    """An email is the agent's now; it has `timeout_s` (until `expires_at`) to disposition it."""

    model_config = _DEFERRED

    type: Literal["assigned"] = "assigned"
    email: Email
    attempt: str
    assigned_at: str
    expires_at: str
    timeout_s: int


class StatusReply(BaseModel):
    """The agent's status and the email it holds (null: none); `attempt` while it holds one."""

    model_config = _DEFERRED

    type: Literal["status"] = "status"
    status: UserStatus
    email: Email | None = None
    expires_at: str | None = None
    timeout_s: int
    attempt: str | None = _shown_when_set()
    #: a note on what happened (e.g. "you still hold this email")
    message: str | None = _shown_when_set()


class Dispositioned(BaseModel):
    """A disposition was recorded; `assigned`, when another email went to the agent in the same step."""

    model_config = _DEFERRED

    type: Literal["dispositioned"] = "dispositioned"
    email_id: str
    disposition: EmailStatus
    assigned: Assigned | None = _shown_when_set()


class Expired(BaseModel):
    """The time to act ran out: the email went back to the queue and the agent is offline."""

    model_config = _DEFERRED

    type: Literal["expired"] = "expired"
    email_id: str
    status: UserStatus
    message: str


class Pong(BaseModel):
    model_config = _DEFERRED

    type: Literal["pong"] = "pong"
    at: str


class ErrorReply(BaseModel):
    """A refused message, in one sentence; `action` (the message's own, as sent, even null) and
    `email_id` are shown only when given."""

    model_config = _DEFERRED

    type: Literal["error"] = "error"
    action: JsonValue = None
    email_id: str | None = None
    message: str

    @model_serializer(mode="wrap")
    def _given_only(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        data: dict[str, Any] = handler(self)
        return {k: v for k, v in data.items() if k in ("type", "message") or k in self.model_fields_set}


#: what an agent's connection is sent, told apart by `type`
AgentReply = Annotated[
    Assigned | StatusReply | Dispositioned | Expired | Pong | ErrorReply, Field(discriminator="type")
]


class WebSocketIdentity(BaseModel):
    """What the `$connect` authorizer put in the context, which API Gateway passes to every route."""

    # API Gateway passes context values as strings, numbers or booleans
    model_config = ConfigDict(populate_by_name=True, extra="ignore", coerce_numbers_to_str=True, defer_build=True)

    user: str | None = None
    principal_id: str | None = Field(default=None, alias="principalId")
    role: str | None = None
    token_id: str | None = None
    expires_at: str | None = None


class WebSocketContext(BaseModel):
    model_config = ConfigDict(populate_by_name=True, extra="ignore", defer_build=True)

    connection_id: str = Field(alias="connectionId")
    route_key: str | None = Field(default=None, alias="routeKey")
    request_id: str | None = Field(default=None, alias="requestId")
    authorizer: WebSocketIdentity | None = None
    disconnect_status_code: int | None = Field(default=None, alias="disconnectStatusCode")


class WebSocketRequest(BaseModel):
    """An API Gateway WebSocket event, as a route's function receives it (the fields we read)."""

    model_config = ConfigDict(populate_by_name=True, extra="ignore", defer_build=True)

    request_context: WebSocketContext = Field(alias="requestContext")
    body: str | None = None
