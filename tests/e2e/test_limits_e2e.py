"""AWS's limits, each taken to the edge through the local system (issue 14, "Limits, one place"):
the REST API's 10 MB payload and integration timeout, Lambda's 6 MB response, SQS's message size,
EventBridge's 256 KB and 10 entries per PutEvents, DynamoDB's 400 KB item and 100 items per
transaction. Large results come back as S3 links the client follows; large batches split; what
cannot fit is refused with a reason, and nothing else is lost. Payloads are made in memory."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from playwright.sync_api import Browser, expect
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed
from websockets.frames import CloseCode

from leadflow.client import LINK_HEADER, LeadflowClient
from leadflow.local.runtime import LocalRuntime
from shared.core import events, limits
from shared.core.models import BatchRow, Lead
from shared.enrichment.enricher import LEAD_ITEM_BYTES, SIZE_LIMIT_PROBLEM, Enricher, lead_bytes
from tests.e2e.test_console_admin_browser import sign_in


def _job_ids(client: LeadflowClient) -> set[str]:
    return {j["job_id"] for j in client.http.get("/jobs", params={"limit": 50}).json()["jobs"]}


def test_an_upload_body_over_10_mb_is_413_and_no_job_is_made(client: LeadflowClient, runtime: LocalRuntime) -> None:
    before, invoked = _job_ids(client), runtime.invokers["uploads"].invocations
    body = b"Email\n" + b"x" * (limits.REST_PAYLOAD_BYTES - 6 + 1)
    response = client.http.post("/uploads", params={"filename": "huge.csv"}, content=body)
    assert response.status_code == 413
    assert response.text == "HTTP content length exceeded 10485760 bytes."
    # under 10 MB but over Lambda's 6 MB once base64-encoded in the event: Lambda refuses it
    response = client.http.post("/uploads", params={"filename": "big.csv"}, content=body[: 5 * limits.MIB])
    assert response.status_code == 413
    assert response.json() == {"message": "Request Too Long"}
    assert runtime.invokers["uploads"].invocations == invoked  # refused before the function: it never ran
    assert _job_ids(client) == before


@pytest.fixture
def short_integration_timeout(runtime: LocalRuntime) -> Iterator[float]:
    assert runtime.gateway is not None
    before = runtime.gateway.integration_timeout_s
    assert before == limits.REST_INTEGRATION_TIMEOUT_S  # AWS's 29 s unless shortened
    runtime.gateway.integration_timeout_s = 0.5
    try:
        yield 0.5
    finally:
        runtime.gateway.integration_timeout_s = before


def test_a_route_that_does_not_answer_within_the_integration_timeout_is_504(
    client: LeadflowClient, runtime: LocalRuntime, short_integration_timeout: float
) -> None:
    # the jobs function's one execution environment is busy (held here), so GET /jobs cannot answer in time
    jobs = runtime.invokers["jobs"]
    with jobs._lock:
        started = time.monotonic()
        response = client.http.get("/jobs")
        waited = time.monotonic() - started
    assert response.status_code == 504
    assert response.json() == {"message": "Endpoint request timed out"}
    assert short_integration_timeout <= waited < short_integration_timeout + 2
    # once free, it answers again
    assert client.http.get("/jobs").status_code == 200


#: 10,000 "é" per lead: 20 KB in DynamoDB, but 60 KB of JSON (\u00e9) and 70 KB inside the proxy response
WIDE_NOTE = "é" * 10_000


def _store_leads(runtime: LocalRuntime, job_id: str, rows: list[BatchRow]) -> Any:
    enricher = Enricher(leads_table=runtime.resources.tables["leads"])
    return enricher.enrich(job_id=job_id, batch_id="b000001", source="upload", file="wide.csv", rows=rows)


@pytest.fixture(scope="module")
def wide_job(runtime: LocalRuntime) -> str:
    """A job of 100 leads whose page of 100 is over Lambda's 6 MB."""
    job_id = "limits-wide-list"
    rows = [BatchRow(r=i + 2, v={"Email": f"wide{i}@limits.example", "Notes": WIDE_NOTE}) for i in range(100)]
    assert _store_leads(runtime, job_id, rows).stored == 100
    return job_id


def test_a_lead_list_over_6_mb_comes_as_a_link_the_client_follows_to_every_lead(
    client: LeadflowClient, wide_job: str
) -> None:
    job_id = wide_job
    # a small page comes inline
    small = client.http.get("/leads", params={"job_id": job_id, "limit": 10})
    assert small.status_code == 200 and LINK_HEADER not in small.headers
    assert len(small.json()["leads"]) == 10
    # the page of 100 is more than Lambda may return: a link, not a 502
    raw = client.http.get("/leads", params={"job_id": job_id, "limit": 100})
    assert raw.status_code == 200 and raw.headers[LINK_HEADER] == "1"
    link = raw.json()
    assert set(link) == {"body_url", "content_type", "size_bytes", "expires_in", "expires_at"}
    assert link["size_bytes"] > limits.LAMBDA_SYNC_RESPONSE_BYTES - 512 * limits.KIB
    assert len(raw.content) < 4096
    # the link needs no token
    assert httpx.get(link["body_url"], timeout=60).status_code == 200
    # and the client follows it: every lead, whole
    page = client.leads(job_id=job_id, limit=100)
    assert page["next_cursor"] is None
    assert sorted(lead["email"] for lead in page["leads"]) == sorted(f"wide{i}@limits.example" for i in range(100))
    assert all(lead["attributes"]["Notes"] == WIDE_NOTE for lead in page["leads"])


def test_the_console_follows_the_link_of_a_lead_page_over_6_mb(
    runtime: LocalRuntime, admin_token: str, browser: Browser, wide_job: str
) -> None:
    context = browser.new_context()
    try:
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        links: list[str] = []
        page.on("requestfinished", lambda r: links.append(r.url) if r.url.startswith(runtime.moto.url) else None)
        sign_in(page, runtime, admin_token, "leads")
        page.get_by_label("Job id").fill(wide_job)
        page.get_by_label("Per page").select_option("100")
        page.get_by_role("button", name="Apply filters").click()
        expect(page.locator("#leads-summary")).to_have_text("Page 1: 100 leads, newest first.", timeout=30_000)
        expect(page.get_by_role("row").filter(has_text="wide7@limits.example")).to_be_visible()
        assert any("exports/responses/" in url for url in links), links  # fetched from S3, not the API
        assert not errors, errors
    finally:
        context.close()


def test_websocket_messages_up_to_128_kb_in_frames_up_to_32_kb(runtime: LocalRuntime) -> None:
    url = f"{runtime.websocket_url}?token={quote(runtime.create_token('agent', 'limits-frames'))}"
    teleport = json.dumps({"action": "teleport", "pad": "x" * 100_000})  # 100 KB: a message API Gateway takes

    async def scenario() -> tuple[str, int | None, int | None]:
        async with connect(url, max_size=None) as ws:
            # in frames of 25 KB it reaches the route (which answers that the action is unknown)
            await ws.send([teleport[i : i + 25_000] for i in range(0, len(teleport), 25_000)])
            answer = json.loads(await ws.recv())["message"]
        async with connect(url, max_size=None) as ws:
            await ws.send("x" * (limits.WS_FRAME_BYTES + 1))  # one frame over 32 KB
            with pytest.raises(ConnectionClosed):
                await ws.recv()
            frame_close = ws.close_code
        async with connect(url, max_size=None) as ws:
            await ws.send(["y" * 30_000] * 5)  # frames that fit, a message over 128 KB
            with pytest.raises(ConnectionClosed):
                await ws.recv()
            message_close = ws.close_code
        return answer, frame_close, message_close

    # in a thread of its own: Playwright's sync API keeps an event loop running in this one
    with ThreadPoolExecutor(max_workers=1) as pool:
        answer, frame_close, message_close = pool.submit(asyncio.run, scenario()).result(timeout=60)
    assert "unknown action 'teleport'" in answer
    assert frame_close == message_close == CloseCode.MESSAGE_TOO_BIG


@pytest.fixture
def bus_listener(runtime: LocalRuntime) -> Iterator[tuple[str, str]]:
    """A queue that gets every event of source `test.limits` from the system's bus."""
    sqs, bridge = runtime.aws("sqs"), runtime.aws("events")
    bus = next(iter(runtime.resources.buses.values()))
    url = sqs.create_queue(QueueName="limits-test-listener")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    bridge.put_rule(Name="limits-test", EventBusName=bus, EventPattern=json.dumps({"source": ["test.limits"]}))
    bridge.put_targets(Rule="limits-test", EventBusName=bus, Targets=[{"Id": "listener", "Arn": arn}])
    try:
        yield bus, url
    finally:
        bridge.remove_targets(Rule="limits-test", EventBusName=bus, Ids=["listener"])
        bridge.delete_rule(Name="limits-test", EventBusName=bus)
        sqs.delete_queue(QueueUrl=url)


def _drain(runtime: LocalRuntime, url: str, expect: int) -> list[dict[str, Any]]:
    got: list[dict[str, Any]] = []
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        messages = runtime.aws("sqs").receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=0)
        batch = messages.get("Messages", [])
        got += [json.loads(m["Body"])["detail"] for m in batch]
        if not batch and len(got) >= expect:
            break
        if not batch:
            time.sleep(0.1)
    return got


def test_events_split_under_256_kb_and_10_a_call_and_one_too_large_publishes_none(
    runtime: LocalRuntime, bus_listener: tuple[str, str]
) -> None:
    bus, url = bus_listener
    wide = [{"n": i, "pad": "x" * 60_000} for i in range(12)]  # 4 a call fit 256 KB, 5 do not
    assert events.publish(bus, "test.limits", "limits.wide", wide) == 3
    small = [{"n": i} for i in range(23)]  # 10 a call
    assert events.publish(bus, "test.limits", "limits.small", small) == 3
    got = _drain(runtime, url, 35)
    assert sorted(d["n"] for d in got if "pad" in d) == list(range(12))
    assert sorted(d["n"] for d in got if "pad" not in d) == list(range(23))
    # one event larger than a PutEvents call may carry: a clear error, and none of its call's events out
    with pytest.raises(events.EventTooLarge, match="larger than EventBridge accepts"):
        events.publish(bus, "test.limits", "limits.mixed", [{"n": 0}, {"n": 1, "pad": "x" * limits.PUT_EVENTS_BYTES}])
    assert _drain(runtime, url, 0) == []


def _csv(tmp_path: Path, name: str, lines: list[str]) -> Path:
    path = tmp_path / name
    path.write_text("\n".join(lines) + "\n")
    return path


def test_a_row_over_the_message_size_is_rejected_with_its_reason_and_the_rest_stored(
    client: LeadflowClient, runtime: LocalRuntime, tmp_path: Path
) -> None:
    wide = "w" * (runtime.config.batch_message_bytes + 1024)
    lines = ["Email,Notes"] + [f"fits{i}@limits.example,short" for i in range(5)] + [f"wide@limits.example,{wide}"]
    job = client.upload(_csv(tmp_path, "one-wide-row.csv", lines))
    job = client.wait(job["job_id"], timeout_s=60)
    assert job["status"] == "completed", job
    assert (job["leads_stored"], job["rows_rejected"]) == (5, 1)
    (rejection,) = job["rejections"]
    assert rejection["row"] == 7 and "larger than" in rejection["reason"]


def test_a_batch_of_more_than_100_leads_is_written_in_several_transactions(
    client: LeadflowClient, runtime: LocalRuntime, tmp_path: Path
) -> None:
    lines = ["Email,Name"] + [f"tx{i}@limits.example,Person {i}" for i in range(250)]
    job = client.upload(_csv(tmp_path, "tx-250.csv", lines))
    job = client.wait(job["job_id"], timeout_s=60)
    # one message of 250 rows (the local DynamoDB refuses a transaction of 101 items, as DynamoDB does)
    assert (job["status"], job["batches_total"], job["leads_stored"]) == ("completed", 1, 250), job
    listed: list[dict[str, Any]] = []
    cursor = None
    while True:
        page = client.leads(job_id=job["job_id"], limit=100, cursor=cursor)
        listed += page["leads"]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert len({lead["email"] for lead in listed}) == 250


def test_a_lead_that_would_pass_400_kb_stays_inside_with_a_reason(
    client: LeadflowClient, runtime: LocalRuntime
) -> None:
    # the same person in 9 uploads, each with another 60 KB column: 540 KB unchecked
    lead_id = None
    for n in range(9):
        row = BatchRow(r=2, v={"Email": "grows@limits.example", f"Notes {n}": chr(ord("a") + n) * 60_000})
        outcome = _store_leads(runtime, f"limits-grow-{n}", [row])
        assert outcome.rejected == 0
        lead_id = outcome.leads[0].lead_id
    lead = client.lead(str(lead_id))
    assert SIZE_LIMIT_PROBLEM in lead["problems"]
    assert len(lead["sources"]) == 9
    assert "Notes 0" in lead["attributes"] and "Notes 8" not in lead["attributes"]
    stored = Lead.model_validate({k: v for k, v in lead.items() if k != "deliveries"})
    assert lead_bytes(stored) <= LEAD_ITEM_BYTES  # with the index keys beside it
    # one row that alone would make a lead over the limit is refused with its reason
    huge = BatchRow(r=2, v={"Email": "huge@limits.example", "Notes": "h" * limits.DYNAMODB_ITEM_BYTES})
    outcome = _store_leads(runtime, "limits-huge", [huge])
    assert (outcome.stored, outcome.rejected) == (0, 1)
    assert "too large for one lead" in outcome.rejections[0][2]
