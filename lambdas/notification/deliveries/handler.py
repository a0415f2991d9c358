"""GET /deliveries?lead_id=... (admin): a lead's notices and syncs, per channel, with their state."""

from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools.event_handler.openapi.params import Query
from aws_lambda_powertools.utilities.typing import LambdaContext

from shared.core.api import make_resolver, require_route_role
from shared.core.models import LeadDeliveries
from shared.core.observability import logger
from shared.notification import deliveries_for

app = make_resolver()


@app.get("/deliveries")
def deliveries(lead_id: Annotated[str, Query(min_length=1, description="the lead's id")]) -> LeadDeliveries:
    require_route_role(app)
    return LeadDeliveries(lead_id=lead_id, deliveries=deliveries_for(lead_id))


@logger.inject_lambda_context(correlation_id_path="requestContext.requestId", clear_state=True)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
