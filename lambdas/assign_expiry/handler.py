"""Assignment timers from SQS (delayed by the stage's timeout): take back what is still held, then assign."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from shared.assignment.settings import engine
from shared.assignment.timers import Timer
from shared.observability import logger, metrics


@metrics.log_metrics
@logger.inject_lambda_context
def handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    expired = 0

    def record_handler(record: SQSRecord) -> None:
        nonlocal expired
        if engine().expire(Timer.parse(record.body)):
            expired += 1

    response = process_partial_response(
        event=event, record_handler=record_handler, processor=BatchProcessor(event_type=EventType.SQS), context=context
    )
    if expired:
        engine().run()
    return response
