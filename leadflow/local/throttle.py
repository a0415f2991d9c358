"""API Gateway's throttle, for the local gateways: a token bucket per REST method and per WebSocket route.

API Gateway "throttles requests using the token bucket algorithm, where a token counts for a
request": a bucket holds up to `burst` tokens, starts full, and refills at `rate` tokens a second;
a request that finds it empty is refused with 429. A stage's limits apply to each method (REST) or
route (WebSocket) separately; a method with its own limits uses those instead. AWS calls its limits
targets applied on a best-effort basis; this one is exact, so never kinder.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from leadflow import wiring
from leadflow.config import StageConfig

#: what API Gateway answers a throttled REST request with (its THROTTLED gateway response)
TOO_MANY_REQUESTS = {"message": "Too Many Requests"}


def method_throttles(config: StageConfig) -> dict[tuple[str, str], wiring.Throttle]:
    """The limits each REST method of the stage has, by (method, path): the route's own, else the
    stage's. The stacks give API Gateway the same (tests/infra/test_edge.py compares them)."""
    stage = wiring.Throttle(config.api_throttle_rate, config.api_throttle_burst)
    return {(route.method, route.path): route.throttle or stage for route, _ in wiring.rest_routes()}


class TokenBucket:
    def __init__(self, rate: float, burst: int, *, clock: Callable[[], float] = time.monotonic) -> None:
        if rate <= 0 or burst < 1:
            raise ValueError(f"a token bucket needs a positive rate and a burst of at least 1; got {rate}, {burst}")
        self.rate = rate
        self.burst = burst
        self._clock = clock
        self._tokens = float(burst)
        self._at = clock()
        self._lock = threading.Lock()
        #: requests refused so far (for tests and the runtime's log)
        self.refused = 0

    def take(self) -> bool:
        """Spend one token if there is one; False means the request is throttled."""
        with self._lock:
            now = self._clock()
            self._tokens = min(float(self.burst), self._tokens + (now - self._at) * self.rate)
            self._at = now
            if self._tokens >= 1:
                self._tokens -= 1
                return True
            self.refused += 1
            return False
