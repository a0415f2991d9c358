"""Time budgets: SQS consumers that stop before Lambda would cut them off, and outbound calls that
fit the time left and stop waiting on an endpoint that hangs.

On Lambda a function that runs past its timeout is killed mid-work, and the whole batch comes back
(every record, done or not), to be redelivered until SQS moves it to the dead-letter queue. So:

- `BudgetedBatchProcessor` (Powertools' `BatchProcessor`) reads the time left in the context before
  each record and stops taking records when less than `reserve_s` is left: the rest come back as
  batch item failures, and the records already done stay done.
- `call_timeout` gives an outbound request the smaller of its own cap and the time left (less a
  margin to record the outcome); too little left means no request at all.
- `circuit(name)` is a circuit breaker per endpoint: the first request that times out
  or cannot connect opens it, and for `reset_s` the other requests to that endpoint fail at once
  instead of each waiting out its timeout. The callers treat that as a retryable failure, so their
  own backoff (SQS delays over hours) takes over and the batch finishes in time: a hanging Slack,
  downstream CRM, marketing platform or Twilio gets backoff, never the dead-letter queue.
"""

from __future__ import annotations

import sys
from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType

# The outbound side lives in `shared.core.circuit`, which imports no Powertools batch code: a function
# that only calls out (twilio-sms) does not load it at cold start. Its names are re-exported here.
from shared.core.circuit import (
    MARGIN_S,
    MIN_REQUEST_S,
    Circuit,
    CircuitOpen,
    call_timeout,
    circuit,
    reset_circuits,
    through_circuit,
)


class OutOfTime(Exception):
    """Not enough of the function's time is left to handle this record; SQS delivers it again."""


class BudgetedBatchProcessor(BatchProcessor):
    """A `BatchProcessor` for SQS that takes no new record once less than `reserve_s` is left.

    `reserve_s` is the longest one record may take (its outbound timeouts plus its AWS calls). A
    batch that is all out of time is not a function error: its records simply come back.
    """

    def __init__(self, *, reserve_s: float, raise_on_entire_batch_failure: bool = True) -> None:
        super().__init__(event_type=EventType.SQS, raise_on_entire_batch_failure=raise_on_entire_batch_failure)
        self.reserve_s = reserve_s

    def remaining_s(self) -> float:
        context = getattr(self, "lambda_context", None)
        return context.get_remaining_time_in_millis() / 1000 if context is not None else float("inf")

    def _process_record(self, record: dict[str, Any]) -> Any:
        left = self.remaining_s()
        if left < self.reserve_s:
            data = self._to_batch_type(record=record, event_type=self.event_type)
            try:
                raise OutOfTime(f"{left:.1f} s left, a record may take {self.reserve_s:.1f} s")
            except OutOfTime:
                return self.failure_handler(record=data, exception=sys.exc_info())
        return super()._process_record(record)


__all__ = [
    "MARGIN_S",
    "MIN_REQUEST_S",
    "BudgetedBatchProcessor",
    "Circuit",
    "CircuitOpen",
    "OutOfTime",
    "call_timeout",
    "circuit",
    "reset_circuits",
    "through_circuit",
]
