"""Forwarding a form lead step by step, with an in-memory journal, queue and SMS sender and httpx's
own mock transport for the marketing endpoint: a finished step is never done twice, a held step
waits for its lease, retryable failures back off and give up at the limit, texts go from the pool."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from pydantic import ValidationError

from shared.core.models import FormForward, StepState
from shared.forms.forwarding import MAX_HOP_S, Forwarder, GaveUp, marketing_key
from shared.forms.twilio import TwilioError
from tests.unit.fakes import FakeSqs
from tests.unit.forms.form_fakes import FakeConversations, FakeFormStore, FakeTexts

FORWARDS, BATCHES, MARKETING = "https://sqs.local/forwards", "https://sqs.local/batches", "https://crm.example/leads"
STEPS = ["store", "marketing", "sms_customer", "sms_dealer"]
T0 = 1_700_000_000.0


class World:
    def __init__(self, *, marketing: list[int] | None = None, marketing_url: str = MARKETING) -> None:
        self.store = FakeFormStore()
        self.conversations = FakeConversations()
        self.sqs = FakeSqs()
        self.texts = FakeTexts()
        self.now = T0
        self.answers = list(marketing or [200])
        self.posts: list[httpx.Request] = []
        self.forwarder = Forwarder(
            store=self.store,
            conversations=self.conversations,
            queue_url=FORWARDS,
            lead_batches_url=BATCHES,
            marketing_url=marketing_url,
            twilio=self.texts,
            base_s=30,
            max_attempts=3,
            lease_s=60,
            clock=lambda: self.now,
            http=httpx.Client(transport=httpx.MockTransport(self._marketing)),
            sqs=self.sqs,
        )
        self.store.records["f1"] = {
            "form_lead_id": "f1",
            "status": "open",
            "created_at": "2024-05-01T12:00:00.000+00:00",
            "updated_at": "2024-05-01T12:00:00.000+00:00",
            "lead": {"lead_id": "L1", "email": "ana@example.org"},
            "row": {"Email": "ana@example.org", "Phone": "+14155550132"},
            "customer_phone": "+14155550132",
            "customer_name": "Ana",
            "location_phone": "+14155550100",
            "message": "Is it still there?",
            "conversation_id": "c1",
            "pool_number": "+15550000001",
            "steps": STEPS,
            "inflight": "forward",
            **{f"{s}_state": StepState.PENDING.value for s in STEPS},
        }

    def _marketing(self, request: httpx.Request) -> httpx.Response:
        self.posts.append(request)
        return httpx.Response(self.answers.pop(0) if len(self.answers) > 1 else self.answers[0], json={})

    def handle(self, step: str, attempt: int = 1, **extra: Any) -> str:
        return self.forwarder.handle(json.dumps({"form_lead_id": "f1", "step": step, "attempt": attempt, **extra}))

    @property
    def record(self) -> dict[str, Any]:
        return self.store.records["f1"]


@pytest.fixture
def world() -> World:
    return World()


def test_the_store_step_sends_a_one_row_batch_named_after_the_form_lead(world: World) -> None:
    assert world.handle("store") == "done"

    [batch] = world.sqs.messages(BATCHES)
    assert batch["batch_id"] == "form-f1" and batch["job_id"] is None and batch["source"] == "form"
    assert batch["rows"] == [{"w": None, "r": 1, "v": world.record["row"]}]
    assert (world.record["store_state"], world.record["store_attempts"]) == ("done", 1)


def test_a_finished_step_is_not_performed_again(world: World) -> None:
    world.handle("store")
    assert world.handle("store") == "finished"
    assert len(world.sqs.sent[BATCHES]) == 1


def test_a_step_held_by_another_invocation_looks_again_after_the_lease(world: World) -> None:
    world.store.claim_step("f1", "store", now=T0, lease_s=60)

    assert world.handle("store") == "held"

    [again] = world.sqs.messages(FORWARDS)
    assert again["not_before"] == T0 + 60 and world.sqs.delays == [60] and BATCHES not in world.sqs.sent


def test_a_step_whose_lease_ran_out_is_taken_over(world: World) -> None:
    world.store.claim_step("f1", "store", now=T0 - 120, lease_s=60)
    assert world.handle("store") == "done"


def test_a_message_before_its_time_is_sent_on_in_hops_of_at_most_fifteen_minutes(world: World) -> None:
    assert world.handle("marketing", 2, not_before=T0 + 3_600) == "waiting"
    assert world.sqs.delays == [MAX_HOP_S] and world.posts == []


def test_marketing_carries_the_same_idempotency_key_on_every_attempt(world: World) -> None:
    world = World(marketing=[503, 200])

    assert world.handle("marketing") == "retrying"
    world.now += 30
    assert world.handle("marketing", 2) == "done"

    assert [p.headers["Idempotency-Key"] for p in world.posts] == [marketing_key("f1")] * 2
    sent = json.loads(world.posts[0].content)["lead"]
    assert (sent["lead_id"], sent["email"]) == ("L1", "ana@example.org")


def test_a_retryable_failure_backs_off_then_gives_up_at_the_limit() -> None:
    world = World(marketing=[503])

    # attempts 1 and 2 retry, waiting base * 2^(n-1): 30 s, then 60 s
    assert world.handle("marketing") == "retrying"
    assert world.record["marketing_state"] == StepState.RETRYING.value and world.record["marketing_next_attempt_at"]
    world.now += 30
    assert world.handle("marketing", 2) == "retrying"
    assert world.sqs.delays == [30, 60]
    world.now += 60

    # attempt 3 is the last: the step fails for good and the message dead-letters
    with pytest.raises(GaveUp):
        world.handle("marketing", 3)
    assert world.record["marketing_state"] == StepState.FAILED.value
    assert world.record["marketing_error"] == "marketing endpoint answered 503"
    assert len(world.posts) == 3 and len(world.sqs.sent[FORWARDS]) == 2


def test_a_refusal_that_cannot_get_better_fails_at_once() -> None:
    world = World(marketing=[400])
    with pytest.raises(GaveUp):
        world.handle("marketing")
    assert world.record["marketing_attempts"] == 1 and FORWARDS not in world.sqs.sent


def test_without_a_marketing_endpoint_the_step_is_skipped() -> None:
    world = World(marketing_url="")
    assert world.handle("marketing") == "skipped"
    assert world.record["marketing_error"] == "no marketing endpoint configured for this stage"


def test_texts_go_from_the_pool_number_and_are_recorded_in_the_conversation(world: World) -> None:
    assert world.handle("sms_customer") == "done"
    assert world.handle("sms_dealer") == "done"

    (from1, to1, body1), (from2, to2, body2) = world.texts.sent
    assert (from1, to1) == ("+15550000001", "+14155550132") and body1.startswith("Hi Ana")
    assert (from2, to2) == ("+15550000001", "+14155550100") and "Is it still there?" in body2
    assert [(cid, m.party, m.sid) for cid, m in world.conversations.outbound] == [
        ("c1", "customer", "SM0001"),
        ("c1", "dealer", "SM0002"),
    ]
    assert world.record["sms_customer_result"] == "SM0001"


def test_a_twilio_failure_worth_retrying_retries(world: World) -> None:
    world.texts.errors = [TwilioError("Twilio answered 429", retryable=True)]
    assert world.handle("sms_customer") == "retrying"
    assert world.texts.sent == [] and world.conversations.outbound == []


def test_a_step_of_an_unknown_form_lead_is_dropped(world: World) -> None:
    assert world.forwarder.handle(json.dumps({"form_lead_id": "nope", "step": "store", "attempt": 1})) == "missing"


@pytest.mark.parametrize(
    "body",
    [
        '{"form_lead_id": "f1", "step": "store"}',
        '{"form_lead_id": "f1", "step": "store", "attempt": 0}',
        '{"form_lead_id": "f1", "step": "store", "attempt": 1, "extra": true}',
        "not json",
    ],
)
def test_a_malformed_step_message_is_refused_before_anything_is_claimed(world: World, body: str) -> None:
    before = dict(world.store.records["f1"])
    with pytest.raises(ValidationError):
        world.forwarder.handle(body)
    assert world.store.records["f1"] == before
    assert not world.sqs.sent


def test_a_step_sent_on_is_a_form_forward_message(world: World) -> None:
    later = FormForward(form_lead_id="f1", step="store", attempt=2, not_before=T0 + 3600)
    assert world.forwarder.handle(later.body()) == "waiting"
    [body] = world.sqs.sent[FORWARDS]
    assert FormForward.model_validate_json(body) == later
