"""Notification end to end: real EventBridge events through the local runtime to a real HTTP sink.

Slack and the downstream CRM are the local sink (127.0.0.1), SES is the local AWS; faults are
scripted on the sink, and SES goes down by losing its verified sender.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from leadflow import dlq
from leadflow.client import LeadflowClient
from leadflow.local.notify import LocalNotification, dlq_alarm_name, wait_for
from leadflow.local.runtime import LocalRuntime
from leadflow.local.sink import Fault
from shared.notification import deliveries_for
from shared.notification.downstream import idempotency_key

pytestmark = pytest.mark.e2e


@pytest.fixture
def notification(runtime: LocalRuntime) -> Iterator[LocalNotification]:
    assert runtime.notification is not None
    # Other tests' uploads announce many leads; past the burst threshold a lead would go into a
    # digest instead of its own notice. Start in a fresh burst window, with the pipeline idle.
    assert runtime.wait_idle(60)
    window = runtime.config.notify_burst_window_s
    time.sleep(window - time.time() % window + 0.05)
    runtime.notification.sink.clear(received=True)
    yield runtime.notification
    runtime.notification.sink.clear(received=True)


def lead(tag: str, **extra: Any) -> dict[str, Any]:
    lead_id = f"{tag}-{uuid.uuid4().hex[:12]}"
    return {
        "lead_id": lead_id,
        "first_name": "Grace",
        "last_name": f"Hopper {lead_id}",
        "email": f"{lead_id}@example.com",
        "phone": "+12125550100",
        "company": "Navy",
        "source": "webform",
        **extra,
    }


def announce(
    runtime: LocalRuntime, leads: list[dict[str, Any]], source: str = "webform", *, per_event: int = 0
) -> None:
    """`lead.enriched` as the store step sends it: one event per stored batch (`per_event` leads each)."""
    size = per_event or len(leads)
    entries = [
        {
            "EventBusName": runtime.resources.buses["events"],
            "Source": "leadflow.enrichment",
            "DetailType": "lead.enriched",
            "Detail": json.dumps({"job_id": None, "source": source, "leads": leads[i : i + size]}),
        }
        for i in range(0, len(leads), size)
    ]
    response = runtime.aws("events").put_events(Entries=entries)
    assert response["FailedEntryCount"] == 0


def slack_posts_for(notification: LocalNotification, lead_id: str) -> list[Any]:
    return [r for r in notification.sink.snapshot("/slack") if lead_id in r.headers.get("X-Leadflow-Notice", "")]


def mail_for(notification: LocalNotification, lead_id: str) -> list[dict[str, Any]]:
    return [m for m in notification.sent_mail() if lead_id in str(m.get("body", ""))]


@contextmanager
def visibility(runtime: LocalRuntime, queue: str, seconds: int) -> Iterator[None]:
    """This test's Slack timeout is longer than the session's 2 s visibility timeout."""
    sqs = runtime.aws("sqs")
    url = runtime.resources.queues[queue]
    before = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["VisibilityTimeout"])["Attributes"]
    sqs.set_queue_attributes(QueueUrl=url, Attributes={"VisibilityTimeout": str(seconds)})
    try:
        yield
    finally:
        sqs.set_queue_attributes(QueueUrl=url, Attributes=before)


@pytest.mark.parametrize(
    "fault",
    [
        pytest.param(Fault(status=500), id="slack-500"),
        pytest.param(Fault(status=429, retry_after=120), id="slack-429-retry-after-beyond-the-function"),
        pytest.param(Fault(status=200, delay_s=3.0), id="slack-timeout"),
    ],
)
def test_slack_failing_sends_ses_exactly_once(
    runtime: LocalRuntime, notification: LocalNotification, fault: Fault
) -> None:
    # Given Slack failing once in this way
    new = lead("fallback")
    notification.sink.fail("/slack", fault, times=1, matching=new["lead_id"])
    with visibility(runtime, "notifications", 8):
        # When the lead is announced, and the same event comes again (at-least-once delivery)
        announce(runtime, [new])
        assert wait_for(lambda: len(mail_for(notification, new["lead_id"])) >= 1, 15), "no fallback email"
        announce(runtime, [new])
        assert runtime.wait_idle(15)
    # Then exactly one email went out, and Slack was asked once
    mails = mail_for(notification, new["lead_id"])
    assert len(mails) == 1
    assert mails[0]["destinations"]["ToAddresses"] == list(runtime.config.notify_recipients)
    assert mails[0]["source"] == runtime.config.notify_sender
    assert new["email"] in mails[0]["body"] and "Navy" in mails[0]["body"]
    assert len(slack_posts_for(notification, new["lead_id"])) == 1
    # And the lead's deliveries say so
    states = {d.channel: d.state for d in deliveries_for(new["lead_id"])}
    assert states["email"] == "sent"
    assert states["slack"] == ("uncertain" if fault.delay_s else "failed")


def test_slack_429_within_the_functions_time_is_retried_not_emailed(
    runtime: LocalRuntime, notification: LocalNotification
) -> None:
    new = lead("retry-after")
    notification.sink.fail("/slack", Fault(status=429, retry_after=0.5), times=1, matching=new["lead_id"])
    announce(runtime, [new])
    assert wait_for(lambda: any(r.status == 200 for r in slack_posts_for(notification, new["lead_id"])), 10)
    assert runtime.wait_idle(10)
    posts = slack_posts_for(notification, new["lead_id"])
    assert [p.status for p in posts] == [429, 200]
    assert posts[1].at - posts[0].at >= 0.45  # Retry-After respected
    assert mail_for(notification, new["lead_id"]) == []


def test_slack_message_is_block_kit_with_how_to_reach_the_lead(
    runtime: LocalRuntime, notification: LocalNotification
) -> None:
    new = lead("blocks", title="Rear Admiral")
    started = time.time()
    announce(runtime, [new])
    assert wait_for(lambda: slack_posts_for(notification, new["lead_id"]), 10)
    [post] = slack_posts_for(notification, new["lead_id"])
    assert post.at - started < 2.0, "event to Slack request must be under 2 s"
    message = post.json()
    assert message["blocks"][0]["type"] == "header" and "Grace" in message["blocks"][0]["text"]["text"]
    fields = " ".join(f["text"] for b in message["blocks"] if b["type"] == "section" for f in b.get("fields", []))
    for expected in ("Navy", "webform", new["email"], "+12125550100", "Rear Admiral"):
        assert expected in fields


def test_slack_and_ses_down_retries_then_dead_letters_and_the_alarm_fires(
    runtime: LocalRuntime, notification: LocalNotification
) -> None:
    sqs = runtime.aws("sqs")
    dead_letters = runtime.resources.dlqs["notifications"]
    alarm = dlq_alarm_name(runtime.config, "notifications")
    sqs.purge_queue(QueueUrl=dead_letters)
    assert notification.alarms is not None
    assert wait_for(lambda: notification.alarms.states.get(alarm, "OK") == "OK", 5)
    # Given Slack answering 500 and SES refusing (its sender is no longer verified)
    new = lead("both-down")
    notification.sink.fail("/slack", Fault(status=500), times=100, matching=new["lead_id"])
    runtime.aws("ses").delete_identity(Identity=runtime.config.notify_sender)
    try:
        # When a lead is announced
        announce(runtime, [new])
        # Then the notice is tried once per receive, and dead-lettered after the third
        assert wait_for(lambda: _visible(sqs, dead_letters) == 1, 20), "not dead-lettered"
        assert len(slack_posts_for(notification, new["lead_id"])) == 3
        assert mail_for(notification, new["lead_id"]) == []
        # And the dead-letter-queue alarm reaches the alarms topic's subscriber
        assert wait_for(lambda: _alarm_posts(notification, alarm), 5), "the alarm did not fire"
        [posted] = _alarm_posts(notification, alarm)
        assert posted["NewStateValue"] == "ALARM"
        # with what to do, as the stacks' alarm says it
        assert posted["AlarmDescription"].endswith("Runbook: docs/runbooks.md#dead-letters-notifications")
        depth = {row["queue"]: row for row in dlq.depths(runtime.config, sqs)}["notifications"]
        assert depth["dead_letters"] == 1
    finally:
        notification.sink.clear()
        notification.verify_sender()
    # When the dead letters are redriven (moto has no StartMessageMoveTask: the fallback loop)
    result = dlq.redrive(runtime.config, sqs, "notifications", endpoint=runtime.moto.url)
    assert result == {"queue": "notifications", "method": "receive-send-delete", "moved": 1, "waiting": 1}
    # Then the notice reaches Slack after all, and nothing is left behind
    assert wait_for(lambda: any(r.status == 200 for r in slack_posts_for(notification, new["lead_id"])), 10)
    assert _visible(sqs, dead_letters) == 0


def _visible(sqs: Any, url: str) -> int:
    attrs = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages"])["Attributes"]
    return int(attrs["ApproximateNumberOfMessages"])


def _alarm_posts(notification: LocalNotification, alarm: str) -> list[dict[str, Any]]:
    out = []
    for received in notification.alarm_posts():
        envelope = received.json() or {}
        message = json.loads(envelope.get("Message", "{}"))
        if message.get("AlarmName") == alarm:
            out.append(message)
    return out


def test_a_burst_becomes_one_digest(runtime: LocalRuntime, notification: LocalNotification) -> None:
    window = runtime.config.notify_burst_window_s
    threshold = runtime.config.notify_burst_threshold
    # Given a fresh burst window (a burst split by a window boundary makes two digests)
    assert wait_for(lambda: time.time() % window < 0.3, window + 1, interval_s=0.02)
    burst = [lead("burst") for _ in range(threshold * 3)]
    # When they arrive as six stored batches
    announce(runtime, burst, source="spreadsheet", per_event=10)
    # Then the first `threshold` are announced one by one and the rest in one digest after the window
    assert wait_for(lambda: _digests(notification), window + 6), "no digest"
    assert runtime.wait_idle(10)
    individual = [
        r for r in notification.sink.snapshot("/slack") if not r.headers["X-Leadflow-Notice"].startswith("digest")
    ]
    assert len(individual) == threshold
    [digest] = _digests(notification)
    text = digest.json()["text"]
    assert f"{len(burst)} new leads" in text
    assert f"{len(burst)} from spreadsheet" in text
    assert "created_after=" in json.dumps(digest.json()["blocks"])
    announced = {r.headers["X-Leadflow-Notice"].split("/")[0] for r in individual}
    held = [b for b in burst if b["lead_id"] not in announced]
    assert len(held) == len(burst) - threshold
    [record] = [d for d in deliveries_for(held[0]["lead_id"]) if d.channel == "digest"]
    assert record.state == "digested" and record.digest is not None and record.digest.startswith("digest#")


def _digests(notification: LocalNotification) -> list[Any]:
    return [
        r for r in notification.sink.snapshot("/slack") if r.headers.get("X-Leadflow-Notice", "").startswith("digest")
    ]


@pytest.mark.stock_moto
def test_downstream_sees_each_lead_once_across_redeliveries(
    runtime: LocalRuntime, notification: LocalNotification
) -> None:
    # Given a downstream receiver that fails its first three requests
    tag = f"sync{uuid.uuid4().hex[:6]}"
    leads = [lead(tag) for _ in range(5)]
    # only this test's requests fail: other tests' leads may reach the sink meanwhile
    notification.sink.fail("/downstream", Fault(status=503), times=3, matching=f"{tag}-")
    keys = {idempotency_key(x["lead_id"]) for x in leads}
    # When the batch is announced twice (a redelivered event), then again once everything has arrived
    announce(runtime, leads)
    announce(runtime, leads)
    assert wait_for(lambda: keys <= set(notification.sink.accepted_downstream()), 20), "not all leads arrived"
    announce(runtime, leads)
    assert runtime.wait_idle(15)
    posts = [r for r in notification.sink.snapshot("/downstream") if r.headers.get("Idempotency-Key") in keys]
    # Then every request was signed correctly, the failures were retried with backoff, and each lead
    # was accepted exactly once
    assert all(r.verified for r in posts if r.status != 503)
    accepted = [k for k in notification.sink.accepted_downstream() if k in keys]
    assert sorted(accepted) == sorted(keys)
    assert [r for r in posts if r.duplicate] == []
    failed_first = {r.headers["Idempotency-Key"] for r in posts if r.status == 503}
    assert len(failed_first) >= 1
    for x in leads:
        [sync] = [d for d in deliveries_for(x["lead_id"]) if d.channel == "downstream"]
        assert sync.state == "sent"
        # a lead whose request failed was claimed again (by the retry, or by the redelivered event)
        assert sync.attempts >= (2 if idempotency_key(x["lead_id"]) in failed_first else 1)


def test_downstream_failures_are_retried_after_a_backoff(
    runtime: LocalRuntime, notification: LocalNotification
) -> None:
    # Given a receiver failing twice in a row
    new = lead("backoff")
    notification.sink.fail("/downstream", Fault(status=500), times=2, matching=new["lead_id"])
    key = idempotency_key(new["lead_id"])
    # When the lead is announced once
    announce(runtime, [new])
    assert wait_for(lambda: key in notification.sink.accepted_downstream(), 30), "never delivered"
    # Then it was tried three times, each retry later than the one before by the growing backoff
    posts = [r for r in notification.sink.snapshot("/downstream") if r.headers.get("Idempotency-Key") == key]
    assert [(r.status, r.headers["X-Leadflow-Attempt"]) for r in posts] == [(500, "1"), (500, "2"), (200, "3")]
    base = runtime.config.downstream_backoff_base_s
    assert posts[1].at - posts[0].at >= base - 0.5
    assert posts[2].at - posts[1].at >= 2 * base - 0.5
    [sync] = [d for d in deliveries_for(new["lead_id"]) if d.channel == "downstream"]
    assert (sync.state, sync.attempts) == ("sent", 3)


def test_a_hanging_receiver_gets_backoff_not_the_dead_letter_queue_and_each_lead_arrives_once(
    runtime: LocalRuntime, notification: LocalNotification
) -> None:
    # Given a downstream receiver that hangs (answers only after 3 s, past the 1 s request timeout)
    # for this test's leads, and recovers 2.5 s later
    tag = f"hang{uuid.uuid4().hex[:6]}"
    leads = [lead(tag) for _ in range(6)]
    keys = {idempotency_key(x["lead_id"]) for x in leads}
    notification.sink.fail("/downstream", Fault(status=503, delay_s=3.0), times=1000, matching=f"{tag}-")
    recovery = threading.Timer(2.5, notification.sink.clear)
    sqs = runtime.aws("sqs")
    dead_letters = runtime.resources.dlqs["downstream-sync"]
    # When the six leads are announced in one event (one record of the downstream-sync queue)
    recovery.start()
    try:
        announce(runtime, leads)
        # Then every lead arrives once the receiver has recovered
        assert wait_for(lambda: keys <= set(notification.sink.accepted_downstream()), 45), "not all leads arrived"
    finally:
        recovery.cancel()
    assert runtime.wait_idle(20)
    posts = [r for r in notification.sink.snapshot("/downstream") if r.headers.get("Idempotency-Key") in keys]
    accepted = [k for k in notification.sink.accepted_downstream() if k in keys]
    # nothing was sent twice: each key accepted exactly once, no duplicate seen by the receiver
    assert sorted(accepted) == sorted(keys)
    assert [r for r in posts if r.duplicate] == []
    # the first round hung (the four parallel POSTs, side by side), the circuit opened, and the
    # other two leads backed off at once instead of each waiting out a timeout
    hung = sorted(r.at for r in posts if r.status == 503)
    assert len(hung) == 4 and hung[-1] - hung[0] < 1.0, hung
    for x in leads:
        [sync] = [d for d in deliveries_for(x["lead_id"]) if d.channel == "downstream"]
        assert (sync.state, sync.attempts >= 2) == ("sent", True), sync
    # and nothing went to the dead-letter queue
    depth = sqs.get_queue_attributes(QueueUrl=dead_letters, AttributeNames=["ApproximateNumberOfMessages"])
    assert depth["Attributes"]["ApproximateNumberOfMessages"] == "0"


def test_deliveries_route_shows_a_leads_deliveries(
    runtime: LocalRuntime, notification: LocalNotification, client: LeadflowClient
) -> None:
    new = lead("route")
    announce(runtime, [new])
    assert wait_for(lambda: len(deliveries_for(new["lead_id"])) >= 2, 10)
    assert runtime.wait_idle(10)
    response = client.http.get("/deliveries", params={"lead_id": new["lead_id"]})
    assert response.status_code == 200
    body = response.json()
    assert {(d["notice"], d["channel"], d["state"]) for d in body["deliveries"]} == {
        ("new", "slack", "sent"),
        ("sync", "downstream", "sent"),
    }
    missing = client.http.get("/deliveries")
    assert missing.status_code == 422 and missing.json()["message"] == "query lead_id: Field required"


def test_a_positive_reply_announces_a_qualified_lead_once(
    runtime: LocalRuntime, notification: LocalNotification
) -> None:
    qualified = lead("qualified", company="Initech")

    def dispositioned(disposition: str, email_id: str) -> None:
        detail = {
            "email_id": email_id,
            "lead_id": qualified["lead_id"],
            "disposition": disposition,
            "agent": "agent-7",
            "lead": qualified,
        }
        response = runtime.aws("events").put_events(
            Entries=[
                {
                    "EventBusName": runtime.resources.buses["events"],
                    "Source": "leadflow.assignment",
                    "DetailType": "email.dispositioned",
                    "Detail": json.dumps(detail),
                }
            ]
        )
        assert response["FailedEntryCount"] == 0

    # a neutral reply is not news; a positive one is, once, however often the event comes
    dispositioned("Neutral Reply", "e-1")
    dispositioned("Positive Reply", "e-2")
    dispositioned("Positive Reply", "e-2")
    assert wait_for(lambda: slack_posts_for(notification, qualified["lead_id"]), 10)
    assert runtime.wait_idle(10)
    [post] = slack_posts_for(notification, qualified["lead_id"])
    assert post.headers["X-Leadflow-Notice"] == f"{qualified['lead_id']}/qualified:e-2"
    message = post.json()
    assert message["text"].startswith("Qualified lead: Grace Hopper")
    assert "agent-7" in message["text"] and "Initech" in json.dumps(message["blocks"])
