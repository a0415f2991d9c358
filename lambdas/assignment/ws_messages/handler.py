"""WebSocket messages: `setStatus`, `disposition`, `resume`, `ping` (and anything else, answered with an error).

`resume` is what a client sends after each (re)connect: the agent's state back, and an online agent
back in the line of free agents. `ping` is the clients' heartbeat (API Gateway's idle timer counts
messages only, not protocol ping frames).

Every answer goes back to the caller as the route response; a bad request gets a clear error and
the socket stays open.
"""

from __future__ import annotations

import json
from functools import cache
from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import TypeAdapter, ValidationError

from shared.assignment.build import engine
from shared.assignment.push import ApiGatewayPusher
from shared.assignment.settings import EngineEnv
from shared.assignment.websocket import RouteResponse, caller, error, reply, token_expired
from shared.core.auth import iso
from shared.core.errors import BadInput
from shared.core.models import (
    AgentMessage,
    Dispositioned,
    ErrorReply,
    Ping,
    Pong,
    Resume,
    SetStatus,
    StatusReply,
    WebSocketRequest,
    iso_now,
    utc_now,
)
from shared.core.observability import logger, metrics
from shared.core.settings import load

ACTIONS = ("setStatus", "disposition", "resume", "ping")


@cache
def messages() -> TypeAdapter[AgentMessage]:
    """Built at the first message, not at the cold start."""
    return TypeAdapter(AgentMessage)


def parse(body: dict[str, Any]) -> AgentMessage:
    """The message as its model; `BadInput` with one sentence when it is none of them."""
    action = body.get("action")
    if action not in ACTIONS:
        raise BadInput(f"unknown action {action!r}; use one of {', '.join(ACTIONS)}")
    try:
        return messages().validate_python(body)
    except ValidationError as exc:
        if action == "disposition" and any(e["loc"][-1] == "email_id" for e in exc.errors()):
            raise BadInput("a disposition needs the email_id it is for") from None
        fields = ", ".join(str(e["loc"][-1]) for e in exc.errors())
        raise BadInput(f"{action}: {fields} must be text") from None


def _answer(message: AgentMessage, user: str, connection_id: str) -> Pong | StatusReply | Dispositioned | ErrorReply:
    if isinstance(message, Ping):
        return Pong(at=iso_now())
    if isinstance(message, Resume):
        return engine(with_events=True).resume(user, connection_id)
    if isinstance(message, SetStatus):
        return engine(with_events=True).set_status(user, message.status, connection_id)
    return engine(with_events=True).dispose(user, message.email_id, message.disposition, connection_id)


@metrics.log_metrics
@logger.inject_lambda_context(correlation_id_path="requestContext.requestId", clear_state=True)
def handler(event: dict[str, Any], context: LambdaContext) -> RouteResponse:
    request = WebSocketRequest.model_validate(event)
    who = caller(request)
    if token_expired(request, iso(utc_now())):
        # the token expired while the connection was open: it ends here (the agent's presence follows
        # from $disconnect, as for any close); a new token connects again
        ApiGatewayPusher(load(EngineEnv).WEBSOCKET_ENDPOINT).close(who.connection_id)
        logger.info("connection closed: its token expired", agent=who.user)
        return reply(error("your token has expired; connect again with a new one"))
    try:
        body = json.loads(request.body or "")
    except ValueError:
        body = None
    if not isinstance(body, dict):
        return reply(error(f"send a JSON object with an action: {', '.join(ACTIONS)}"))
    try:
        return reply(_answer(parse(body), who.user, who.connection_id))
    except BadInput as exc:
        logger.info("bad message", agent=who.user, reason=exc.message)
        return reply(error(exc.message, action=body.get("action")))
