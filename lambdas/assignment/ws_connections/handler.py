"""WebSocket $connect and $disconnect: the agent's set of connections (none left: offline)."""

from __future__ import annotations

from functools import cache
from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from shared.assignment.intake import iso
from shared.assignment.repository import AssignmentRepository
from shared.assignment.settings import UsersEnv
from shared.assignment.websocket import caller
from shared.core.models import utc_now
from shared.core.observability import logger, metrics
from shared.core.settings import load


@cache
def repository() -> AssignmentRepository:
    return AssignmentRepository(load(UsersEnv).USERS_TABLE, emails_table="")


@metrics.log_metrics
@logger.inject_lambda_context(correlation_id_path="requestContext.connectionId", clear_state=True)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    who = caller(event)
    now = iso(utc_now())
    if who.route_key == "$connect":
        repository().add_connection(who.user, who.connection_id, now)
        logger.info("agent connected", agent=who.user)
    else:
        user = repository().remove_connection(who.user, who.connection_id, now)
        code = event["requestContext"].get("disconnectStatusCode")
        logger.info("agent disconnected", agent=who.user, code=code, status=(user or {}).get("status"))
    return {"statusCode": 200}
