"""Timers from SQS: assignment timers (delayed by the stage's timeout) and grace timers (by its grace).

Most assignment timers outlive their assignment (the agent answered in time): one consistent read of
the batch's emails tells which still hold theirs, and only those go to a take-back transaction. A grace
timer sets an agent who did not come back offline and puts their email back. Then the engine assigns.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.batch import process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from shared.assignment.build import engine
from shared.core.budget import BudgetedBatchProcessor
from shared.core.models import GraceTimer, Timer, parse_timer
from shared.core.observability import correlate, logger, metrics


def _timers(event: dict[str, Any]) -> list[Timer]:
    timers = []
    for record in event.get("Records") or []:
        try:
            timer = parse_timer(record.get("body") or "")
        except (ValueError, KeyError, TypeError, AttributeError):
            continue  # reported as a failure of its record below
        if isinstance(timer, Timer):
            timers.append(timer)
    return timers


#: the longest one record may take (a record is a few DynamoDB calls); with less time left the rest comes back
RESERVE_S = 5


@metrics.log_metrics
@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    changed = 0
    live = set(engine().still_held(_timers(event)))

    def record_handler(record: SQSRecord) -> None:
        nonlocal changed
        correlate(record)
        timer = parse_timer(record.body)
        if isinstance(timer, GraceTimer):
            if engine().end_grace(timer):
                changed += 1
        elif timer in live and engine().expire(timer):
            changed += 1

    response = process_partial_response(
        event=event,
        record_handler=record_handler,
        processor=BudgetedBatchProcessor(reserve_s=RESERVE_S),
        context=context,
    )
    if changed:
        engine().run()
    return response
