"""Reading API Gateway WebSocket events: who is calling (from the $connect authorizer), on which connection."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from shared.core.auth import Role
from shared.core.errors import Unauthorized
from shared.core.scopes import may_call


@dataclass(frozen=True)
class Caller:
    user: str
    role: Role
    connection_id: str
    route_key: str


def caller(event: Mapping[str, Any]) -> Caller:
    """The caller's identity comes from the authorizer's context, never from a message; its role must
    be one the scope table names for the route (only `$connect` has an authorizer on AWS, so this
    check is the one that guards every other route of the connection)."""
    context = event.get("requestContext") or {}
    authorizer = context.get("authorizer") or {}
    user = authorizer.get("user") or authorizer.get("principalId")
    route_key = str(context.get("routeKey") or "$default")
    role = authorizer.get("role")
    if not user or role not in {r.value for r in Role} or not may_call(Role(role), route_key):
        raise Unauthorized("this connection carries no identity allowed on this route")
    return Caller(user=str(user), role=Role(role), connection_id=str(context["connectionId"]), route_key=route_key)


def token_expired(event: Mapping[str, Any], now: str) -> bool:
    """The connection's token expired after `$connect` (the authorizer put its expiry in the context).

    API Gateway runs the authorizer on `$connect` only, so an open connection would outlive its token
    (up to the 2-hour lifetime); the message handler closes it on its next message instead."""
    authorizer = (event.get("requestContext") or {}).get("authorizer") or {}
    expires = authorizer.get("expires_at")
    return bool(expires) and str(expires) <= now


def reply(message: Mapping[str, Any], status: int = 200) -> dict[str, Any]:
    """A route response: API Gateway sends `body` back to the calling connection."""
    return {"statusCode": status, "body": json.dumps(message, separators=(",", ":"), ensure_ascii=False)}


def error(message: str, **extra: Any) -> dict[str, Any]:
    return {"type": "error", "message": message, **extra}
