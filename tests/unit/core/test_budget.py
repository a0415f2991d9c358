"""Time budgets: a batch stops taking records before Lambda would cut it off, and an endpoint that
hangs costs one timeout, not one per request."""

from __future__ import annotations

import http.server
import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from aws_lambda_powertools.utilities.batch import process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from shared.core.budget import (
    BudgetedBatchProcessor,
    CircuitOpen,
    call_timeout,
    reset_circuits,
    through_circuit,
)


class FakeContext:
    """A Lambda context whose clock runs as the test says."""

    def __init__(self, remaining_s: float) -> None:
        self.remaining_s = remaining_s

    def get_remaining_time_in_millis(self) -> int:
        return int(self.remaining_s * 1000)


def _event(n: int) -> dict[str, Any]:
    return {
        "Records": [
            {"messageId": f"m{i}", "body": str(i), "eventSource": "aws:sqs", "attributes": {}} for i in range(n)
        ]
    }


def test_records_stop_when_less_than_the_reserve_is_left_and_come_back_as_failures() -> None:
    # Given a function with 30 s left, where each record takes 8 s and may need 10
    context = FakeContext(30.0)
    handled: list[str] = []

    def record_handler(record: SQSRecord) -> None:
        handled.append(record.message_id)
        context.remaining_s -= 8

    # When a batch of five is processed
    response = process_partial_response(
        event=_event(5),
        record_handler=record_handler,
        processor=BudgetedBatchProcessor(reserve_s=10),
        context=context,  # type: ignore[arg-type]
    )

    # Then three were handled (30 -> 22 -> 14 -> 6 s left) and the last two were not started
    assert handled == ["m0", "m1", "m2"]
    assert response["batchItemFailures"] == [{"itemIdentifier": "m3"}, {"itemIdentifier": "m4"}]


def test_a_batch_that_is_all_out_of_time_is_not_a_function_error_when_asked() -> None:
    response = process_partial_response(
        event=_event(2),
        record_handler=lambda record: None,
        processor=BudgetedBatchProcessor(reserve_s=10, raise_on_entire_batch_failure=False),
        context=FakeContext(5.0),  # type: ignore[arg-type]
    )
    assert [f["itemIdentifier"] for f in response["batchItemFailures"]] == ["m0", "m1"]


@pytest.mark.parametrize(
    ("cap", "left", "expected"),
    [(10.0, 60.0, 10.0), (10.0, 4.0, 3.0), (10.0, 1.2, None), (10.0, None, 10.0)],
)
def test_a_request_timeout_fits_the_time_left(cap: float, left: float | None, expected: float | None) -> None:
    assert call_timeout(cap, (lambda: left) if left is not None else None) == expected


class _Hanging(http.server.BaseHTTPRequestHandler):
    hang_s = 2.0
    calls = 0

    def do_POST(self) -> None:
        type(self).calls += 1
        time.sleep(self.hang_s)
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def hanging_url() -> Iterator[str]:
    _Hanging.calls = 0
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Hanging)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    reset_circuits()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    reset_circuits()


def test_after_one_hang_the_endpoint_is_left_alone_until_the_reset(hanging_url: str) -> None:
    client = httpx.Client(timeout=0.3)

    def post() -> httpx.Response:
        return client.post(hanging_url, content=b"{}")

    # When the first request hangs past its timeout
    started = time.monotonic()
    with pytest.raises(CircuitOpen) as first:
        through_circuit("crm", 0.8, post)
    assert isinstance(first.value.__cause__, httpx.TimeoutException)
    # Then the next ones fail at once, without reaching the endpoint
    for _ in range(5):
        with pytest.raises(CircuitOpen):
            through_circuit("crm", 0.8, post)
    assert time.monotonic() - started < 0.3 + 0.5
    assert _Hanging.calls == 1
    # And after the reset one request is tried again
    time.sleep(0.9)
    _Hanging.hang_s = 0.0
    try:
        assert through_circuit("crm", 0.8, post).status_code == 200
    finally:
        _Hanging.hang_s = 2.0
    assert _Hanging.calls == 2


def test_an_endpoint_that_answers_with_an_error_is_not_hanging(hanging_url: str) -> None:
    def refused() -> None:
        raise httpx.HTTPStatusError("503", request=httpx.Request("POST", hanging_url), response=httpx.Response(503))

    for _ in range(3):
        with pytest.raises(httpx.HTTPStatusError):
            through_circuit("answering", 30, refused)


def test_requests_through_a_closed_circuit_run_at_the_same_time(hanging_url: str) -> None:
    # Given an endpoint that answers after 0.6 s, well inside the timeout
    _Hanging.hang_s = 0.6
    client = httpx.Client(timeout=5)
    try:
        started = time.monotonic()
        # When four requests go through its circuit at once
        threads = [
            threading.Thread(target=through_circuit, args=("slow", 30, lambda: client.post(hanging_url)))
            for _ in range(4)
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join(5)
        # Then they ran side by side (a breaker holding a lock per call would take 2.4 s)
        assert time.monotonic() - started < 1.5
        assert _Hanging.calls == 4
    finally:
        _Hanging.hang_s = 2.0
