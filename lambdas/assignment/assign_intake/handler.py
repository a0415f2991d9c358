"""Events from SQS: lead.enriched, where each row that carries a message becomes a Pending email (then
assign); token.revoked, where each WebSocket connection opened with the revoked token is closed
(DeleteConnection: API Gateway sends `$disconnect`, so the agent's presence follows as for any close).

A body that is not JSON, or one of our events whose detail does not fit its model, is refused with a
log line naming where it did not fit, and its record fails (it comes back, then goes to the DLQ); an
event of a detail-type that is not ours is logged and skipped."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.batch import process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import ValidationError

from shared.assignment.build import engine
from shared.assignment.intake import emails_from_detail
from shared.assignment.push import ApiGatewayPusher
from shared.assignment.revocations import close_connections
from shared.assignment.settings import EngineEnv
from shared.core.budget import BudgetedBatchProcessor
from shared.core.clock import iso
from shared.core.models import LeadEnrichedEvent, TokenAudit, TokenEvent, bus_event, utc_now
from shared.core.observability import correlate, logger, metrics
from shared.core.settings import load
from shared.core.token_audit import REVOKED

#: pydantic's errors for a detail-type none of our events has (or none at all)
NOT_OURS = frozenset({"union_tag_invalid", "union_tag_not_found"})
#: the longest one record may take (a record is a few DynamoDB calls); with less time left the rest comes back
RESERVE_S = 5


def close_revoked(detail: TokenAudit) -> None:
    """Close what a revoked token had open; one already gone (410) counts as closed. A failure raises:
    the record comes back and is tried again (closing twice is harmless)."""
    result = close_connections(detail, ApiGatewayPusher(load(EngineEnv).WEBSOCKET_ENDPOINT))
    logger.info(
        "revoked token's connections closed",
        token_id=detail.token_id,
        closed=len(result.closed),
        gone=len(result.gone),
    )


def refused(exc: ValidationError) -> list[str]:
    """Where and how a body did not fit, without its values (a lead's fields stay out of the log)."""
    return [f"{'/'.join(str(p) for p in e['loc']) or 'body'}: {e['type']}" for e in exc.errors()[:10]]


@metrics.log_metrics
@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    created = 0
    seen = 0

    def record_handler(record: SQSRecord) -> None:
        nonlocal created, seen
        correlate(record)
        try:
            message = bus_event(record.body)
        except ValidationError as exc:
            if any(e["type"] in NOT_OURS for e in exc.errors()):
                logger.warning("bus event skipped: not a detail-type of ours", problems=refused(exc))
                return
            logger.error("bus event refused: not JSON, or not as its model says", problems=refused(exc))
            raise
        if isinstance(message, TokenEvent) and message.detail_type == REVOKED:
            close_revoked(message.detail)
            return
        if not isinstance(message, LeadEnrichedEvent):
            logger.info("bus event ignored: not for this queue", detail_type=message.detail_type)
            return
        emails = emails_from_detail(message.detail, iso(utc_now()))
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
