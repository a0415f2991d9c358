"""WebSocket messages: `setStatus`, `disposition`, `resume`, `ping` (and anything else, answered with an error).

`resume` is what a client sends after each (re)connect: the agent's state back, and an online agent
back in the line of free agents. `ping` is the clients' heartbeat (API Gateway's idle timer counts
messages only, not protocol ping frames).

Every answer goes back to the caller as the route response; a bad request gets a clear error and
the socket stays open.
"""

from __future__ import annotations

import json
from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from shared.assignment.push import ApiGatewayPusher
from shared.assignment.settings import EngineEnv, engine
from shared.assignment.websocket import caller, error, reply, token_expired
from shared.core.auth import iso
from shared.core.errors import BadInput
from shared.core.models import iso_now, utc_now
from shared.core.observability import logger, metrics
from shared.core.settings import load

ACTIONS = ("setStatus", "disposition", "resume", "ping")


def _answer(route: str, body: dict[str, Any], user: str, connection_id: str) -> dict[str, Any]:
    if route == "ping":
        return {"type": "pong", "at": iso_now()}
    if route == "resume":
        return engine(with_events=True).resume(user, connection_id)
    if route == "setStatus":
        return engine(with_events=True).set_status(user, str(body.get("status") or ""), connection_id)
    if route == "disposition":
        email_id = body.get("email_id")
        if not isinstance(email_id, str) or not email_id:
            raise BadInput("a disposition needs the email_id it is for")
        return engine(with_events=True).dispose(user, email_id, str(body.get("disposition") or ""), connection_id)
    action = body.get("action")
    raise BadInput(f"unknown action {action!r}; use one of {', '.join(ACTIONS)}")


@metrics.log_metrics
@logger.inject_lambda_context(correlation_id_path="requestContext.requestId", clear_state=True)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    who = caller(event)
    if token_expired(event, iso(utc_now())):
        # the token expired while the connection was open: it ends here (the agent's presence follows
        # from $disconnect, as for any close); a new token connects again
        ApiGatewayPusher(load(EngineEnv).WEBSOCKET_ENDPOINT).close(who.connection_id)
        logger.info("connection closed: its token expired", agent=who.user)
        return reply(error("your token has expired; connect again with a new one"))
    try:
        body = json.loads(event.get("body") or "")
    except ValueError:
        body = None
    if not isinstance(body, dict):
        return reply(error(f"send a JSON object with an action: {', '.join(ACTIONS)}"))
    try:
        return reply(_answer(who.route_key, body, who.user, who.connection_id))
    except BadInput as exc:
        logger.info("bad message", agent=who.user, reason=exc.message)
        return reply(error(exc.message, action=body.get("action")))
