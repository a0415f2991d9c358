"""Emails and agents as the assignment domain stores them, and as GET /emails and GET /agents show them.

What goes over the agents' WebSocket and the expiry queue's timers is in `websocket`: the two admin
routes create none of it."""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

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
