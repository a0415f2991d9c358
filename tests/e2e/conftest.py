"""One local runtime for the whole session: the real moto server, HTTP gateway and SQS pollers."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from leadflow.client import LeadflowClient
from leadflow.local.runtime import LocalRuntime


@pytest.fixture(scope="session")
def runtime() -> Iterator[LocalRuntime]:
    # a short visibility timeout so that redelivery and the dead-letter queue happen within a test
    rt = LocalRuntime("dev", visibility_timeout_s=2).start()
    try:
        yield rt
    finally:
        rt.stop()


@pytest.fixture(scope="session")
def admin_token(runtime: LocalRuntime) -> str:
    return runtime.create_token("admin", "test-admin")


@pytest.fixture(scope="session")
def client(runtime: LocalRuntime, admin_token: str) -> Iterator[LeadflowClient]:
    c = LeadflowClient(runtime.rest_url, admin_token)
    yield c
    c.close()


@pytest.fixture(autouse=True)
def no_handler_errors(runtime: LocalRuntime) -> Iterator[None]:
    """A crash inside a consumer is a bug even when the retry hides it."""
    before = len(runtime.errors)
    yield
    new = runtime.errors[before:]
    assert not new, f"handlers raised: {new!r}"
