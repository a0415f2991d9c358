"""Outbound calls that fit the time left and stop waiting on an endpoint that hangs (see
`shared.core.budget` for the whole story; it re-exports every name here).

- `call_timeout` gives an outbound request the smaller of its own cap and the time left (less a
  margin to record the outcome); too little left means no request at all.
- `circuit(name)` is a circuit breaker per endpoint: the first request that times out or cannot
  connect opens it, and for `reset_s` the other requests to that endpoint fail at once.

Neither httpx nor Powertools is imported here: a cold start pays for httpx only in the function
that builds an HTTP client, at its first request (`_hung` below).
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable
from typing import Any

#: time kept back after the last outbound call: recording its outcome and answering SQS
MARGIN_S = 1.0
#: below this, a request is not worth starting
MIN_REQUEST_S = 0.5


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


def _hung(exc: BaseException) -> bool:
    """A timeout or an unreachable endpoint (httpx's `TimeoutException` or `NetworkError`).

    httpx is looked up, not imported: an httpx error can only come from code that imported httpx, so
    when it is not loaded the exception is something else, and the functions that make no HTTP
    call never load it."""
    httpx = sys.modules.get("httpx")
    return httpx is not None and isinstance(exc, (httpx.TimeoutException, httpx.NetworkError))


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
        except BaseException as exc:
            if not _hung(exc):
                self._close()  # it answered, with an error: not hanging
                raise
            with self._lock:
                self._open_until = time.monotonic() + self.reset_s
                self._probing = False
            raise CircuitOpen(f"{self.name} did not answer ({type(exc).__name__}); its requests back off") from exc
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
