"""The notification functions' environment (read with `shared.core.settings.load`, once per execution environment)."""

from __future__ import annotations

from shared.core.settings import _Env


class DeliveriesEnv(_Env):
    DELIVERIES_TABLE: str
    STAGE: str = "dev"


class NotifyEnv(DeliveriesEnv):
    NOTIFICATIONS_QUEUE_URL: str
    SLACK_SECRET_ARN: str
    SLACK_TIMEOUT_S: float
    NOTIFY_SENDER: str
    NOTIFY_RECIPIENTS: tuple[str, ...]
    NOTIFY_BURST_THRESHOLD: int
    NOTIFY_BURST_WINDOW_S: int
    NOTIFY_LIST_URL: str
    NOTIFY_LEASE_S: int

    def check(self) -> None:
        # the digest waits for its window's end as one SQS delay (at most 900 s)
        if not 1 <= self.NOTIFY_BURST_WINDOW_S <= 890:
            raise ValueError("the burst window must be 1 to 890 seconds")


class DownstreamEnv(DeliveriesEnv):
    DOWNSTREAM_QUEUE_URL: str
    DOWNSTREAM_SECRET_ARN: str
    DOWNSTREAM_BACKOFF_BASE_S: int
    DOWNSTREAM_BACKOFF_MAX_S: int
    DOWNSTREAM_MAX_ATTEMPTS: int
    DOWNSTREAM_LEASE_S: int
    #: outbound requests: the cap of one, and how long an endpoint that hung is left alone
    OUTBOUND_TIMEOUT_S: float = 10
    CIRCUIT_RESET_S: float = 30
