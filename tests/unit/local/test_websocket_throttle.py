"""The local WebSocket gateway throttles each route as API Gateway's stage does: a real server on
127.0.0.1 and a real client, with functions that only answer (and count what reached them)."""

from __future__ import annotations

import asyncio
import contextlib
import io
import json
from collections.abc import Iterator
from typing import Any

import pytest
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

from leadflow import wiring
from leadflow.agent import TerminalAgent
from leadflow.local.websocket import WebSocketGateway

RATE, BURST = 0.5, 3


class Functions:
    def __init__(self) -> None:
        self.calls: list[str] = []

    def route(self, key: str) -> Any:
        def invoke(event: dict[str, Any]) -> dict[str, Any]:
            self.calls.append(key)
            return {"statusCode": 200, "body": json.dumps({"type": "pong", "route": key})}

        return invoke


@pytest.fixture
def functions() -> Functions:
    return Functions()


@pytest.fixture
def gateway(functions: Functions) -> Iterator[WebSocketGateway]:
    routes = {key: (functions.route(key), True) for key in ("$connect", "$disconnect", "ping", "$default")}
    gw = WebSocketGateway(
        routes=routes,
        authorizer=None,
        identity_query="",
        stage="test",
        account="000000000000",
        region="us-east-1",
        throttle=wiring.Throttle(rate=RATE, burst=BURST),
    )
    gw.start()
    yield gw
    gw.stop()


def test_messages_past_a_routes_burst_get_too_many_requests_and_reach_no_function(
    gateway: WebSocketGateway, functions: Functions
) -> None:
    with connect(gateway.url) as ws:
        replies = []
        for _ in range(BURST + 2):
            ws.send(json.dumps({"action": "ping"}))
            replies.append(json.loads(ws.recv(timeout=5)))
        # another route has its own bucket
        ws.send(json.dumps({"action": "somethingElse"}))
        other = json.loads(ws.recv(timeout=5))
    assert [r.get("type") for r in replies] == ["pong"] * BURST + [None, None]
    for refused in replies[BURST:]:
        assert refused["message"] == "Too Many Requests" and refused["connectionId"] and refused["requestId"]
    assert other == {"type": "pong", "route": "$default"}
    assert functions.calls.count("ping") == BURST
    # and the terminal agent says so in one line instead of printing the frame
    out = io.StringIO()
    TerminalAgent(gateway.url, "t", out, keys=asyncio.Queue()).show(replies[BURST])
    assert out.getvalue() == (
        "error: the gateway throttled that message (too many requests); wait a moment and repeat it\n"
    )


def test_connections_past_the_connect_burst_are_refused_with_429(
    gateway: WebSocketGateway, functions: Functions
) -> None:
    with contextlib.ExitStack() as opened:
        for _ in range(BURST):
            opened.enter_context(connect(gateway.url))
        with pytest.raises(InvalidStatus) as refused, connect(gateway.url):
            pass
    assert refused.value.response.status_code == 429
    assert functions.calls.count("$connect") == BURST
