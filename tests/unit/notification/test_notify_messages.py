"""The notification queues' messages as models: the bus's events and the domain's own messages (a due
digest, a downstream retry) are parsed before anything runs; a message that does not fit is refused,
an event of someone else's detail-type ignored. The delivery records as models, and as the API shows them."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any, cast

import pytest
from pydantic import ValidationError

from shared.core import aws
from shared.core.models import (
    DeliveryRecord,
    DigestDue,
    DownstreamEndpoint,
    DownstreamRetry,
    EmailDispositioned,
    LeadEnrichedEvent,
)
from shared.notification import downstream, messages, notices
from shared.notification.deliveries import Claim, DeliveryStore, Outcome, State, deliveries_for, public
from shared.notification.downstream import SYNC, DownstreamSync
from shared.notification.service import NotifyService
from tests.unit.fakes import FakeSqs, in_process_aws

LEAD = {"lead_id": "L1", "first_name": "Ada", "email": "ada@example.com", "company": "Engines", "source": "webform"}


def event(detail_type: str, detail: dict[str, Any]) -> str:
    return json.dumps(
        {
            "id": "e1",
            "time": "2026-12-04T10:00:00Z",
            "source": "leadflow.x",
            "detail-type": detail_type,
            "detail": detail,
        }
    )


def test_a_due_digest_round_trips() -> None:
    due = DigestDue(kind="digest", window_start=1_800_000_000, window_s=60)
    assert json.loads(due.body()) == {"kind": "digest", "window_start": 1_800_000_000, "window_s": 60}
    assert messages.parse(due.body(), DigestDue) == due


def test_a_lead_enriched_event_is_parsed_with_its_envelope() -> None:
    parsed = messages.parse(event("lead.enriched", {"source": "webform", "leads": [LEAD]}), DigestDue)
    assert isinstance(parsed, LeadEnrichedEvent)
    assert parsed.detail.leads[0].company == "Engines"
    assert notices.event_epoch(parsed.time) == 1_796_378_400.0


@pytest.mark.parametrize(
    "body",
    [
        "not json",
        event("lead.enriched", {"leads": [{"first_name": "no id"}]}),
        event("lead.enriched", {"leads": [{**LEAD, "unknown_field": 1}]}),
        event("email.dispositioned", {"email_id": "e1"}),
        json.dumps({"kind": "digest", "window_start": 1_800_000_000, "window_s": 0}),
        json.dumps({"kind": "digest", "window_s": 60}),
    ],
    ids=[
        "not-json",
        "lead-without-id",
        "lead-with-unknown-field",
        "disposition-without-agent",
        "zero-window",
        "no-start",
    ],
)
def test_a_message_that_does_not_fit_is_refused(body: str) -> None:
    with pytest.raises(ValidationError):
        messages.parse(body, DigestDue)
    with pytest.raises(ValidationError):
        service().handle(body, remaining_s=lambda: 30.0)


def test_someone_elses_event_is_ignored() -> None:
    body = event("invoice.paid", {"amount": 3})
    assert messages.parse(body, DigestDue) is None
    assert service().handle(body, remaining_s=lambda: 30.0) == []
    assert service().handle(event("email.dispositioned", neutral()), remaining_s=lambda: 30.0) == []


def neutral() -> dict[str, Any]:
    return {"email_id": "e1", "lead_id": "L1", "disposition": "Neutral Reply", "agent": "a7"}


def service() -> NotifyService:
    """A service whose notifier and gate must not be reached."""
    return NotifyService(cast(Any, None), cast(Any, None), "https://console/leads")


def test_a_qualified_lead_shows_the_events_lead_or_only_its_id() -> None:
    with_lead = EmailDispositioned.model_validate(
        {"email_id": "e2", "lead_id": "L1", "disposition": "Positive Reply", "agent": "a7", "lead": LEAD}
    )
    notice = notices.qualified_lead(with_lead, event_time=None)
    assert (notice.key, notice.kind, notice.title) == ("L1", "qualified:e2", "Qualified lead: Ada")
    assert ("Company", "Engines") in notice.fields and ("Source", "webform") in notice.fields

    bare = notices.qualified_lead(with_lead.model_copy(update={"lead": None}), event_time=None)
    assert (bare.key, bare.title) == ("L1", "Qualified lead: L1")
    assert bare.text() == "Qualified lead: L1\nPositive reply, classified by a7\nName: L1"


def test_a_retry_carries_each_lead_as_its_event_did() -> None:
    parsed = messages.parse(event("lead.enriched", {"leads": [LEAD]}), DownstreamRetry)
    assert isinstance(parsed, LeadEnrichedEvent)
    retry = DownstreamRetry(kind="retry", leads=parsed.detail.leads, attempt=2, not_before=1_800_000_000.5)
    # no defaults added (status, created_at, ...): the receiver gets what the event carried
    assert json.loads(retry.body())["leads"] == [LEAD]
    again = messages.parse(retry.body(), DownstreamRetry)
    assert isinstance(again, DownstreamRetry) and again.body() == retry.body()
    with pytest.raises(ValidationError):
        messages.parse(json.dumps({**json.loads(retry.body()), "attempt": 0}), DownstreamRetry)


TABLE = "deliveries"


@pytest.fixture
def moto(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    with in_process_aws(monkeypatch):
        aws.client("dynamodb").create_table(
            TableName=TABLE,
            KeySchema=[
                {"AttributeName": "lead_id", "KeyType": "HASH"},
                {"AttributeName": "delivery", "KeyType": "RANGE"},
            ],
            AttributeDefinitions=[
                {"AttributeName": "lead_id", "AttributeType": "S"},
                {"AttributeName": "delivery", "AttributeType": "S"},
            ],
            BillingMode="PAY_PER_REQUEST",
        )
        yield aws.client("sqs").create_queue(QueueName="downstream")["QueueUrl"]


def test_delivery_records_are_models_and_the_api_shows_them_as_before(moto: str) -> None:
    store = DeliveryStore(TABLE)
    claim = store.claim("L1", "new#slack", now=1_800_000_000.0)
    assert claim.outcome == Claim.CLAIMED and claim.attempts == 1
    store.finish_many("new#slack", [("L1", claim.attempt_id, Outcome(State.SENT, status=200))])
    store.mark("L1", "new#email", State.UNCERTAIN, detail="timeout")
    record = store.get("L1", "new#slack")
    assert isinstance(record, DeliveryRecord)
    assert (record.state, record.status, record.attempts, record.lease_until) == (State.SENT, 200, 1, None)
    again = store.claim("L1", "new#slack")
    assert again.outcome == Claim.DONE and again.record.status == 200
    assert set(store.get_many([("L1", "new#slack"), ("L1", "new#email"), ("L1", "nothing")])) == {
        ("L1", "new#slack"),
        ("L1", "new#email"),
    }
    shown = public(record).model_dump(mode="json")
    assert shown == {
        "notice": "new",
        "channel": "slack",
        "state": "sent",
        "attempts": 1,
        "first_at": "2027-01-15T08:00:00Z",
        "updated_at": shown["updated_at"],
        "status": 200,
    }
    # detail, digest, status and next_attempt_at are left out when the record has none
    email = public(DeliveryRecord(lead_id="L1", delivery="new#email", state=State.UNCERTAIN, detail="timeout"))
    assert email.model_dump(mode="json") == {
        "notice": "new",
        "channel": "email",
        "state": "uncertain",
        "attempts": 0,
        "first_at": None,
        "updated_at": None,
        "detail": "timeout",
    }
    # oldest first: the email's record was marked now, the Slack one claimed at its (later) `now`
    assert [(d.notice, d.channel) for d in deliveries_for("L1", table=TABLE)] == [("new", "email"), ("new", "slack")]


def sync(queue_url: str, endpoint: DownstreamEndpoint, now: float) -> DownstreamSync:
    return DownstreamSync(
        store=DeliveryStore(TABLE),
        endpoint=lambda: endpoint,
        queue_url=queue_url,
        base_s=30,
        max_s=600,
        max_attempts=3,
        clock=lambda: now,
    )


def test_a_retry_that_must_wait_hops_unchanged(moto: str, monkeypatch: pytest.MonkeyPatch) -> None:
    sqs = FakeSqs()
    monkeypatch.setattr(downstream, "client", lambda name: sqs)
    retry = DownstreamRetry.model_validate({"kind": "retry", "leads": [LEAD], "attempt": 2, "not_before": 5000.0})
    result = sync(moto, DownstreamEndpoint(url="http://crm", signing_key="k"), now=1000.0).handle(retry.body())
    assert (result.retrying, result.next_attempt_in_s) == (1, 4000)
    [hop] = sqs.sent[moto]
    assert hop == retry.body() and sqs.delays == [downstream.MAX_HOP_S]


def test_no_endpoint_skips_and_someone_elses_event_is_ignored(moto: str) -> None:
    unset = sync(moto, DownstreamEndpoint.model_validate({"other": "x"}), now=1000.0)
    assert unset.handle(event("lead.enriched", {"leads": [LEAD]})).skipped == 1
    assert unset.handle(event("invoice.paid", {})).skipped == 0
    assert DeliveryStore(TABLE).get("L1", SYNC) is None
