"""Calls to the vanity number and the recent callers."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel

from shared.core.models._base import _DEFERRED


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
