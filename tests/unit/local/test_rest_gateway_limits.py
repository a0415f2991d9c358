"""The local REST gateway answers API Gateway's limits as API Gateway does, over real HTTP on 127.0.0.1:
a body over 10 MB is 413 before any function runs, an integration past its timeout is 504, and a
function whose response passes Lambda's 6 MB fails as on Lambda (502)."""

from __future__ import annotations

import base64
import sys
import threading
import time
import types
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from leadflow.local import limits as local_limits
from leadflow.local.lambda_runtime import Invoker, ResponseTooLarge, response_bytes
from leadflow.local.registry import LocalFunction
from leadflow.local.rest import LocalRoute, RestGateway
from shared.core import limits

Handler = Callable[[dict[str, Any], Any], Any]


def _invoker(name: str, handler: Handler, timeout_s: int = 60) -> Invoker:
    module = types.ModuleType(f"leadflow_test_limits_{name}")
    module.handler = handler  # type: ignore[attr-defined]
    sys.modules[module.__name__] = module
    fn = LocalFunction(
        key=name,
        name=f"Leadflow-test-{name}",
        handler=f"{module.__name__}.handler",
        env_names=frozenset(),
        sqs_queues=frozenset(),
        routes=frozenset(),
        is_authorizer=False,
        timeout_s=timeout_s,
        memory_mb=128,
    )
    return Invoker(fn, "us-east-1", "123456789012")


def _ok(event: dict[str, Any], context: Any) -> dict[str, Any]:
    size = len(event["body"] or "")
    return {"statusCode": 200, "headers": {"Content-Type": "application/json"}, "body": f'{{"got": {size}}}'}


release = threading.Event()


def _slow(event: dict[str, Any], context: Any) -> dict[str, Any]:
    release.wait(5)
    return {"statusCode": 200, "body": "late"}


def _sized(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """A proxy response whose serialized size is exactly `?bytes=` (the handler measures itself)."""
    want = int(event["queryStringParameters"]["bytes"])
    response = {"statusCode": 200, "body": ""}
    response["body"] = "x" * (want - response_bytes(response))
    return response


@pytest.fixture
def gateway() -> Iterator[tuple[RestGateway, dict[str, Invoker]]]:
    invokers = {"ok": _invoker("ok", _ok), "slow": _invoker("slow", _slow), "sized": _invoker("sized", _sized)}
    routes = [
        LocalRoute("POST", "/ok", invokers["ok"], auth="none"),
        LocalRoute("GET", "/slow", invokers["slow"], auth="none"),
        LocalRoute("GET", "/sized", invokers["sized"], auth="none"),
    ]
    gw = RestGateway(
        routes=routes,
        authorizer=invokers["ok"],
        stage="test",
        account="123456789012",
        region="us-east-1",
        cache_ttl_s=0,
        integration_timeout_s=60,  # 6 MB answers take a while on a busy machine; the timeout test shortens it
    )
    gw.start()
    release.clear()
    try:
        yield gw, invokers
    finally:
        release.set()
        gw.stop()


def test_a_body_over_10_mb_is_413_from_the_gateway_before_any_function_runs(
    gateway: tuple[RestGateway, dict[str, Invoker]],
) -> None:
    gw, invokers = gateway
    over = httpx.post(f"{gw.url}/ok", content=b"a" * (limits.REST_PAYLOAD_BYTES + 1), timeout=30)
    assert over.status_code == 413
    assert over.text == "HTTP content length exceeded 10485760 bytes."
    assert invokers["ok"].invocations == 0


def test_a_body_whose_event_passes_lambdas_6_mb_is_413_request_too_long(
    gateway: tuple[RestGateway, dict[str, Invoker]],
) -> None:
    gw, invokers = gateway
    # base64 makes 4 MB of body 5.3 MB of event: it fits; 4.6 MB makes 6.1 MB: it does not
    fits = httpx.post(f"{gw.url}/ok", content=b"a" * (4 * limits.MIB), timeout=30)
    assert fits.status_code == 200 and fits.json() == {"got": len(base64.b64encode(b"a" * (4 * limits.MIB)))}
    too_big = httpx.post(f"{gw.url}/ok", content=b"a" * (46 * limits.MIB // 10), timeout=30)
    assert too_big.status_code == 413
    assert too_big.json() == {"message": "Request Too Long"}
    at_gateway_limit = httpx.post(f"{gw.url}/ok", content=b"a" * limits.REST_PAYLOAD_BYTES, timeout=30)
    assert at_gateway_limit.json() == {"message": "Request Too Long"}
    assert invokers["ok"].invocations == 1  # only the one that fit ran


def test_an_integration_past_the_timeout_is_504_and_the_caller_does_not_wait_for_it(
    gateway: tuple[RestGateway, dict[str, Invoker]],
) -> None:
    gw, invokers = gateway
    gw.integration_timeout_s = 0.5
    started = time.monotonic()
    response = httpx.get(f"{gw.url}/slow", timeout=10)
    waited = time.monotonic() - started
    assert response.status_code == 504
    assert response.json() == {"message": "Endpoint request timed out"}
    assert 0.5 <= waited < 3.0
    assert invokers["slow"].invocations == 1  # it ran, as on AWS; only the caller gave up


def test_a_response_at_lambdas_limit_passes_and_one_byte_more_is_502(
    gateway: tuple[RestGateway, dict[str, Invoker]],
) -> None:
    gw, invokers = gateway
    limit = limits.LAMBDA_SYNC_RESPONSE_ENFORCED_BYTES
    at_limit = httpx.get(f"{gw.url}/sized", params={"bytes": limit}, timeout=30)
    assert at_limit.status_code == 200
    assert len(at_limit.content) > limit - 100
    over = httpx.get(f"{gw.url}/sized", params={"bytes": limit + 1}, timeout=30)
    assert over.status_code == 502
    assert over.json() == {"message": "Internal server error"}
    assert invokers["sized"].errors == 1


def test_the_invoker_names_lambdas_error_for_a_response_too_large() -> None:
    invoker = _invoker("big", lambda event, context: {"body": "x" * limits.LAMBDA_SYNC_RESPONSE_ENFORCED_BYTES})
    with pytest.raises(ResponseTooLarge, match=r"exceeded maximum allowed payload size \(6291556 bytes\)"):
        invoker({})
    assert (invoker.invocations, invoker.errors) == (1, 1)


def test_the_timeout_is_awss_unless_the_environment_shortens_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(local_limits.REST_TIMEOUT_ENV, raising=False)
    assert local_limits.rest_integration_timeout_s() == limits.REST_INTEGRATION_TIMEOUT_S == 29
    monkeypatch.setenv(local_limits.REST_TIMEOUT_ENV, "0.25")
    assert local_limits.rest_integration_timeout_s() == 0.25
    monkeypatch.setenv(local_limits.REST_TIMEOUT_ENV, "-1")
    with pytest.raises(ValueError, match="must be positive"):
        local_limits.rest_integration_timeout_s()
