"""assign-intake reads each SQS body as one of the bus's events (`bus_event`): a body that is not JSON,
or a lead.enriched whose detail does not fit, fails its record with a log line saying where; an event
of someone else's detail-type is logged and skipped (no network: no record here makes an email)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from shared.core.observability import logger

NOT_JSON = "{not json"
NOT_OURS = json.dumps({"id": "ev1", "detail-type": "order.shipped", "source": "elsewhere", "detail": {}})
NO_LEAD_ID = json.dumps({"id": "ev2", "detail-type": "lead.enriched", "detail": {"leads": [{"email": "x@y.z"}]}})
NO_MESSAGE = json.dumps(
    {"id": "ev3", "detail-type": "lead.enriched", "detail": {"leads": [{"lead_id": "L1"}], "rows": []}}
)
CREATED = json.dumps({"id": "ev4", "detail-type": "token.created", "detail": {"action": "token.created"}})


class Context:
    function_name = "assign-intake"
    memory_limit_in_mb = 256
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:assign-intake"
    aws_request_id = "req"

    def get_remaining_time_in_millis(self) -> int:
        return 60_000


@pytest.fixture
def handler(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    monkeypatch.setenv("POWERTOOLS_METRICS_DISABLED", "true")
    from lambdas.assignment.assign_intake import handler as module

    def no_engine() -> Any:
        raise AssertionError("no record here makes an email: the engine is not needed")

    monkeypatch.setattr(module, "engine", no_engine)
    level = logger._logger.level
    logger.setLevel("INFO")  # as deployed; another test may have left it higher
    try:
        yield module.handler
    finally:
        logger.setLevel(level)


def _records(*bodies: str) -> dict[str, Any]:
    return {
        "Records": [
            {"messageId": f"m{i}", "body": body, "eventSource": "aws:sqs", "attributes": {}}
            for i, body in enumerate(bodies)
        ]
    }


def test_a_malformed_event_fails_its_record_and_says_where(handler: Any, caplog: pytest.LogCaptureFixture) -> None:
    # (a batch whose every record fails raises instead: one good record keeps it partial)
    response = handler(_records(NOT_JSON, NO_LEAD_ID, NO_MESSAGE), Context())
    assert response["batchItemFailures"] == [{"itemIdentifier": "m0"}, {"itemIdentifier": "m1"}]
    refused = [r for r in caplog.records if r.getMessage().startswith("bus event refused")]
    assert [r.problems for r in refused] == [  # type: ignore[attr-defined]
        ["body: json_invalid"],
        ["lead.enriched/detail/leads/0/lead_id: missing"],
    ]
    assert all(r.levelname == "ERROR" for r in refused)
    assert "x@y.z" not in str([r.__dict__ for r in refused])  # where and how, never the values


def test_an_event_not_for_this_queue_is_skipped(handler: Any, caplog: pytest.LogCaptureFixture) -> None:
    response = handler(_records(NOT_OURS, CREATED, NO_MESSAGE), Context())
    assert response["batchItemFailures"] == []
    messages = [r.getMessage() for r in caplog.records]
    assert "bus event skipped: not a detail-type of ours" in messages
    assert "bus event ignored: not for this queue" in messages
