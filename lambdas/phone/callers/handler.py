"""GET /callers?limit=5: the last callers with their vanity numbers, newest first."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from shared.core.api import make_resolver, require_role
from shared.core.auth import Role
from shared.core.errors import BadInput
from shared.core.observability import logger
from shared.core.settings import CallsEnv, load
from shared.phone.calls import MAX_LIST, recent_callers

app = make_resolver()


@app.get("/callers")
def callers() -> dict[str, Any]:
    require_role(app, Role.ADMIN, Role.AGENT)
    raw = app.current_event.get_query_string_value("limit") or "5"
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_LIST:
        raise BadInput(f"limit must be a whole number from 1 to {MAX_LIST}")
    return {"callers": recent_callers(load(CallsEnv).CALLS_TABLE, int(raw))}


@logger.inject_lambda_context(correlation_id_path="requestContext.requestId", clear_state=True)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
