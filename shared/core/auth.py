"""API tokens: created once, shown once, stored as a SHA-256 hash with a role and a user."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Protocol

from pydantic import BaseModel, ConfigDict, Field, model_validator

from shared.core.dynamo import call, from_attr, to_attr
from shared.core.errors import BadInput
from shared.core.models import iso_now

TOKEN_PREFIX = "lf_"


class Role(StrEnum):
    ADMIN = "admin"
    AGENT = "agent"
    INTEGRATION = "integration"


class TokenRequest(BaseModel):
    """The body of POST /tokens."""

    model_config = ConfigDict(extra="forbid")

    role: Role
    user: str | None = Field(
        default=None,
        min_length=1,
        max_length=200,
        description="whom the token is for; required for agents (one identity is one person), "
        "'<role>-user' if left out for the other roles",
    )

    @model_validator(mode="after")
    def _an_agent_is_a_person(self) -> TokenRequest:
        # two agents on one identity would disposition each other's emails
        if self.role is Role.AGENT and not self.user:
            raise ValueError("an agent token needs a user: one identity is one person")
        return self


@dataclass(frozen=True)
class Principal:
    user: str
    role: Role


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def parse_role(value: str) -> Role:
    try:
        return Role(value)
    except ValueError:
        raise BadInput(f"unknown role {value!r}; use one of {', '.join(r.value for r in Role)}") from None


class TokenRecords(Protocol):
    """Token records by hash (`DynamoTokenRecords`; an in-memory one in tests)."""

    def put(self, item: dict[str, Any]) -> None: ...

    def get(self, token_hash: str) -> dict[str, Any] | None: ...


@dataclass
class DynamoTokenRecords:
    table: str

    def put(self, item: dict[str, Any]) -> None:
        call("put_item", TableName=self.table, Item=to_attr(item))

    def get(self, token_hash: str) -> dict[str, Any] | None:
        response = call("get_item", TableName=self.table, Key=to_attr({"token_hash": token_hash}))
        item = response.get("Item")
        return from_attr(item) if item else None


class TokenStore:
    def __init__(self, table: str, records: TokenRecords | None = None) -> None:
        self.table = table
        self.records = records if records is not None else DynamoTokenRecords(table)

    def create(self, *, role: Role, user: str, created_by: str | None = None) -> str:
        """Make a new random token and store only its hash. The caller shows it once."""
        token = TOKEN_PREFIX + secrets.token_urlsafe(32)
        item = {
            "token_hash": hash_token(token),
            "role": role.value,
            "user": user,
            "created_at": iso_now(),
            "created_by": created_by,
        }
        self.records.put(item)
        return token

    def lookup(self, token: str) -> Principal | None:
        if not token.startswith(TOKEN_PREFIX) or len(token) > 200:
            return None
        data = self.records.get(hash_token(token))
        if not data:
            return None
        return Principal(user=data["user"], role=Role(data["role"]))
