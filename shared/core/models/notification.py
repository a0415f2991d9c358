"""Notices and their delivery records: the digest, the downstream retry, what GET /deliveries shows."""

from __future__ import annotations

from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from shared.core.models._base import _DEFERRED, _shown_when_set
from shared.core.models.lead import EventLead


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
    detail: str | None = _shown_when_set()
    digest: str | None = _shown_when_set()
    status: int | None = _shown_when_set()
    next_attempt_at: str | None = _shown_when_set()


class LeadDeliveries(BaseModel):
    """`GET /deliveries`: a lead's notices and syncs, oldest first."""

    model_config = _DEFERRED

    lead_id: str
    deliveries: list[DeliveryView]
