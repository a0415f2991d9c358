"""GET /emails?status=Pending[&limit=50][&next=...]: the queue in received order, with who holds each (admin)."""

from __future__ import annotations

from functools import cache
from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from shared.assignment.intake import public_email
from shared.assignment.repository import AssignmentRepository
from shared.assignment.settings import EmailsEnv
from shared.core.api import make_resolver, require_role
from shared.core.auth import Role
from shared.core.errors import BadInput
from shared.core.models import EmailStatus
from shared.core.observability import logger, metrics
from shared.core.settings import load

MAX_LIST = 200
app = make_resolver()


@cache
def repository() -> AssignmentRepository:
    return AssignmentRepository(users_table="", emails_table=load(EmailsEnv).EMAILS_TABLE)


@app.get("/emails")
def emails() -> dict[str, Any]:
    require_role(app, Role.ADMIN)
    status = app.current_event.get_query_string_value("status") or EmailStatus.PENDING.value
    if status != EmailStatus.PENDING.value:
        raise BadInput("only the queue is listed: use status=Pending")
    raw = app.current_event.get_query_string_value("limit") or "50"
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_LIST:
        raise BadInput(f"limit must be a whole number from 1 to {MAX_LIST}")
    items, after = repository().list_open(int(raw), app.current_event.get_query_string_value("next"))
    return {
        "emails": [{**public_email(i), "waiting": "queue" in i} for i in items],
        "next": after,
    }


@metrics.log_metrics
@logger.inject_lambda_context(correlation_id_path="requestContext.requestId", clear_state=True)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
