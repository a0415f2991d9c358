"""A lead: a person who may buy, with where they came from; as stored, as read, as events carry it."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from shared.core.models._base import _DEFERRED, iso_now


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
