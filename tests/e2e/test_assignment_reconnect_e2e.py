"""Connection lifetimes end to end: the local gateway closes connections as API Gateway does, and agents survive it.

- An agent whose client sends a heartbeat outlives 3 idle limits and still gets the next email;
  a client without one is closed at the idle limit (1001), and every connection at its lifetime.
- A connection killed mid-assignment comes back within the grace and still holds the email, with
  its original expiry.
- An agent who never comes back is offline after the grace, and the held email is back at its place
  in line, before its own expiry.

The gateway's limits are shortened for these tests only (`set_limits`), and the stage's grace is
`AGENT_GRACE_S` (1 s) for the whole run.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import boto3
import pytest

from leadflow.agent import AgentSession, Backoff, ReconnectingSession
from leadflow.client import LeadflowClient
from leadflow.local.limits import ConnectionLimits
from leadflow.local.runtime import LocalRuntime
from tests.e2e.conftest import AGENT_GRACE_S, ASSIGNMENT_TIMEOUT_S

pytestmark = pytest.mark.e2e

IDLE_S = 1.0


def _tag() -> str:
    return uuid.uuid4().hex[:8]


def upload_emails(client: LeadflowClient, tmp_path: Path, rows: list[tuple[str, str, str, str]]) -> None:
    path = tmp_path / f"emails-{_tag()}.csv"
    path.write_text("\n".join(["Email,Subject,Body,Received", *(",".join(r) for r in rows)]) + "\n")
    job = client.wait(client.upload(path)["job_id"], timeout_s=60)
    assert job["status"] == "completed", job


def agent_row(client: LeadflowClient, user: str) -> dict[str, Any]:
    rows = {a["user_id"]: a for a in client.http.get("/agents").json()["agents"]}
    return dict(rows.get(user) or {})


def pending(client: LeadflowClient, tag: str) -> list[dict[str, Any]]:
    response = client.http.get("/emails", params={"status": "Pending", "limit": 200})
    assert response.status_code == 200, response.text
    return [e for e in response.json()["emails"] if tag in e["sender"]]


def wait_for(check: Callable[[], Any], timeout: float, step: float = 0.05) -> Any:
    """The first truthy answer of `check` within `timeout` (bounded polling of the test's own view)."""
    deadline = time.monotonic() + timeout
    while True:
        answer = check()
        if answer or time.monotonic() > deadline:
            return answer
        time.sleep(step)


class FixedBackoff(Backoff):
    """A known wait, so that `$disconnect` is surely handled (and seen) before the client comes back,
    well inside the grace."""

    def delay(self, attempt: int, rng: Any = None) -> float:
        return AGENT_GRACE_S / 2


@pytest.fixture
def short_limits(runtime: LocalRuntime) -> Iterator[None]:
    assert runtime.websocket is not None
    runtime.websocket.set_limits(ConnectionLimits(idle_s=IDLE_S, lifetime_s=3600))
    try:
        yield
    finally:
        runtime.websocket.set_limits(ConnectionLimits())


def test_an_idle_agent_with_a_heartbeat_outlives_three_idle_limits_and_gets_the_next_email(
    runtime: LocalRuntime, client: LeadflowClient, short_limits: None, tmp_path: Path
) -> None:
    assert runtime.websocket is not None
    tag = _tag()
    url = runtime.websocket_url or ""
    token = runtime.create_token("agent", f"idle-{tag}")
    quiet_token = runtime.create_token("agent", f"quiet-{tag}")
    closed_before = runtime.websocket.closed_at_limit["idle"]

    async def scenario() -> None:
        async with (
            ReconnectingSession(url, token, heartbeat_s=IDLE_S / 3) as agent,
            AgentSession(url, quiet_token) as quiet,
        ):
            await agent.expect("status")  # the answer to `resume`
            await agent.send("setStatus", status="online")
            await agent.expect("status", status="online")
            # When nothing happens for three idle limits
            await asyncio.sleep(3 * IDLE_S + 0.5)
            # Then the client without a heartbeat was closed at the limit, as API Gateway does
            assert quiet.ws is not None
            await asyncio.wait_for(quiet.ws.wait_closed(), 2)
            assert quiet.ws.close_code == 1001
            assert runtime.websocket.closed_at_limit["idle"] > closed_before  # type: ignore[union-attr]
            # and the one with a heartbeat is still on its first connection
            assert agent.reconnects == 0 and agent.states == ["connected"] and agent.pings >= 6
            # And the next email reaches it
            await asyncio.to_thread(
                upload_emails, client, tmp_path, [(f"idle-{tag}@example.com", "Still there?", "hi", "2003-03-03")]
            )
            assigned = await agent.expect("assigned", timeout=30)
            assert assigned["email"]["sender"] == f"idle-{tag}@example.com"
            await agent.send("disposition", email_id=assigned["email"]["email_id"], disposition="Neutral Reply")
            await agent.expect("dispositioned")
            await agent.send("setStatus", status="offline")
            await agent.expect("status", status="offline")
            assert agent.reconnects == 0

    asyncio.run(scenario())
    assert pending(client, tag) == []


def test_every_connection_closes_at_its_lifetime_and_the_agent_comes_back_online(
    runtime: LocalRuntime, client: LeadflowClient
) -> None:
    assert runtime.websocket is not None
    user = f"lifetime-{_tag()}"
    token = runtime.create_token("agent", user)
    runtime.websocket.set_limits(ConnectionLimits(idle_s=3600, lifetime_s=1.5))

    async def scenario() -> None:
        async with ReconnectingSession(
            runtime.websocket_url or "", token, heartbeat_s=0.3, backoff=Backoff(0.05, 0.2)
        ) as agent:
            await agent.expect("status")
            await agent.send("setStatus", status="online")
            await agent.expect("status", status="online")
            # When the connection reaches its lifetime, though active
            resumed = await agent.expect("status", timeout=5)
            # Then the client came back and resumed: still online, in line for the next email
            assert agent.reconnects >= 1 and "reconnecting" in agent.states
            assert resumed["status"] == "online"
            runtime.websocket.set_limits(ConnectionLimits())  # type: ignore[union-attr]
            await agent.send("setStatus", status="offline")
            await agent.expect("status", status="offline")

    try:
        asyncio.run(scenario())
    finally:
        runtime.websocket.set_limits(ConnectionLimits())
    assert runtime.websocket.closed_at_limit["lifetime"] >= 1


def test_a_connection_killed_mid_assignment_comes_back_and_still_holds_the_email(
    runtime: LocalRuntime, client: LeadflowClient, tmp_path: Path
) -> None:
    assert runtime.websocket is not None
    tag = _tag()
    user = f"killed-{tag}"
    token = runtime.create_token("agent", user)
    api = boto3.client(
        "apigatewaymanagementapi", endpoint_url=runtime.websocket.management_endpoint, region_name="us-east-1"
    )

    async def scenario() -> None:
        async with ReconnectingSession(
            runtime.websocket_url or "", token, heartbeat_s=0.5, backoff=FixedBackoff()
        ) as agent:
            await agent.expect("status")
            await agent.send("setStatus", status="online")
            await agent.expect("status", status="online")
            before = set(runtime.websocket.connection_ids())  # type: ignore[union-attr]
            await asyncio.to_thread(
                upload_emails, client, tmp_path, [(f"killed-{tag}@example.com", "Mid-way", "hi", "2003-03-04")]
            )
            assigned = await agent.expect("assigned", timeout=30)
            email_id = assigned["email"]["email_id"]
            # When the network drops the connection (no close frame)
            agent.drop()
            # Then while it is away the agent has no connection but keeps status and email, for the grace
            away = await asyncio.to_thread(
                wait_for,
                lambda: (r := agent_row(client, user)) and r["connections"] == 0 and r["grace_until"] and r,
                AGENT_GRACE_S / 2 - 0.1,
            )
            assert away and away["status"] == "busy" and away["current_email_id"] == email_id, away
            assert away["grace_until"]
            # And the client comes back and resumes: the same email, the same attempt, the same expiry
            resumed = await agent.expect("status", timeout=5)
            assert agent.reconnects == 1 and agent.states == ["connected", "reconnecting", "connected"]
            assert resumed["status"] == "busy" and resumed["email"]["email_id"] == email_id
            assert resumed["attempt"] == assigned["attempt"] and resumed["expires_at"] == assigned["expires_at"]
            # the old connection is gone for @connections; the new one is the agent's
            gone = before - set(runtime.websocket.connection_ids())  # type: ignore[union-attr]
            assert gone
            with pytest.raises(api.exceptions.GoneException):
                api.post_to_connection(ConnectionId=gone.pop(), Data=b"{}")
            row = agent_row(client, user)
            assert row["connections"] == 1 and row["grace_until"] is None and row["current_email_id"] == email_id
            # And the original expiry still runs: the email expires at its time, told on the new connection
            expired = await agent.expect("expired", timeout=ASSIGNMENT_TIMEOUT_S + 10)
            assert expired["email_id"] == email_id
            assert time.time() >= datetime.fromisoformat(assigned["expires_at"]).timestamp() - 0.05
            # it is back in line: take it again and answer it
            await agent.send("setStatus", status="online")
            again = await agent.expect("assigned", timeout=10)
            assert again["email"]["email_id"] == email_id
            await agent.send("disposition", email_id=email_id, disposition="Positive Reply")
            await agent.expect("dispositioned")
            await agent.send("setStatus", status="offline")
            await agent.expect("status", status="offline")

    asyncio.run(scenario())
    assert pending(client, tag) == []


def test_an_agent_who_never_comes_back_is_offline_after_the_grace_and_the_email_returns_to_its_place(
    runtime: LocalRuntime, client: LeadflowClient, tmp_path: Path
) -> None:
    tag = _tag()
    user = f"gone-{tag}"
    token = runtime.create_token("agent", user)
    other_token = runtime.create_token("agent", f"other-{tag}")
    url = runtime.websocket_url or ""

    async def leave_holding() -> dict[str, Any]:
        async with AgentSession(url, token) as agent:
            await agent.send("setStatus", status="online")
            await agent.expect("status", status="online")
            await asyncio.to_thread(
                upload_emails,
                client,
                tmp_path,
                [
                    (f"older-{tag}@example.com", "Older", "first in line", "2003-03-05 09:00"),
                    (f"newer-{tag}@example.com", "Newer", "second in line", "2003-03-05 10:00"),
                ],
            )
            assigned = await agent.expect("assigned", timeout=30)
            assert agent.ws is not None
            agent.ws.transport.abort()  # gone for good: no close frame, no reconnect
            return assigned

    assigned = asyncio.run(leave_holding())
    dropped_at = time.time()
    expires_at = datetime.fromisoformat(assigned["expires_at"]).timestamp()
    assert assigned["email"]["sender"] == f"older-{tag}@example.com"
    # Then for the grace the agent keeps status and email, with no connection
    # ($disconnect removes the connection, then starts the grace: two writes, so wait for the second)
    away = wait_for(
        lambda: (r := agent_row(client, user)) and r["connections"] == 0 and r["grace_until"] and r, AGENT_GRACE_S - 0.2
    )
    assert away and away["status"] == "busy" and away["grace_until"], away
    assert [e["waiting"] for e in pending(client, tag)] == [False, True]
    # And after it, the agent is offline and the email waits again, first in line, before its own expiry
    offline = wait_for(lambda: agent_row(client, user)["status"] == "offline", AGENT_GRACE_S + 5)
    released_at = time.time()
    assert offline, agent_row(client, user)
    queue = pending(client, tag)
    assert [(e["sender"].split("-")[0], e["waiting"]) for e in queue] == [("older", True), ("newer", True)]
    assert queue[0]["expiries"] == 1
    assert released_at - dropped_at >= AGENT_GRACE_S - 0.1
    assert released_at < expires_at, "the grace released the email, not its expiry timer"
    assert agent_row(client, user)["current_email_id"] is None

    async def take_them() -> None:
        async with AgentSession(url, other_token) as other:
            await other.send("setStatus", status="online")
            for expected in ("older", "newer"):
                got = await other.expect("assigned", timeout=15)
                assert got["email"]["sender"] == f"{expected}-{tag}@example.com"
                await other.send("disposition", email_id=got["email"]["email_id"], disposition="Not a lead")
                reply = await other.expect("dispositioned")
                if reply.get("assigned"):
                    other.inbox.append(reply["assigned"])
            await other.send("setStatus", status="offline")
            await other.expect("status", status="offline")

    asyncio.run(take_them())
    assert pending(client, tag) == []
