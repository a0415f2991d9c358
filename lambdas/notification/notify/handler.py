"""Notices from the notifications queue -> Slack (SES when Slack fails), bursts -> one digest."""

from __future__ import annotations

from functools import cache
from typing import Any

from aws_lambda_powertools.utilities.batch import process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from shared.core.observability import correlate, logger, metrics
from shared.core.secrets import secret_json
from shared.core.settings import load
from shared.notification.batch import ParallelBatchProcessor
from shared.notification.burst import BurstGate
from shared.notification.deliveries import DeliveryStore
from shared.notification.email import SesMailer
from shared.notification.notifier import Notifier
from shared.notification.service import NotifyService
from shared.notification.settings import NotifyEnv
from shared.notification.slack import SlackClient

#: the longest one record may take (a notice: Slack's timeout, then SES); with less time left the rest comes back
RESERVE_S = 10


@cache
def service() -> NotifyService:
    env = load(NotifyEnv)
    notifier = Notifier(
        DeliveryStore(env.DELIVERIES_TABLE, lease_s=env.NOTIFY_LEASE_S),
        SlackClient(env.SLACK_TIMEOUT_S),
        SesMailer(env.NOTIFY_SENDER, env.NOTIFY_RECIPIENTS),
        webhook_url=lambda: str(secret_json(env.SLACK_SECRET_ARN).get("url") or ""),
    )
    gate = BurstGate(
        env.DELIVERIES_TABLE,
        threshold=env.NOTIFY_BURST_THRESHOLD,
        window_s=env.NOTIFY_BURST_WINDOW_S,
        queue_url=env.NOTIFICATIONS_QUEUE_URL,
    )
    return NotifyService(notifier, gate, env.NOTIFY_LIST_URL)


@metrics.log_metrics
@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    svc = service()

    def remaining_s() -> float:
        return context.get_remaining_time_in_millis() / 1000

    def record_handler(record: SQSRecord) -> None:
        correlate(record)
        svc.handle(record.body, remaining_s=remaining_s)

    return process_partial_response(
        event=event,
        record_handler=record_handler,
        processor=ParallelBatchProcessor(reserve_s=RESERVE_S),
        context=context,
    )
