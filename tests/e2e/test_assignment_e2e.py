"""Assignment end to end: real WebSocket clients on the local gateway, emails through the ingestion path.

Every test leaves no email Pending and its agents disconnected, because the runtime is shared.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import httpx
import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus

from leadflow.agent import AgentSession
from leadflow.client import LeadflowClient
from leadflow.local.runtime import LocalRuntime

pytestmark = pytest.mark.e2e


def _tag() -> str:
    return uuid.uuid4().hex[:8]


def upload_emails(client: LeadflowClient, tmp_path: Path, rows: list[tuple[str, str, str, str]]) -> list[str]:
    """Upload an email list (Email, Subject, Body, Received) as CSV; returns the senders in file order."""
    path = tmp_path / f"emails-{_tag()}.csv"
    lines = ["Email,Subject,Body,Received"] + [",".join(row) for row in rows]
    path.write_text("\n".join(lines) + "\n")
    job = client.wait(client.upload(path)["job_id"], timeout_s=60)
    assert job["status"] == "completed", job
    return [row[0] for row in rows]


@pytest.fixture
def agent_token(runtime: LocalRuntime) -> Iterator[tuple[str, str]]:
    user = f"agent-{_tag()}"
    yield user, runtime.create_token("agent", user)


def _run(coro: Any) -> Any:
    return asyncio.run(coro)


def _pending(client: LeadflowClient) -> list[dict[str, Any]]:
    response = client.http.get("/emails", params={"status": "Pending", "limit": 200})
    assert response.status_code == 200, response.text
    emails: list[dict[str, Any]] = response.json()["emails"]
    return emails


def test_connect_needs_a_token_of_an_agent(runtime: LocalRuntime) -> None:
    integration = runtime.create_token("integration", "crm")

    async def attempt(query: str) -> int:
        with pytest.raises(InvalidStatus) as refused:
            async with connect(f"{runtime.websocket_url}{query}", open_timeout=10):
                pass
        return int(refused.value.response.status_code)

    assert _run(attempt("")) == 401
    assert _run(attempt("?token=lf_unknown")) == 401
    assert _run(attempt(f"?token={integration}")) == 403


@pytest.mark.stock_moto
def test_oldest_email_goes_to_the_agent_on_every_tab_and_a_disposition_brings_the_next(
    runtime: LocalRuntime, client: LeadflowClient, agent_token: tuple[str, str], tmp_path: Path
) -> None:
    user, token = agent_token
    tag = _tag()
    bus = runtime.resources.buses["events"]
    events, sqs = runtime.aws("events"), runtime.aws("sqs")
    # Given a listener for email.dispositioned on the bus
    queue_url = sqs.create_queue(QueueName=f"test-dispositioned-{tag}")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    events.put_rule(
        Name=f"test-{tag}", EventBusName=bus, EventPattern=json.dumps({"detail-type": ["email.dispositioned"]})
    )
    events.put_targets(Rule=f"test-{tag}", EventBusName=bus, Targets=[{"Id": "q", "Arn": queue_arn}])

    async def scenario() -> None:
        # Given an agent online on two tabs
        async with (
            AgentSession(runtime.websocket_url or "", token) as tab1,
            AgentSession(runtime.websocket_url or "", token) as tab2,
        ):
            await tab1.send("setStatus", status="online")
            assert (await tab1.expect("status"))["status"] == "online"
            # When an email list arrives, newest row first
            senders = upload_emails(
                client,
                tmp_path,
                [
                    (f"new-{tag}@example.com", "Newest", "third", "2001-01-03 10:00"),
                    (f"old-{tag}@example.com", "Oldest", "first", "2001-01-01 10:00"),
                    (f"mid-{tag}@example.com", "Middle", "second", "2001-01-02 10:00"),
                ],
            )
            # Then the oldest is pushed to both tabs, with its lead
            first = await tab1.expect("assigned", timeout=30)
            assert first["email"]["sender"] == senders[1]
            assert first["email"]["lead"]["email"] == senders[1]
            assert first["email"]["subject"] == "Oldest"
            assert (await tab2.expect("assigned"))["email"]["email_id"] == first["email"]["email_id"]
            # And the admin sees the other two waiting, in received order, and the agent busy
            queue = [e for e in _pending(client) if tag in e["sender"]]
            assert [e["subject"] for e in queue] == ["Oldest", "Middle", "Newest"]
            assert [e["waiting"] for e in queue] == [False, True, True]
            agents = {a["user_id"]: a for a in client.http.get("/agents").json()["agents"]}
            assert agents[user]["status"] == "busy" and agents[user]["connections"] == 2

            # When the agent dispositions on tab 1, the reply carries the next email; tab 2 gets it pushed
            await tab1.send("disposition", email_id=first["email"]["email_id"], disposition="Positive Reply")
            reply = await tab1.expect("dispositioned")
            assert reply["disposition"] == "Positive Reply"
            assert reply["assigned"]["email"]["subject"] == "Middle"
            assert (await tab2.expect("assigned"))["email"]["subject"] == "Middle"
            # A second disposition of the same email is refused, clearly
            await tab2.send("disposition", email_id=first["email"]["email_id"], disposition="Neutral Reply")
            refused = await tab2.expect("error")
            assert "already dispositioned as 'Positive Reply'" in refused["message"]

            for subject in ("Middle", "Newest"):
                held = reply["assigned"]["email"]
                assert held["subject"] == subject
                await tab2.send("disposition", email_id=held["email_id"], disposition="Not a lead")
                reply = await tab2.expect("dispositioned")
            assert reply.get("assigned") is None
            await tab1.send("setStatus", status="offline")
            assert (await tab1.expect("status"))["status"] == "offline"

    _run(scenario())
    assert [e for e in _pending(client) if tag in e["sender"]] == []
    # the bus carried the three dispositions
    seen: list[dict[str, Any]] = []
    for _ in range(20):
        messages = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=1)
        seen += [json.loads(m["Body"]) for m in messages.get("Messages", [])]
        if len(seen) >= 3:
            break
    assert sorted(e["detail"]["disposition"] for e in seen) == ["Not a lead", "Not a lead", "Positive Reply"]
    assert {e["source"] for e in seen} == {"leadflow.assignment"}
    assert all(e["detail"]["agent"] == user and e["detail"]["lead_id"] for e in seen)


def test_two_messages_from_one_sender_in_one_upload_are_two_emails_of_one_lead(
    runtime: LocalRuntime, client: LeadflowClient, agent_token: tuple[str, str], tmp_path: Path
) -> None:
    _, token = agent_token
    tag = _tag()
    sender = f"twice-{tag}@example.com"
    # When one upload carries two messages from the same sender (dedupe makes them one lead)
    upload_emails(
        client,
        tmp_path,
        [(sender, "First", "hello", "2003-03-01 10:00"), (sender, "Second", "again", "2003-03-02 10:00")],
    )
    # Then both are Pending, in received order, each with its own message, both of the one lead
    queue = [e for e in _pending(client) if e["sender"] == sender]
    assert [(e["subject"], e["body"]) for e in queue] == [("First", "hello"), ("Second", "again")]
    assert len({e["email_id"] for e in queue}) == 2
    assert len({e["lead_id"] for e in queue}) == 1

    async def work_them_off() -> list[str]:
        subjects = []
        async with AgentSession(runtime.websocket_url or "", token) as agent:
            await agent.send("setStatus", status="online")
            held = (await agent.expect("assigned", timeout=30))["email"]
            while held is not None:
                subjects.append(held["subject"])
                await agent.send("disposition", email_id=held["email_id"], disposition="Neutral Reply")
                held = ((await agent.expect("dispositioned")).get("assigned") or {}).get("email")
            await agent.send("setStatus", status="offline")
            await agent.expect("status", status="offline")
        return subjects

    assert _run(work_them_off()) == ["First", "Second"]
    assert [e for e in _pending(client) if e["sender"] == sender] == []


def test_an_unanswered_email_expires_keeps_its_place_and_a_late_disposition_is_refused(
    runtime: LocalRuntime, client: LeadflowClient, agent_token: tuple[str, str], tmp_path: Path
) -> None:
    _, slow_token = agent_token
    quick_token = runtime.create_token("agent", f"quick-{_tag()}")
    tag = _tag()

    async def scenario() -> None:
        async with AgentSession(runtime.websocket_url or "", slow_token) as slow:
            await slow.send("setStatus", status="online")
            await slow.expect("status")
            upload_emails(
                client,
                tmp_path,
                [
                    (f"a-{tag}@example.com", "First", "x", "2000-06-01T08:00:00Z"),
                    (f"b-{tag}@example.com", "Second", "y", "2000-06-02T08:00:00Z"),
                ],
            )
            held = (await slow.expect("assigned", timeout=30))["email"]
            assert held["subject"] == "First"
            # When the agent does nothing for the timeout
            expired = await slow.expect("expired", timeout=runtime.config.assignment_timeout_s + 10)
            assert expired["email_id"] == held["email_id"] and expired["status"] == "offline"
            # Then the email is back first in line, and the agent is offline
            queue = [e for e in _pending(client) if tag in e["sender"]]
            assert [(e["subject"], e["waiting"], e.get("expiries")) for e in queue] == [
                ("First", True, 1),
                ("Second", True, None),
            ]
            # And a disposition now is refused with the reason
            await slow.send("disposition", email_id=held["email_id"], disposition="Positive Reply")
            refused = await slow.expect("error")
            assert "time to act ran out" in refused["message"]

            # When another agent goes online, they get the same email first
            async with AgentSession(runtime.websocket_url or "", quick_token) as quick:
                await quick.send("setStatus", status="online")
                again = await quick.expect("assigned", timeout=10)
                assert again["email"]["email_id"] == held["email_id"]
                await quick.send("disposition", email_id=held["email_id"], disposition="Neutral Reply")
                second = (await quick.expect("dispositioned"))["assigned"]["email"]
                assert second["subject"] == "Second"
                await quick.send("disposition", email_id=second["email_id"], disposition="Neutral Reply")
                assert (await quick.expect("dispositioned")).get("assigned") is None
                await quick.send("setStatus", status="offline")
                await quick.expect("status")

    _run(scenario())
    assert [e for e in _pending(client) if tag in e["sender"]] == []


def test_bad_messages_get_clear_errors_and_the_socket_stays_open(
    runtime: LocalRuntime, agent_token: tuple[str, str]
) -> None:
    _, token = agent_token

    async def scenario() -> list[str]:
        async with AgentSession(runtime.websocket_url or "", token) as agent:
            answers = []
            for raw in (
                "not json",
                json.dumps({"action": "teleport"}),
                json.dumps({"action": "setStatus", "status": "busy"}),
                json.dumps({"action": "disposition", "email_id": "em_x", "disposition": "Maybe"}),
                json.dumps({"action": "disposition", "disposition": "Positive Reply"}),
                json.dumps({"action": "disposition", "email_id": "em_nothing", "disposition": "Positive Reply"}),
            ):
                await agent.send_raw(raw)
                answer = await agent.recv()
                assert answer["type"] == "error", answer
                answers.append(answer["message"])
            await agent.send("ping")
            assert (await agent.recv())["type"] == "pong"
            return answers

    answers = _run(scenario())
    assert "JSON object with an action" in answers[0]
    assert "unknown action 'teleport'" in answers[1]
    assert "status must be one of online, away, offline" in answers[2]
    assert "disposition must be one of Positive Reply, Neutral Reply, Not a lead" in answers[3]
    assert "needs the email_id" in answers[4]
    assert "there is no email em_nothing" in answers[5]


def test_connections_api_sends_describes_deletes_and_answers_gone(
    runtime: LocalRuntime, client: LeadflowClient, agent_token: tuple[str, str]
) -> None:
    user, token = agent_token
    assert runtime.websocket is not None
    api = boto3.client(
        "apigatewaymanagementapi", endpoint_url=runtime.websocket.management_endpoint, region_name="us-east-1"
    )

    async def scenario() -> None:
        before = set(runtime.websocket.connection_ids())  # type: ignore[union-attr]
        async with AgentSession(runtime.websocket_url or "", token) as agent:
            await agent.send("ping")
            await agent.recv()
            [connection_id] = set(runtime.websocket.connection_ids()) - before  # type: ignore[union-attr]
            api.post_to_connection(ConnectionId=connection_id, Data=b'{"type":"hello"}')
            assert (await agent.recv())["type"] == "hello"
            described = api.get_connection(ConnectionId=connection_id)
            assert described["Identity"]["SourceIp"] == "127.0.0.1"
            api.delete_connection(ConnectionId=connection_id)
            await asyncio.wait_for(agent.ws.wait_closed(), 5)  # type: ignore[union-attr]
            with pytest.raises(api.exceptions.GoneException):
                api.post_to_connection(ConnectionId=connection_id, Data=b"{}")

    _run(scenario())
    # $disconnect ran: the agent holds no connection and is offline
    for _ in range(50):
        agents = {a["user_id"]: a for a in client.http.get("/agents").json()["agents"]}
        if agents[user]["connections"] == 0:
            break
        asyncio.run(asyncio.sleep(0.1))
    assert agents[user]["connections"] == 0 and agents[user]["status"] == "offline"


def test_a_json_email_to_an_agent_whose_connection_is_gone_goes_back_and_the_connection_is_forgotten(
    runtime: LocalRuntime, client: LeadflowClient, agent_token: tuple[str, str], tmp_path: Path
) -> None:
    from shared.assignment.repository import AssignmentRepository, idle_key

    _, token = agent_token
    tag = _tag()
    ghost = f"ghost-{tag}"
    # Given an agent online (first in line) whose only connection went away without a $disconnect
    repo = AssignmentRepository(runtime.resources.tables["users"], runtime.resources.tables["emails"])
    repo.add_connection(ghost, "gone0000000=", "2000-01-01T00:00:00.000+00:00")
    assert repo.make_available(ghost, idle_key("2000-01-01T00:00:00.000+00:00", ghost))
    # When an email arrives as JSON through the ingestion path
    path = tmp_path / f"emails-{tag}.json"
    record = {"email": f"json-{tag}@example.com", "subject": "From JSON", "message": "hello", "date": "1999-12-31"}
    path.write_text(json.dumps([record]))
    job = client.wait(client.upload(path)["job_id"], timeout_s=60)
    assert job["status"] == "completed", job
    # Then the push meets the gone connection: it is forgotten, the agent is offline, the email waits again
    for _ in range(100):
        queue = [e for e in _pending(client) if tag in e["sender"]]
        if queue and queue[0].get("expiries"):
            break
        asyncio.run(asyncio.sleep(0.1))
    assert [(e["subject"], e["waiting"], e["received_at"]) for e in queue] == [
        ("From JSON", True, "1999-12-31T00:00:00.000+00:00")
    ]
    agents = {a["user_id"]: a for a in client.http.get("/agents").json()["agents"]}
    assert agents[ghost]["connections"] == 0 and agents[ghost]["status"] == "offline"

    async def take_it() -> None:
        async with AgentSession(runtime.websocket_url or "", token) as agent:
            await agent.send("setStatus", status="online")
            email = (await agent.expect("assigned"))["email"]
            assert email["subject"] == "From JSON"
            await agent.send("disposition", email_id=email["email_id"], disposition="Positive Reply")
            await agent.expect("dispositioned")
            await agent.send("setStatus", status="offline")
            await agent.expect("status")

    _run(take_it())


def test_queue_and_agents_are_for_admins_only(runtime: LocalRuntime) -> None:
    agent = runtime.create_token("agent", f"nosy-{_tag()}")
    headers = {"Authorization": f"Bearer {agent}"}
    for path in ("/emails", "/agents"):
        response = httpx.get(f"{runtime.rest_url}{path}", headers=headers, timeout=10)
        assert response.status_code == 403, response.text
    admin = runtime.create_token("admin", "queue-admin")
    response = httpx.get(
        f"{runtime.rest_url}/emails", params={"status": "Neutral Reply"}, headers={"Authorization": f"Bearer {admin}"}
    )
    assert response.status_code == 422 and "query status" in response.json()["message"]
    assert "Pending" in response.json()["message"]


def test_terminal_client_shows_the_email_and_takes_a_disposition_by_key(
    runtime: LocalRuntime, client: LeadflowClient, agent_token: tuple[str, str], tmp_path: Path
) -> None:
    import io
    import threading

    from leadflow.agent import run_terminal

    _, token = agent_token
    tag = _tag()
    out = io.StringIO()
    # keys as a person would type them: p (Positive Reply) for the first email, then q
    done: list[int] = []
    worker = threading.Thread(
        target=lambda: done.append(run_terminal(runtime.websocket_url or "", token, io.StringIO("p\nq\n"), out))
    )
    worker.start()
    upload_emails(client, tmp_path, [(f"term-{tag}@example.com", "By key", "hello", "2002-02-02 02:02")])
    worker.join(timeout=40)
    assert done == [0], out.getvalue()
    text = out.getvalue()
    assert "ASSIGNED" in text and f"term-{tag}@example.com" in text and "s to act" in text
    for _ in range(50):
        if not [e for e in _pending(client) if tag in e["sender"]]:
            break
        asyncio.run(asyncio.sleep(0.1))
    assert [e for e in _pending(client) if tag in e["sender"]] == []
