"""The system stays inside AWS's limits (`shared.core.limits`): the wiring, the stage settings and the
sizes the code chooses for itself. Each check fails when a new function, setting or constant would
take the system past a limit AWS enforces."""

from __future__ import annotations

import pytest

from leadflow import wiring
from leadflow.config import load_stage
from leadflow.local import limits as local_limits
from shared.core import batching, dynamo, events, limits
from shared.enrichment import enricher, storing
from shared.notification import downstream


def test_functions_behind_rest_routes_end_before_api_gateway_stops_waiting() -> None:
    late = {
        f.key: f.timeout_s for f in wiring.FUNCTIONS if f.routes and f.timeout_s > limits.REST_INTEGRATION_TIMEOUT_S
    }
    assert late == {}


def test_every_function_timeout_is_one_lambda_allows() -> None:
    assert all(0 < f.timeout_s <= limits.LAMBDA_MAX_TIMEOUT_S for f in wiring.FUNCTIONS)


@pytest.mark.parametrize("stage", ["dev", "prod"])
def test_stage_settings_fit_sqs(stage: str) -> None:
    config = load_stage(stage)
    # a batch message of rows, and every delay the stage asks SQS for
    assert config.batch_message_bytes <= limits.SQS_MESSAGE_BYTES
    assert config.assignment_timeout_s <= limits.SQS_MAX_DELAY_S
    assert config.agent_grace_s <= limits.SQS_MAX_DELAY_S


def test_the_codes_own_sizes_stay_inside_the_service_limits() -> None:
    assert batching.SQS_BATCH_ENTRIES <= limits.SQS_BATCH_ENTRIES
    assert batching.SQS_BATCH_BYTES <= limits.SQS_BATCH_BYTES
    assert events.PUT_EVENTS_MAX_ENTRIES <= limits.PUT_EVENTS_ENTRIES
    # one lead.enriched event's leads, with room for its envelope, fits one PutEvents call
    assert storing.EVENT_DETAIL_BYTES + 8 * limits.KIB <= limits.PUT_EVENTS_BYTES
    assert dynamo.BATCH_WRITE_MAX <= limits.BATCH_WRITE_ITEMS
    assert enricher.TRANSACT_MAX <= limits.TRANSACT_ITEMS
    assert enricher.BATCH_GET_MAX <= limits.BATCH_GET_ITEMS
    # a backoff hop is one SQS delay
    assert downstream.MAX_HOP_S <= limits.SQS_MAX_DELAY_S


def test_the_local_gateway_enforces_aws_values_by_default() -> None:
    default = local_limits.ConnectionLimits()
    assert (default.idle_s, default.lifetime_s) == (limits.WS_IDLE_TIMEOUT_S, limits.WS_MAX_LIFETIME_S)
    assert local_limits.WS_MAX_MESSAGE_BYTES == limits.WS_MESSAGE_BYTES == 128 * 1024
