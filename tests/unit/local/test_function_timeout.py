"""A local invocation that runs past its function's declared timeout fails as on Lambda."""

from __future__ import annotations

import sys
import time
import types
from typing import Any

import pytest

from leadflow.local.lambda_runtime import FunctionTimedOut, Invoker
from leadflow.local.registry import LocalFunction


def _function(timeout_s: int, handler: Any) -> LocalFunction:
    module = types.ModuleType("leadflow_test_timeout_handler")
    module.handler = handler  # type: ignore[attr-defined]
    sys.modules[module.__name__] = module
    return LocalFunction(
        key="slow",
        name="Leadflow-test-slow",
        handler=f"{module.__name__}.handler",
        env_names=frozenset(),
        sqs_queues=frozenset(),
        routes=frozenset(),
        is_authorizer=False,
        timeout_s=timeout_s,
        memory_mb=128,
    )


def test_an_invocation_within_its_timeout_returns_its_result() -> None:
    invoker = Invoker(_function(1, lambda event, context: {"ok": context.get_remaining_time_in_millis() > 0}), "r", "1")
    assert invoker({}) == {"ok": True}
    assert invoker.errors == 0


def test_an_invocation_past_its_timeout_is_an_error_not_a_result() -> None:
    def slow(event: Any, context: Any) -> dict[str, str]:
        time.sleep(1.1)
        return {"batchItemFailures": []}  # an SQS batch "all done": must not be believed

    invoker = Invoker(_function(1, slow), "r", "1")
    with pytest.raises(FunctionTimedOut, match="Task timed out after 1 seconds"):
        invoker({})
    assert (invoker.invocations, invoker.errors) == (1, 1)
