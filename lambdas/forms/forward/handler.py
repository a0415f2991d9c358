"""Form-lead forward steps from the form-forwards queue: store, marketing platform, SMS; idempotent, with backoff."""

from __future__ import annotations

from functools import cache
from typing import Any

from aws_lambda_powertools.utilities.batch import process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from shared.core.budget import BudgetedBatchProcessor
from shared.core.models import TwilioCredentials
from shared.core.observability import correlate, logger
from shared.core.secrets import secret_json
from shared.core.settings import load
from shared.forms.conversations import ConversationStore
from shared.forms.forwarding import Forwarder
from shared.forms.settings import ForwardEnv
from shared.forms.store import FormStore
from shared.forms.twilio import TwilioClient


@cache
def forwarder() -> Forwarder:
    env = load(ForwardEnv)
    return Forwarder(
        store=FormStore(env.FORM_LEADS_TABLE),
        conversations=ConversationStore(env.CONVERSATIONS_TABLE, env.pool),
        queue_url=env.FORM_FORWARDS_QUEUE_URL,
        lead_batches_url=env.LEAD_BATCHES_QUEUE_URL,
        marketing_url=env.MARKETING_URL,
        twilio=TwilioClient(
            env.TWILIO_BASE_URL,
            lambda: TwilioCredentials.model_validate(secret_json(env.TWILIO_SECRET_ARN)),
            circuit_reset_s=env.CIRCUIT_RESET_S,
        ),
        base_s=env.FORWARD_BACKOFF_BASE_S,
        max_attempts=env.FORWARD_MAX_ATTEMPTS,
        lease_s=env.FORWARD_LEASE_S,
        request_timeout_s=env.OUTBOUND_TIMEOUT_S,
        circuit_reset_s=env.CIRCUIT_RESET_S,
    )


@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    fwd = forwarder()
    # a record: its claim, one outbound request (or a circuit already open), its writes
    processor = BudgetedBatchProcessor(reserve_s=fwd.request_timeout_s + 5, raise_on_entire_batch_failure=False)

    def record_handler(record: SQSRecord) -> None:
        correlate(record)
        fwd.handle(record.body, remaining_s=processor.remaining_s)

    return process_partial_response(event=event, record_handler=record_handler, processor=processor, context=context)
