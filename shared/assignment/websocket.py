"""Reading API Gateway WebSocket events: who is calling (from the $connect authorizer), on which connection."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from shared.core.auth import Role
from shared.core.errors import Unauthorized

#: who may hold an agent's connection
AGENT_ROLES = (Role.AGENT, Role.ADMIN)


@dataclass(frozen=True)
class Caller:
    user: str
    role: Role
    connection_id: str
    route_key: str


def caller(event: Mapping[str, Any]) -> Caller:
    """The caller's identity comes from the authorizer's context, never from a message."""
    context = event.get("requestContext") or {}
    authorizer = context.get("authorizer") or {}
    user = authorizer.get("user") or authorizer.get("principalId")
    if not user or authorizer.get("role") not in {r.value for r in AGENT_ROLES}:
        raise Unauthorized("this connection carries no agent identity")
    return Caller(
        user=str(user),
        role=Role(authorizer["role"]),
        connection_id=str(context["connectionId"]),
        route_key=str(context.get("routeKey") or "$default"),
    )


def reply(message: Mapping[str, Any], status: int = 200) -> dict[str, Any]:
    """A route response: API Gateway sends `body` back to the calling connection."""
    return {"statusCode": status, "body": json.dumps(message, separators=(",", ":"), ensure_ascii=False)}


def error(message: str, **extra: Any) -> dict[str, Any]:
    return {"type": "error", "message": message, **extra}
