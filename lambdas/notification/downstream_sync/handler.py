"""Leads from the downstream-sync queue -> the downstream CRM, signed, idempotent, retried with backoff."""

from __future__ import annotations

from functools import cache
from typing import Any

from aws_lambda_powertools.utilities.batch import process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from shared.core.budget import BudgetedBatchProcessor
from shared.core.models import DownstreamEndpoint
from shared.core.observability import correlate, logger, metrics
from shared.core.secrets import secret_json
from shared.core.settings import load
from shared.notification.deliveries import DeliveryStore
from shared.notification.downstream import DownstreamSync
from shared.notification.settings import DownstreamEnv


@cache
def sync() -> DownstreamSync:
    env = load(DownstreamEnv)
    return DownstreamSync(
        store=DeliveryStore(env.DELIVERIES_TABLE, lease_s=env.DOWNSTREAM_LEASE_S),
        endpoint=lambda: DownstreamEndpoint.model_validate(secret_json(env.DOWNSTREAM_SECRET_ARN)),
        queue_url=env.DOWNSTREAM_QUEUE_URL,
        base_s=env.DOWNSTREAM_BACKOFF_BASE_S,
        max_s=env.DOWNSTREAM_BACKOFF_MAX_S,
        max_attempts=env.DOWNSTREAM_MAX_ATTEMPTS,
        request_timeout_s=env.OUTBOUND_TIMEOUT_S,
        circuit_reset_s=env.CIRCUIT_RESET_S,
    )


@metrics.log_metrics
@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    forwarder = sync()
    # a record: its reads and claims, one round of POSTs that may time out (the circuit then opens), its writes
    processor = BudgetedBatchProcessor(
        reserve_s=2 * forwarder.request_timeout_s + 5, raise_on_entire_batch_failure=False
    )

    def record_handler(record: SQSRecord) -> None:
        correlate(record)
        forwarder.handle(record.body, remaining_s=processor.remaining_s)

    # records one after another: the sync is durable, not urgent, and each record already posts its
    # leads in parallel; the notify function's latency-bound work gets the shared resources first
    return process_partial_response(event=event, record_handler=record_handler, processor=processor, context=context)
