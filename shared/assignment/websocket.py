"""Reading API Gateway WebSocket events: who is calling (from the $connect authorizer), on which connection."""

from __future__ import annotations

from dataclasses import dataclass
from typing import NotRequired, TypedDict

from pydantic import JsonValue

from shared.assignment.push import encode
from shared.core.auth import Role
from shared.core.errors import Unauthorized
from shared.core.models import AgentReply, ErrorReply, WebSocketIdentity, WebSocketRequest
from shared.core.scopes import may_call


@dataclass(frozen=True)
class Caller:
    user: str
    role: Role
    connection_id: str
    route_key: str


class RouteResponse(TypedDict):
    """A WebSocket route's answer to API Gateway: `body` goes back to the calling connection."""

    statusCode: int
    body: NotRequired[str]


def caller(request: WebSocketRequest) -> Caller:
    """The caller's identity comes from the authorizer's context, never from a message; its role must
    be one the scope table names for the route (only `$connect` has an authorizer on AWS, so this
    check is the one that guards every other route of the connection)."""
    context = request.request_context
    authorizer = context.authorizer or WebSocketIdentity()
    user = authorizer.user or authorizer.principal_id
    route_key = context.route_key or "$default"
    role = authorizer.role
    if not user or role not in {r.value for r in Role} or not may_call(Role(role), route_key):
        raise Unauthorized("this connection carries no identity allowed on this route")
    return Caller(user=user, role=Role(role), connection_id=context.connection_id, route_key=route_key)


def token_expired(request: WebSocketRequest, now: str) -> bool:
    """The connection's token expired after `$connect` (the authorizer put its expiry in the context).

    API Gateway runs the authorizer on `$connect` only, so an open connection would outlive its token
    (up to the 2-hour lifetime); the message handler closes it on its next message instead."""
    authorizer = request.request_context.authorizer
    expires = authorizer.expires_at if authorizer else None
    return bool(expires) and str(expires) <= now


def reply(message: AgentReply, status: int = 200) -> RouteResponse:
    """A route response: API Gateway sends `body` back to the calling connection."""
    return {"statusCode": status, "body": encode(message).decode()}


def error(message: str, **given: JsonValue) -> ErrorReply:
    """A refusal in one sentence; `given` may name the `action` (as sent, even null) and the `email_id`."""
    return ErrorReply.model_validate({"message": message, **given})
