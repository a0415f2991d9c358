"""Events on the bus (lead.enriched, email.dispositioned, token.created/revoked), as SQS targets receive them."""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING, Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from shared.core.models.lead import EventLead, LeadRow

if TYPE_CHECKING:
    from pydantic import TypeAdapter


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


@cache
def _bus_events() -> TypeAdapter[LeadEnrichedEvent | EmailDispositionedEvent | TokenEvent]:
    """Built at the first event, not at import (as the models' own validators)."""
    from pydantic import TypeAdapter

    return TypeAdapter(BusEvent)


def bus_event(body: str | bytes) -> LeadEnrichedEvent | EmailDispositionedEvent | TokenEvent:
    """Parse an SQS body that EventBridge delivered; a detail-type of someone else's or a detail that
    does not fit its model raises pydantic's ValidationError."""
    return _bus_events().validate_json(body)
