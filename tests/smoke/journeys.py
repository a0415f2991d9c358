"""The smoke suite's journeys, through a stage's public endpoints only: HTTPS (the REST API and,
for a large file, the presigned S3 POST it hands out) and the WebSocket API. No boto3, no AWS
credentials: what a customer's integration, an agent and an operator's token can reach.

Everything a journey makes is tagged (`smoke-<tag>` in names and example.com addresses), so it can
be told apart on a deployed stage. On a deployed stage these leads are like any other: they are
announced to Slack and synced downstream.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import httpx
from openpyxl import Workbook

from leadflow.agent import AgentSession
from leadflow.client import LeadflowClient
from shared.phone.vanity.keypad import spell_back

#: the journeys' own patience: a deployed stage with cold functions answers within these
JOB_TIMEOUT_S = 90.0
ASSIGN_TIMEOUT_S = 60.0
POLL_TIMEOUT_S = 30.0
#: emails are handed out oldest first: the smoke's email claims to be older than any real one
RECEIVED = "2000-01-01 00:00"

T = TypeVar("T")


@dataclass(frozen=True)
class Target:
    api: str
    token: str = field(repr=False)  # an admin token: never in a failure's output
    ws: str
    #: a number that phoned the stage's Connect line (GET /callers must list it), if any
    caller: str | None = None


def tag() -> str:
    return f"smoke-{uuid.uuid4().hex[:8]}"


def poll(what: str, probe: Callable[[], T | None], timeout_s: float = POLL_TIMEOUT_S) -> T:
    """`probe()` until it returns something, or fail naming `what`."""
    deadline = time.monotonic() + timeout_s
    while True:
        found = probe()
        if found is not None:
            return found
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not within {timeout_s:.0f} s")
        time.sleep(0.3)


def workbook(path: Path, header: list[str], rows: list[list[str]]) -> Path:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "Leads"
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    book.save(path)
    return path


# ---------------------------------------------------------------- upload → stored


def upload_is_stored(admin: LeadflowClient, folder: Path) -> dict[str, Any]:
    """A small spreadsheet uploaded; the job completes and every lead is listed under it."""
    t = tag()
    emails = [f"{t}-{i}@example.com" for i in range(3)]
    path = workbook(
        folder / f"{t}.xlsx",
        ["First Name", "Last Name", "Email", "Company"],
        [["Ada", "Smoke", emails[0], "Smoke Co"], ["Ben", "Smoke", emails[1], ""], ["Cy", "Smoke", emails[2], ""]],
    )
    job = admin.wait(admin.upload(path)["job_id"], timeout_s=JOB_TIMEOUT_S)
    assert job["status"] == "completed", job
    assert (job["rows_total"], job["leads_stored"], job["rows_rejected"]) == (3, 3, 0), job
    listed = admin.leads(job_id=job["job_id"], limit=10)["leads"]
    assert sorted(lead["email"] for lead in listed) == emails
    return job


# ---------------------------------------------------------------- an agent and an email


async def _agent_takes_and_dispositions(admin: LeadflowClient, ws: str, token: str, folder: Path) -> dict[str, Any]:
    t = tag()
    sender = f"{t}@example.com"
    async with AgentSession(ws, token) as agent:
        await agent.send("setStatus", status="online")
        assert (await agent.expect("status"))["status"] == "online"
        try:
            path = workbook(
                folder / f"{t}-mail.xlsx",
                ["Email", "Subject", "Body", "Received"],
                [[sender, f"Smoke {t}", "A smoke test's message", RECEIVED]],
            )
            job = admin.wait(admin.upload(path)["job_id"], timeout_s=JOB_TIMEOUT_S)
            assert job["status"] == "completed" and job["leads_stored"] == 1, job
            assigned = (await agent.expect("assigned", timeout=ASSIGN_TIMEOUT_S))["email"]
            assert assigned["sender"] == sender, (
                f"the smoke agent was given someone else's email ({assigned['email_id']}): the stage has "
                "older pending emails; run the smoke suite on a stage without a queue"
            )
            assert assigned["lead"]["email"] == sender
            await agent.send("disposition", email_id=assigned["email_id"], disposition="Not a lead")
            done = await agent.expect("dispositioned", timeout=ASSIGN_TIMEOUT_S)
            assert done["disposition"] == "Not a lead"
            return dict(assigned)
        finally:
            await agent.send("setStatus", status="offline")
            await agent.expect("status", timeout=ASSIGN_TIMEOUT_S, status="offline")


def agent_gets_an_email_and_dispositions_it(admin: LeadflowClient, ws: str, folder: Path) -> dict[str, Any]:
    """An agent token made through the admin API; the agent online on the WebSocket is handed the
    email an upload brought, dispositions it, and it leaves the queue."""
    user = tag()
    token = admin.create_token("agent", user)["token"]
    email = asyncio.run(_agent_takes_and_dispositions(admin, ws, token, folder))
    pending = admin.http.get("/emails", params={"status": "Pending", "limit": 200})
    assert pending.status_code == 200, pending.text
    assert email["email_id"] not in {e["email_id"] for e in pending.json()["emails"]}
    return email


# ---------------------------------------------------------------- a web-form lead


def form_lead_is_stored(admin: LeadflowClient, api: str) -> dict[str, Any]:
    """A web form's backend (an integration token) posts a lead; a resend with the same
    Idempotency-Key gets the same answer; the lead is stored with source `form`."""
    t = tag()
    integration = admin.create_token("integration", t)["token"]
    form = {"first_name": "Dee", "last_name": "Smoke", "email": f"{t}@example.com", "form_id": "smoke"}
    key = {"Idempotency-Key": t}
    with httpx.Client(base_url=api, headers={"Authorization": f"Bearer {integration}"}, timeout=30) as web:
        first = web.post("/leads", json=form, headers=key)
        assert first.status_code == 202, first.text
        again = web.post("/leads", json=form, headers=key)
        assert (again.status_code, again.json()) == (202, first.json())
    answer: dict[str, Any] = first.json()

    def stored() -> dict[str, Any] | None:
        response = admin.http.get(f"/leads/{answer['lead_id']}")
        if response.status_code == 404:
            return None
        assert response.status_code == 200, response.text
        lead: dict[str, Any] = response.json()
        return lead

    lead = poll(f"form lead {answer['lead_id']} stored", stored)
    assert (lead["source"], lead["email"]) == ("form", form["email"]), lead
    return lead


# ---------------------------------------------------------------- vanity numbers


def vanity_for_the_caller(admin: LeadflowClient, caller: str | None) -> list[dict[str, Any]]:
    """GET /callers: every listed call has five vanity numbers that dial the caller's number; when
    the target names a caller (locally: always), that call is listed."""

    def listed() -> list[dict[str, Any]] | None:
        calls = admin.callers(50)
        if caller is not None and caller not in {c["caller"] for c in calls}:
            return None
        return calls

    calls = poll(f"the call from {caller} in GET /callers", listed)
    for call in calls:
        digits = call["caller"].lstrip("+")
        assert len(call["vanity"]) == 5, call
        assert all(spell_back(v) == digits for v in call["vanity"]), call
    return calls
