"""One local runtime for the whole session: the real moto server, HTTP gateway and SQS pollers."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, sync_playwright

from leadflow.client import LeadflowClient
from leadflow.config import load_stage
from leadflow.local.runtime import LocalRuntime
from tests.e2e.browser import CHROMIUM, CHROMIUM_ARGS

#: the stage's assignment timeout in end-to-end tests (120 s in cdk.json)
ASSIGNMENT_TIMEOUT_S = 4
#: outbound requests give up after 1 s (10 s in cdk.json) and a hung endpoint is left alone for 2 s
#: (30 s), so that a hanging receiver and its recovery happen within a test
OUTBOUND_TIMEOUT_S = 1
CIRCUIT_RESET_S = 2
#: the grace of an agent without a connection in end-to-end tests (30 s in cdk.json): shorter than
#: the assignment timeout, so that a release by the grace is told apart from an expiry
AGENT_GRACE_S = 2


@pytest.fixture(scope="session")
def runtime() -> Iterator[LocalRuntime]:
    # a short visibility timeout so that redelivery and the dead-letter queue happen within a test
    # and a 4 s assignment timeout, so that expiries happen within a test (twice the agents' grace, so
    # that a release by the grace is told apart from an expiry even on a busy machine)
    config = dataclasses.replace(
        load_stage("dev"),
        assignment_timeout_s=ASSIGNMENT_TIMEOUT_S,
        agent_grace_s=AGENT_GRACE_S,
        outbound_timeout_s=OUTBOUND_TIMEOUT_S,
        circuit_reset_s=CIRCUIT_RESET_S,
    )
    rt = LocalRuntime("dev", config=config, visibility_timeout_s=2).start()
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


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            yield b
        finally:
            b.close()
