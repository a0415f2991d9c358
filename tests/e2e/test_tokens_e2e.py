"""The token lifecycle end to end on the local runtime: expiry, listing without secrets, revocation
through the REST API and the CLI, the authorizer's cache, closing a revoked token's WebSocket
connections, audit events without the secret, and one answer for every bad token.

The REST gateway's authorizer cache is shortened for these tests (60 s as deployed) to show that a
revoked or expired token is refused within the cache TTL, however long that is.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

from leadflow.cli import main
from leadflow.client import LeadflowClient
from leadflow.local.runtime import LocalRuntime
from shared.core.auth import Role, TokenStore, hash_token
from shared.core.observability import logger as powertools_logger

pytestmark = pytest.mark.e2e

#: the authorizer cache TTL in these tests
CACHE_TTL_S = 2
UNAUTHORIZED = {"message": "Unauthorized"}
GATEWAY_DENIED = {"message": "User is not authorized to access this resource"}


class _Collect(logging.Handler):
    """Every record the handlers' Powertools logger emits, formatted as on stdout (JSON)."""

    def __init__(self, formatter: logging.Formatter | None) -> None:
        super().__init__()
        self.lines: list[str] = []
        if formatter is not None:
            self.setFormatter(formatter)

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


@pytest.fixture
def handler_logs() -> Iterator[_Collect]:
    stdlib = powertools_logger._logger
    collect = _Collect(powertools_logger.registered_formatter)
    # only here for the test's duration: the handlers run in this process, and their stdout lines
    # would mix with the CLI's output that the test parses (deployed, they are in another process)
    others = list(stdlib.handlers)
    for handler in others:
        stdlib.removeHandler(handler)
    stdlib.addHandler(collect)
    level = stdlib.level
    powertools_logger.setLevel("INFO")  # as deployed
    try:
        yield collect
    finally:
        powertools_logger.setLevel(level)
        stdlib.removeHandler(collect)
        for handler in others:
            stdlib.addHandler(handler)


@pytest.fixture
def short_cache(runtime: LocalRuntime) -> Iterator[int]:
    assert runtime.gateway is not None
    before = runtime.gateway.cache_ttl_s
    runtime.gateway.set_cache_ttl(CACHE_TTL_S)
    try:
        yield CACHE_TTL_S
    finally:
        runtime.gateway.set_cache_ttl(before)


@pytest.fixture(scope="module")
def http(runtime: LocalRuntime) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=runtime.rest_url, timeout=30) as c:
        yield c


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _until(check: Callable[[], bool], timeout_s: float, step: float = 0.1) -> float:
    """Seconds until `check()` held; fails after `timeout_s`."""
    start = time.monotonic()
    while not check():
        if time.monotonic() - start > timeout_s:
            raise AssertionError(f"not within {timeout_s} s")
        time.sleep(step)
    return time.monotonic() - start


def _listed(client: LeadflowClient, token_id: str) -> dict[str, Any]:
    return next(t for t in client.tokens() if t["token_id"] == token_id)


# ---------------------------------------------------------------------- REST


def test_a_revoked_token_is_refused_within_the_cache_ttl(
    client: LeadflowClient, http: httpx.Client, short_cache: int
) -> None:
    made = client.create_token("integration", "revoke-me")
    token, token_id = made["token"], made["token_id"]
    assert http.get("/jobs", headers=_bearer(token)).status_code == 200  # cached from here

    revoked = client.revoke_token(token_id)
    took = _until(lambda: http.get("/jobs", headers=_bearer(token)).status_code == 401, timeout_s=short_cache + 5)

    assert took <= short_cache + 2, f"refused {took:.1f} s after revocation; the cache TTL is {short_cache} s"
    assert http.get("/jobs", headers=_bearer(token)).json() == UNAUTHORIZED
    assert (revoked["status"], revoked["revoked_by"]) == ("revoked", "test-admin")
    assert _listed(client, token_id)["status"] == "revoked"


def test_an_expired_token_is_refused_within_the_cache_ttl(
    client: LeadflowClient, http: httpx.Client, short_cache: int
) -> None:
    expires = datetime.now(UTC) + timedelta(seconds=5)
    made = client.create_token("integration", "short-lived", expires.isoformat())
    assert made["expires_at"].startswith(expires.isoformat(timespec="milliseconds")[:19])
    assert http.get("/jobs", headers=_bearer(made["token"])).status_code == 200

    _until(lambda: http.get("/jobs", headers=_bearer(made["token"])).status_code == 401, timeout_s=12)
    late = (datetime.now(UTC) - expires).total_seconds()
    assert late <= short_cache + 2, f"refused {late:.1f} s after expiry; the cache TTL is {short_cache} s"
    assert _listed(client, made["token_id"])["status"] == "expired"


def test_every_bad_token_gets_one_answer_and_nothing_tells_them_apart(
    runtime: LocalRuntime, client: LeadflowClient, http: httpx.Client, short_cache: int
) -> None:
    revoked = client.create_token("admin", "bad-revoked")
    client.revoke_token(revoked["token_id"])
    store = TokenStore(runtime.resources.tables["tokens"])
    expired = store.issue(role=Role.ADMIN, user="bad-expired", expires_at=datetime.now(UTC) + timedelta(seconds=1))
    time.sleep(1.2)
    bad = {
        "expired": expired.token,
        "revoked": revoked["token"],
        "malformed": "not-even-a-token",
        "unknown": "lf_" + "x" * 43,
    }
    for name, token in bad.items():
        answer = http.get("/tokens", headers=_bearer(token))
        assert (answer.status_code, answer.json()) == (401, UNAUTHORIZED), name
    assert http.get("/tokens").status_code == 401  # none at all

    # a wrong role gets the gateway's 403, the same whether the token id it names exists or not
    agent = runtime.create_token("agent", "bad-agent")
    real_id = client.tokens()[0]["token_id"]
    for token_id in (real_id, "tok_00000000000000000000", "nonsense"):
        answer = http.delete(f"/tokens/{token_id}", headers=_bearer(agent))
        assert (answer.status_code, answer.json()) == (403, GATEWAY_DENIED), token_id
    assert _listed(client, real_id)["status"] in ("active", "expired", "revoked")

    # an admin learns only "no token with that id", for an unknown and a malformed id alike
    for token_id in ("tok_00000000000000000000", "nonsense"):
        answer = client.http.delete(f"/tokens/{token_id}")
        assert (answer.status_code, answer.json()) == (404, {"message": "no token with that id"}), token_id


def test_bad_expiries_are_refused_with_a_reason(client: LeadflowClient) -> None:
    for expires, reason in (("tomorrow", "neither a duration"), ("2001-01-01", "not in the future"), ("999d", "366")):
        answer = client.http.post("/tokens", json={"role": "admin", "expires": expires})
        assert answer.status_code == 422 and reason in answer.text, answer.text


def test_the_list_shows_last_use_and_no_secret(client: LeadflowClient, http: httpx.Client) -> None:
    made = client.create_token("integration", "listed", "30d")
    before = _listed(client, made["token_id"])
    assert before["last_used_at"] is None
    assert http.get("/jobs", headers=_bearer(made["token"])).status_code == 200

    after = _listed(client, made["token_id"])
    assert after["last_used_at"] is not None and after["last_used_at"] >= after["created_at"]
    assert (after["user"], after["role"], after["created_by"]) == ("listed", "integration", "test-admin")
    listing = client.http.get("/tokens").text
    assert made["token"] not in listing and hash_token(made["token"]) not in listing
    assert made["token"][3:] not in listing


# ---------------------------------------------------------------------- CLI and audit


def _cli(argv: list[str], capture: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(argv)
    captured = capture.readouterr()
    return code, captured.out, captured.err


def test_the_cli_creates_lists_and_revokes_and_the_audit_trail_has_no_secret(
    runtime: LocalRuntime,
    admin_token: str,
    http: httpx.Client,
    handler_logs: _Collect,
    capfd: pytest.CaptureFixture[str],
    short_cache: int,
) -> None:
    api = ["--api", runtime.rest_url, "--token", admin_token]
    create = ["tokens", "create", "--role", "integration", "--user", "cli-ada", "--expires", "12h", "--json"]
    code, out, err = _cli([*create, *api], capfd)
    assert code == 0, err
    made = json.loads(out)
    secret, token_id = made["token"], made["token_id"]
    expected = datetime.now(UTC) + timedelta(hours=12)
    assert abs(datetime.fromisoformat(made["expires_at"]) - expected) < timedelta(minutes=1)
    #: everything printed but the one place the secret is meant to be (create's stdout)
    printed = [err]

    code, out, err = _cli(["tokens", "list", *api], capfd)
    printed += [out, err]
    assert code == 0, err
    row = next(line for line in out.splitlines() if token_id in line)
    assert "cli-ada" in row and "integration" in row and "active" in row

    assert http.get("/jobs", headers=_bearer(secret)).status_code == 200
    code, out, err = _cli(["tokens", "revoke", token_id, *api], capfd)
    printed += [out, err]
    assert code == 0 and f"{token_id} revoked" in out, err
    _until(lambda: http.get("/jobs", headers=_bearer(secret)).status_code == 401, timeout_s=short_cache + 5)

    code, out, err = _cli(["tokens", "list", "--json", *api], capfd)
    printed += [out, err]
    listed = next(t for t in json.loads(out) if t["token_id"] == token_id)
    assert listed["status"] == "revoked" and listed["revoked_by"] == "test-admin"

    # a revoked token's own requests are refused with the one-line auth error and exit 4
    code, out, err = _cli(["tokens", "list", "--api", runtime.rest_url, "--token", secret], capfd)
    assert code == 4 and len(err.strip().splitlines()) == 1 and "401" in err

    # the audit events: one created, one revoked, by id; the secret and its hash nowhere
    assert runtime.wait_idle(timeout_s=30)
    fd_out, fd_err = capfd.readouterr()
    lines = handler_logs.lines + fd_out.splitlines() + fd_err.splitlines() + printed
    audits = [json.loads(line)["audit"] for line in handler_logs.lines if '"audit"' in line]
    mine = [(a["action"], a["by"]) for a in audits if a.get("token_id") == token_id]
    assert mine == [("token.created", "test-admin"), ("token.revoked", "test-admin")], audits
    leaks = [line for line in lines if secret in line or secret[3:] in line or hash_token(secret) in line]
    assert not leaks, leaks


def test_bootstrap_takes_the_region_from_the_stage(
    runtime: LocalRuntime, http: httpx.Client, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # the shell's default region is elsewhere: the stage's (cdk.json) must win
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-1")
    monkeypatch.setenv("AWS_REGION", "eu-west-1")
    code, out, err = _cli(["tokens", "bootstrap", "--stage", "dev", "--json"], capsys)
    assert code == 0, err
    made = json.loads(out)
    assert made["region"] == runtime.config.region == "us-east-1"
    assert http.get("/tokens", headers=_bearer(made["token"])).status_code == 200
    assert made["token"] not in err and '"audit"' in err

    # --region wins over the stage: the local stage has no tokens table in eu-west-1
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    code, out, err = _cli(["tokens", "bootstrap", "--stage", "dev", "--region", "eu-west-1"], capsys)
    assert code != 0 and out == "" and len(err.strip().splitlines()) == 1, (code, out, err)


# ---------------------------------------------------------------------- WebSocket


async def _closed_within(ws: ClientConnection, timeout_s: float) -> bool:
    try:
        async with asyncio.timeout(timeout_s):
            while True:
                await ws.recv()
    except ConnectionClosed:
        return True
    except TimeoutError:
        return False


async def _refused(url: str) -> int:
    with pytest.raises(InvalidStatus) as refused:
        async with connect(url, open_timeout=10):
            pass
    return int(refused.value.response.status_code)


def test_revoking_closes_the_tokens_websockets_and_refuses_new_ones(
    runtime: LocalRuntime, client: LeadflowClient
) -> None:
    doomed = client.create_token("agent", "ws-doomed")
    kept = client.create_token("agent", "ws-kept")
    url = runtime.websocket_url

    async def scenario() -> None:
        async with (
            connect(f"{url}?token={doomed['token']}", open_timeout=10) as tab1,
            connect(f"{url}?token={doomed['token']}", open_timeout=10) as tab2,
            connect(f"{url}?token={kept['token']}", open_timeout=10) as other,
        ):
            await asyncio.to_thread(client.revoke_token, doomed["token_id"])
            assert await _closed_within(tab1, 15) and await _closed_within(tab2, 15), "still open after revocation"
            await other.send(json.dumps({"action": "ping"}))
            assert json.loads(await asyncio.wait_for(other.recv(), 10))["type"] == "pong"
            assert await _refused(f"{url}?token={doomed['token']}") == 401

    asyncio.run(scenario())
    assert runtime.wait_idle(timeout_s=30)


def test_an_expired_tokens_websocket_is_refused_and_closed_on_its_next_message(
    runtime: LocalRuntime, client: LeadflowClient
) -> None:
    expires = datetime.now(UTC) + timedelta(seconds=5)
    made = client.create_token("agent", "ws-expiring", expires.isoformat())
    url = f"{runtime.websocket_url}?token={made['token']}"

    async def scenario() -> None:
        async with connect(url, open_timeout=10) as ws:
            await ws.send(json.dumps({"action": "ping"}))
            assert json.loads(await asyncio.wait_for(ws.recv(), 10))["type"] == "pong"
            await asyncio.sleep(max(0.0, (expires - datetime.now(UTC)).total_seconds()) + 0.2)
            assert await _refused(url) == 401
            await ws.send(json.dumps({"action": "ping"}))
            assert await _closed_within(ws, 10), "an expired token's connection stayed open"

    asyncio.run(scenario())
    assert runtime.wait_idle(timeout_s=30)
