"""What goes over the agents' WebSocket (their messages, the replies and pushes they get, API Gateway's
event) and the timers on the expiry queue: the models of the functions that run the line."""

from __future__ import annotations

import json
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, JsonValue, SerializerFunctionWrapHandler, model_serializer

from shared.core.models._base import _DEFERRED, _shown_when_set
from shared.core.models.assignment import Email, EmailStatus, UserStatus


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
