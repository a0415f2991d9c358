"""Assignment timers from SQS (delayed by the stage's timeout): take back what is still held, then assign.

Most timers outlive their assignment (the agent answered in time): one consistent read of the batch's
emails tells which still hold theirs, and only those go to a take-back transaction.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.batch import process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from shared.assignment.settings import engine
from shared.assignment.timers import Timer
from shared.core.budget import BudgetedBatchProcessor
from shared.core.observability import correlate, logger, metrics


def _timers(event: dict[str, Any]) -> list[Timer]:
    timers = []
    for record in event.get("Records") or []:
        try:
            timers.append(Timer.parse(record.get("body") or ""))
        except (ValueError, KeyError, TypeError):
            continue  # reported as a failure of its record below
    return timers


#: the longest one record may take (a record is a few DynamoDB calls); with less time left the rest comes back
RESERVE_S = 5


@metrics.log_metrics
@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    expired = 0
    live = set(engine().still_held(_timers(event)))

    def record_handler(record: SQSRecord) -> None:
        nonlocal expired
        correlate(record)
        timer = Timer.parse(record.body)
        if timer in live and engine().expire(timer):
            expired += 1

    response = process_partial_response(
        event=event,
        record_handler=record_handler,
        processor=BudgetedBatchProcessor(reserve_s=RESERVE_S),
        context=context,
    )
    if expired:
        engine().run()
    return response
