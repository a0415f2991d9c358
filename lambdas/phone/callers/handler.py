"""GET /callers?limit=5: the last callers with their vanity numbers, newest first."""

from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools.event_handler.openapi.params import Query
from aws_lambda_powertools.utilities.typing import LambdaContext

from shared.core.api import make_resolver, require_route_role
from shared.core.models import RecentCallers
from shared.core.observability import logger
from shared.core.settings import CallsEnv, load
from shared.phone.callers import MAX_LIST, recent_callers

app = make_resolver()


@app.get("/callers")
def callers(
    limit: Annotated[int, Query(ge=1, le=MAX_LIST, description="how many callers, newest first")] = 5,
) -> RecentCallers:
    require_route_role(app)
    return RecentCallers(callers=recent_callers(load(CallsEnv).CALLS_TABLE, limit))


@logger.inject_lambda_context(correlation_id_path="requestContext.requestId", clear_state=True)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
