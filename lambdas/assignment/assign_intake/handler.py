"""Events from SQS: lead.enriched, where each row that carries a message becomes a Pending email (then
assign); token.revoked, where each WebSocket connection opened with the revoked token is closed
(DeleteConnection: API Gateway sends `$disconnect`, so the agent's presence follows as for any close)."""

from __future__ import annotations

import json
from typing import Any

from aws_lambda_powertools.utilities.batch import process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from shared.assignment.intake import emails_from_detail, iso
from shared.assignment.push import ApiGatewayPusher
from shared.assignment.revocations import close_connections
from shared.assignment.settings import EngineEnv, engine
from shared.core.budget import BudgetedBatchProcessor
from shared.core.models import utc_now
from shared.core.observability import correlate, logger, metrics
from shared.core.settings import load
from shared.core.token_audit import REVOKED

#: the longest one record may take (a record is a few DynamoDB calls); with less time left the rest comes back
RESERVE_S = 5


def close_revoked(detail: dict[str, Any]) -> None:
    """Close what a revoked token had open; one already gone (410) counts as closed. A failure raises:
    the record comes back and is tried again (closing twice is harmless)."""
    result = close_connections(detail, ApiGatewayPusher(load(EngineEnv).WEBSOCKET_ENDPOINT))
    logger.info(
        "revoked token's connections closed",
        token_id=detail.get("token_id"),
        closed=len(result.closed),
        gone=len(result.gone),
    )


@metrics.log_metrics
@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    created = 0
    seen = 0

    def record_handler(record: SQSRecord) -> None:
        nonlocal created, seen
        correlate(record)
        envelope = json.loads(record.body)
        detail = envelope.get("detail") or {}
        if envelope.get("detail-type") == REVOKED:
            close_revoked(detail)
            return
        emails = emails_from_detail(detail, iso(utc_now()))
        seen += len(emails)
        if emails:
            created += engine().repo.create_emails(emails)

    response = process_partial_response(
        event=event,
        record_handler=record_handler,
        processor=BudgetedBatchProcessor(reserve_s=RESERVE_S),
        context=context,
    )
    if seen:
        # also after a redelivery that created nothing: the run it would have had may never have happened
        assigned = engine().run()
        logger.info("emails taken in", emails=seen, new=created, assigned=len(assigned))
    return response
