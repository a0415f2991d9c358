"""The AWS limits the local gateways enforce, with AWS's values (`shared.core.limits`) by default.

Source: "Quotas for configuring and running a WebSocket in API Gateway"
(https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-execution-service-websocket-limits-table.html):
"Idle Connection Timeout: 10 minutes" and "Connection duration for WebSocket API: 2 hours", neither
adjustable. Tests shorten them (`LEADFLOW_WS_IDLE_S`, `LEADFLOW_WS_LIFETIME_S`, or the gateway's
`set_limits`) so that a closed connection happens within a test.

The REST gateway's integration timeout ("Maximum integration timeout: 50 milliseconds - 29 seconds",
https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-execution-service-limits-table.html)
is AWS's 29 s unless `LEADFLOW_REST_TIMEOUT_S` or the gateway's `integration_timeout_s` shortens it.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from shared.core import limits

#: AWS's values live with every other limit in `shared.core.limits`; these are the local gateway's names
WS_IDLE_TIMEOUT_S = float(limits.WS_IDLE_TIMEOUT_S)
WS_MAX_LIFETIME_S = float(limits.WS_MAX_LIFETIME_S)
WS_MAX_MESSAGE_BYTES = limits.WS_MESSAGE_BYTES
WS_MAX_FRAME_BYTES = limits.WS_FRAME_BYTES
REST_INTEGRATION_TIMEOUT_S = float(limits.REST_INTEGRATION_TIMEOUT_S)
REST_PAYLOAD_BYTES = limits.REST_PAYLOAD_BYTES
REST_TIMEOUT_ENV = "LEADFLOW_REST_TIMEOUT_S"
LAMBDA_SYNC_REQUEST_BYTES = limits.LAMBDA_SYNC_REQUEST_BYTES
IDLE_ENV = "LEADFLOW_WS_IDLE_S"
LIFETIME_ENV = "LEADFLOW_WS_LIFETIME_S"


@dataclass(frozen=True)
class ConnectionLimits:
    idle_s: float = WS_IDLE_TIMEOUT_S
    lifetime_s: float = WS_MAX_LIFETIME_S

    def __post_init__(self) -> None:
        if self.idle_s <= 0 or self.lifetime_s <= 0:
            raise ValueError(f"WebSocket limits must be positive; got idle {self.idle_s} s, life {self.lifetime_s} s")

    @classmethod
    def from_env(cls) -> ConnectionLimits:
        """AWS's values, unless the environment shortens them (tests, a demo of a reconnect)."""
        return cls(
            idle_s=float(os.environ.get(IDLE_ENV) or WS_IDLE_TIMEOUT_S),
            lifetime_s=float(os.environ.get(LIFETIME_ENV) or WS_MAX_LIFETIME_S),
        )


def rest_integration_timeout_s() -> float:
    """AWS's 29 s, unless the environment shortens it (tests)."""
    value = float(os.environ.get(REST_TIMEOUT_ENV) or REST_INTEGRATION_TIMEOUT_S)
    if value <= 0:
        raise ValueError(f"{REST_TIMEOUT_ENV} must be positive; got {value}")
    return value
