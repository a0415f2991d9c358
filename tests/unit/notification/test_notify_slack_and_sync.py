"""Slack's failure rules on an httpx fake transport; Block Kit; downstream signatures and backoff."""

from __future__ import annotations

import itertools
import time
from typing import Any

import httpx
import pytest

from shared.core.models import EventLead
from shared.notification import notices
from shared.notification.downstream import MAX_HOP_S, backoff_s, idempotency_key, sign, verify
from shared.notification.slack import RESERVE_S, SlackClient, blocks


def client(answers: list[httpx.Response | Exception], sleeps: list[float]) -> tuple[SlackClient, list[httpx.Request]]:
    seen: list[httpx.Request] = []

    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        answer = answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer

    slack = SlackClient(2.0, sleep=sleeps.append)
    slack._http = httpx.Client(transport=httpx.MockTransport(handle))
    return slack, seen


def post(slack: SlackClient, remaining: float = 30.0) -> Any:
    return slack.post(
        "https://hooks.slack.test/x", {"text": "hi", "blocks": []}, remaining_s=lambda: remaining, headers={}
    )


def test_2xx_is_delivered() -> None:
    slack, seen = client([httpx.Response(200, text="ok")], [])
    assert post(slack).ok and len(seen) == 1


def test_5xx_fails_definitely() -> None:
    slack, _ = client([httpx.Response(500)], [])
    result = post(slack)
    assert not result.ok and not result.uncertain and result.status == 500


def test_timeout_fails_uncertain() -> None:
    slack, _ = client([httpx.ReadTimeout("slow")], [])
    result = post(slack)
    assert not result.ok and result.uncertain


def test_connection_refused_fails_definitely() -> None:
    slack, _ = client([httpx.ConnectError("refused")], [])
    result = post(slack)
    assert not result.ok and not result.uncertain


def test_429_retry_after_is_respected_when_it_fits() -> None:
    sleeps: list[float] = []
    slack, seen = client([httpx.Response(429, headers={"Retry-After": "3"}), httpx.Response(200)], sleeps)
    result = post(slack, remaining=30.0)
    assert result.ok and result.attempts == 2 and sleeps == [3.0] and len(seen) == 2


def test_429_retry_after_beyond_the_functions_time_falls_back() -> None:
    sleeps: list[float] = []
    # 20 s wait + 2 s request do not fit in 25 s minus the reserve for the email
    slack, seen = client([httpx.Response(429, headers={"Retry-After": "20"})], sleeps)
    result = post(slack, remaining=25.0)
    assert not result.ok and result.status == 429 and sleeps == [] and len(seen) == 1
    assert 25.0 - RESERVE_S < 20 + 2.0


def test_no_webhook_url_fails_without_a_request() -> None:
    slack, seen = client([], [])
    result = slack.post("", {"text": "x", "blocks": []}, remaining_s=lambda: 30.0, headers={})
    assert not result.ok and seen == []


def test_block_kit_message_names_the_lead_and_how_to_reach_them() -> None:
    lead = EventLead(
        lead_id="L1",
        first_name="Ada",
        last_name="Lovelace",
        company="Analytical <Engines>",
        email="ada@example.com",
        phone="+442071234567",
    )
    message = blocks(notices.new_lead(lead, source="webform", event_time=None))
    assert message["text"].startswith("New lead: Ada Lovelace")
    assert message["blocks"][0] == {
        "type": "header",
        "text": {"type": "plain_text", "text": "New lead: Ada Lovelace (Analytical <Engines>)", "emoji": True},
    }
    fields = [f["text"] for b in message["blocks"] if b["type"] == "section" for f in b.get("fields", [])]
    assert "*Company*\nAnalytical &lt;Engines&gt;" in fields
    assert "*Reach them*\nada@example.com · +442071234567" in fields
    assert "*Source*\nwebform" in fields


def test_digest_counts_sources_and_links_the_window() -> None:
    notice = notices.digest(
        1_800_000_000, 60, 5000, {"xlsx": 4000, "webform": 1000}, list_url="https://l/x", individual=25
    )
    assert notice.key == "digest#1800000000" and notice.kind == "digest"
    assert notice.title == "5000 new leads in 60 s"
    assert "4000 from xlsx, 1000 from webform" in notice.text()
    assert notice.link == "https://l/x?created_after=2027-01-15T08:00:00Z&created_before=2027-01-15T08:01:00Z"


def test_signature_verifies_and_refuses_tampering_and_replays() -> None:
    body = b'{"lead":{"lead_id":"L1"}}'
    now = int(time.time())
    header = sign("k3y", body, now)
    assert header.startswith(f"t={now},v1=")
    assert verify("k3y", body, header, now=now)
    assert not verify("other", body, header, now=now)
    assert not verify("k3y", body + b" ", header, now=now)
    assert not verify("k3y", body, header, now=now + 3600)  # an old request replayed
    assert not verify("k3y", body, "garbage", now=now)


def test_idempotency_key_is_stable_per_lead() -> None:
    assert idempotency_key("L1") == idempotency_key("L1") != idempotency_key("L2")


@pytest.mark.parametrize(("base", "cap", "attempts"), [(30, 7200, 12), (2, 600, 4)])
def test_backoff_doubles_up_to_its_cap(base: int, cap: int, attempts: int) -> None:
    waits = [backoff_s(a, base_s=base, max_s=cap) for a in range(1, attempts)]
    assert waits[0] == base
    assert all(b == min(cap, 2 * a) for a, b in itertools.pairwise(waits))
    assert max(waits) <= cap


def test_prod_backoff_spans_hours_in_hops_sqs_allows() -> None:
    waits = [backoff_s(a, base_s=30, max_s=7200) for a in range(1, 12)]
    assert sum(waits) > 6 * 3600  # retried over hours before the dead-letter queue
    hops = sum(-(-w // MAX_HOP_S) for w in waits)  # each wait is sent as ceil(w / 900) delayed messages
    assert hops > len(waits)  # some waits need several hops
