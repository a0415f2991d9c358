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
import threading
import time
from collections.abc import Callable
from typing import Any

import httpx
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType

#: time kept back after the last outbound call: recording its outcome and answering SQS
MARGIN_S = 1.0
#: below this, a request is not worth starting
MIN_REQUEST_S = 0.5


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


def call_timeout(cap_s: float, remaining_s: Callable[[], float] | None) -> float | None:
    """The timeout for one outbound request: its cap, or less when the function has less time left.
    None when too little is left to start it (the caller then backs off instead)."""
    if remaining_s is None:
        return cap_s
    budget = remaining_s() - MARGIN_S
    if budget < MIN_REQUEST_S:
        return None
    return min(cap_s, budget)


class CircuitOpen(Exception):
    """The endpoint hung or refused connections moments ago; this request was not sent (or was the
    one that found it hanging: then `__cause__` is the timeout)."""


class Circuit:
    """The breaker of one endpoint: closed, open for `reset_s` after a hang, then one probe.

    Written here rather than taken from pybreaker: pybreaker holds a lock for the whole of each
    call, which would turn the parallel POSTs of a batch into one after another. Here the lock
    guards only the state, and requests run concurrently.
    """

    def __init__(self, name: str, reset_s: float) -> None:
        self.name = name
        self.reset_s = reset_s
        self._lock = threading.Lock()
        self._open_until = 0.0
        self._probing = False

    @property
    def is_open(self) -> bool:
        return time.monotonic() < self._open_until

    def call(self, request: Callable[[], Any]) -> Any:
        with self._lock:
            if self._open_until:
                if time.monotonic() < self._open_until or self._probing:
                    raise CircuitOpen(f"{self.name} is not answering; requests to it wait for the backoff")
                self._probing = True  # half open: this request finds out whether it answers again
        try:
            result = request()
        except (httpx.TimeoutException, httpx.NetworkError) as exc:
            with self._lock:
                self._open_until = time.monotonic() + self.reset_s
                self._probing = False
            raise CircuitOpen(f"{self.name} did not answer ({type(exc).__name__}); its requests back off") from exc
        except BaseException:
            self._close()  # it answered, with an error: not hanging
            raise
        self._close()
        return result

    def _close(self) -> None:
        with self._lock:
            self._open_until = 0.0
            self._probing = False


_circuits: dict[str, Circuit] = {}
_lock = threading.Lock()


def circuit(name: str, *, reset_s: float) -> Circuit:
    """The breaker of one endpoint in this execution environment (opened by one hang, for `reset_s`).

    Only a timeout or an unreachable endpoint opens it: an endpoint that answers, even with an
    error status, is not hanging.
    """
    with _lock:
        breaker = _circuits.get(name)
        if breaker is None or breaker.reset_s != reset_s:
            breaker = Circuit(name, reset_s)
            _circuits[name] = breaker
        return breaker


def through_circuit(name: str, reset_s: float, call: Callable[[], Any]) -> Any:
    """`call()` through the endpoint's breaker; `CircuitOpen` when it is open or the call hung."""
    return circuit(name, reset_s=reset_s).call(call)


def reset_circuits() -> None:
    """Close every breaker (tests)."""
    with _lock:
        _circuits.clear()


__all__ = [
    "BudgetedBatchProcessor",
    "Circuit",
    "CircuitOpen",
    "OutOfTime",
    "call_timeout",
    "circuit",
    "reset_circuits",
    "through_circuit",
]
