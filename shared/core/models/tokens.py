"""The body of POST /tokens."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, model_validator

from shared.core.auth import Role, parse_expiry
from shared.core.errors import BadInput


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
