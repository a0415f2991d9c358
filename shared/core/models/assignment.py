"""Emails and agents, as the assignment domain stores them and as agents see them over the WebSocket."""

from __future__ import annotations

import json
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, JsonValue, SerializerFunctionWrapHandler, model_serializer

from shared.core.models._base import _DEFERRED, _shown_when_set

if TYPE_CHECKING:  # only `LeadSnapshot.of` names it: the lead models are not created with these
    from shared.core.models.lead import Lead


class EmailStatus(StrEnum):
    PENDING = "Pending"
    POSITIVE = "Positive Reply"
    NEUTRAL = "Neutral Reply"
    NOT_A_LEAD = "Not a lead"


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


# ---------------------------------------------------------------- the expiry queue's timers


class Timer(BaseModel):
    """An assignment's timer, one per assignment. It names the attempt, so a timer that fires after a
    disposition (or after a transaction that never committed) finds nothing to take back."""

    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)

    email_id: str = Field(min_length=1)
    user_id: str = Field(min_length=1)
    attempt: str = Field(min_length=1)

    def body(self) -> str:
        return self.model_dump_json()


class GraceTimer(BaseModel):
    """The end of an agent's grace after its last connection closed. It names the grace, so a timer that
    fires after the agent came back (and perhaps left again) does nothing."""

    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)

    kind: Literal["grace"] = "grace"
    user_id: str = Field(min_length=1)
    grace: str = Field(min_length=1)

    def body(self) -> str:
        return self.model_dump_json()


def parse_timer(body: str | bytes) -> Timer | GraceTimer:
    """Either kind of timer message (an assignment timer has no `kind`); pydantic's ValidationError, a
    ValueError, for anything else."""
    data = json.loads(body)
    if isinstance(data, dict) and data.get("kind") == "grace":
        return GraceTimer.model_validate(data)
    return Timer.model_validate(data)
