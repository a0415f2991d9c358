"""WebSocket $connect and $disconnect: the agent's set of connections (none left: a grace, then offline)."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from shared.assignment.presence import presence
from shared.assignment.websocket import caller
from shared.core.models import WebSocketRequest
from shared.core.observability import logger


@logger.inject_lambda_context(correlation_id_path="requestContext.connectionId", clear_state=True)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    request = WebSocketRequest.model_validate(event)
    who = caller(request)
    if who.route_key == "$connect":
        presence().connect(who.user, who.connection_id)
        logger.info("agent connected", agent=who.user)
    else:
        user = presence().disconnect(who.user, who.connection_id)
        logger.info(
            "agent disconnected",
            agent=who.user,
            code=request.request_context.disconnect_status_code,
            status=user.status.value if user else None,
            grace_until=user.grace_until if user else None,
        )
    return {"statusCode": 200}
