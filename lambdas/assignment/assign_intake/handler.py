"""lead.enriched events from SQS: each row that carries a message becomes a Pending email; then assign."""

from __future__ import annotations

import json
from typing import Any

from aws_lambda_powertools.utilities.batch import process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from shared.assignment.intake import emails_from_detail, iso
from shared.assignment.settings import engine
from shared.core.budget import BudgetedBatchProcessor
from shared.core.models import utc_now
from shared.core.observability import correlate, logger, metrics

#: the longest one record may take (a record is a few DynamoDB calls); with less time left the rest comes back
RESERVE_S = 5


@metrics.log_metrics
@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    created = 0
    seen = 0

    def record_handler(record: SQSRecord) -> None:
        nonlocal created, seen
        correlate(record)
        detail = json.loads(record.body).get("detail") or {}
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
