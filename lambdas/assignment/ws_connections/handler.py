"""WebSocket $connect and $disconnect: the agent's set of connections (none left: a grace, then offline)."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from shared.assignment.settings import presence
from shared.assignment.websocket import caller
from shared.core.observability import logger, metrics


@metrics.log_metrics
@logger.inject_lambda_context(correlation_id_path="requestContext.connectionId", clear_state=True)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    who = caller(event)
    if who.route_key == "$connect":
        presence().connect(who.user, who.connection_id)
        logger.info("agent connected", agent=who.user)
    else:
        user = presence().disconnect(who.user, who.connection_id)
        code = event["requestContext"].get("disconnectStatusCode")
        logger.info(
            "agent disconnected",
            agent=who.user,
            code=code,
            status=(user or {}).get("status"),
            grace_until=(user or {}).get("grace_until"),
        )
    return {"statusCode": 200}
