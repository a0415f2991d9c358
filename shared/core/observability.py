"""The Powertools Logger and Metrics every function uses (one instance each).

No Tracer: the handlers recorded no X-Ray segment of their own, and importing the X-Ray SDK was
the largest single part of a cold import (issue 13/14 figures in the README). Lambda's active
tracing still records each invocation without the SDK.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from aws_lambda_powertools import Logger, Metrics

from shared.core import metric_names

if TYPE_CHECKING:
    # a type only: importing it loads every Powertools event class, which a function that reads no
    # SQS record (an authorizer, a WebSocket route) need not pay for at cold start
    from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

logger = Logger()
metrics = Metrics(namespace=metric_names.NAMESPACE)


#: an EventBridge event delivered through SQS starts with its envelope: version, then id
_EVENT_ID = re.compile(r'^\s*\{\s*"version"\s*:\s*"[^"]*"\s*,\s*"id"\s*:\s*"([^"]+)"')


def correlate(record: SQSRecord, correlation_id: str | None = None) -> str:
    """Log the lines of one SQS record under its correlation id and return it.

    The id is the one the caller knows (a job id), else the EventBridge event's id when the body is
    an event the bus delivered, else the SQS message id. The key is thread-local: the records of one
    batch may be handled at the same time (`ParallelBatchProcessor`).
    """
    if correlation_id is None:
        found = _EVENT_ID.match(record.body[:256]) if record.body else None
        correlation_id = found.group(1) if found else record.message_id
    logger.thread_safe_append_keys(correlation_id=correlation_id)
    return correlation_id
