"""Taking a web-form submission, with in-memory form leads, conversations and queue: one answer per
Idempotency-Key, the open-lead rule and its replacement, the steps handed to the forwarder."""

from __future__ import annotations

from typing import Any

import pytest

from shared.core.errors import BadInput
from shared.core.models import FormAnswer, StepState
from shared.forms.intake import FormIntake, FormSubmission, IdempotencyMismatch
from shared.forms.store import OpenLeadExists
from tests.unit.fakes import FakeSqs
from tests.unit.forms.form_fakes import FakeConversations, FakeFormStore

QUEUE = "https://sqs.local/form-forwards"
FORM: dict[str, Any] = {
    "first_name": "Ana",
    "email": "ana@example.org",
    "phone": "(415) 555-0132",
    "dealer_id": "D-1",
    "location_id": "L-1",
    "message": "Is it still there?",
}


class World:
    def __init__(self, *, location_phone: str | None = "+14155550100") -> None:
        self.store = FakeFormStore()
        if location_phone:
            self.store.locations[("D-1", "L-1")] = location_phone
        self.conversations = FakeConversations()
        self.sqs = FakeSqs()
        self.intake = FormIntake(
            store=self.store, conversations=self.conversations, forwards_queue_url=QUEUE, sqs=self.sqs
        )

    def submit(self, form: dict[str, Any] = FORM, **kwargs: Any) -> tuple[int, FormAnswer]:
        return self.intake.submit(FormSubmission.model_validate(form), **kwargs)

    def queued(self) -> list[tuple[str, str]]:
        return [(m["form_lead_id"], m["step"]) for m in self.sqs.messages(QUEUE)]


@pytest.fixture
def world() -> World:
    return World()


def test_a_web_to_text_lead_is_opened_put_in_its_conversation_and_every_step_queued(world: World) -> None:
    status, body = world.submit()

    form_lead_id = body.form_lead_id
    record = world.store.records[form_lead_id]
    assert status == 202 and body.web2text is True and record["status"] == "open"
    assert record["open_key"] == "open#+14155550132#D-1#L-1"
    assert body.conversation_id == "conv-+14155550132-+14155550100" and body.pool_number == "+15550000001"
    assert world.conversations.leads[body.conversation_id] == {form_lead_id}
    steps = ["store", "marketing", "sms_customer", "sms_dealer"]
    assert world.queued() == [(form_lead_id, s) for s in steps]


def test_without_a_location_phone_the_texts_are_skipped_with_a_reason() -> None:
    world = World(location_phone=None)

    _, body = world.submit()

    record = world.store.records[body.form_lead_id]
    assert record["sms_customer_state"] == record["sms_dealer_state"] == StepState.SKIPPED.value
    assert record["sms_dealer_error"] == "no phone number on file for this location"
    assert [s for _, s in world.queued()] == ["store", "marketing"]


def test_a_form_without_a_dealer_is_no_web_to_text_lead(world: World) -> None:
    _, body = world.submit({"email": "ana@example.org"})
    assert body.web2text is False and world.store.opens == {}
    assert [s for _, s in world.queued()] == ["store", "marketing"]


def test_a_repeated_idempotency_key_gets_the_first_answer_and_no_second_lead(world: World) -> None:
    first = world.submit(idempotency_key="k1")

    again = world.submit(idempotency_key="k1")

    assert again == first and len(world.store.records) == 1


def test_a_key_used_with_another_submission_is_refused(world: World) -> None:
    world.submit(idempotency_key="k1")
    with pytest.raises(IdempotencyMismatch):
        world.submit({**FORM, "message": "something else"}, idempotency_key="k1")


def test_a_replay_queues_again_the_steps_that_never_started(world: World) -> None:
    # Given a first request whose store step ran, and whose messages may have been lost
    _, body = world.submit(idempotency_key="k1")
    form_lead_id = body.form_lead_id
    world.store.records[form_lead_id].update(store_state="done", store_attempts=1)
    world.sqs.sent.clear()

    world.submit(idempotency_key="k1")

    assert world.queued() == [(form_lead_id, s) for s in ("marketing", "sms_customer", "sms_dealer")]


def test_a_second_open_lead_for_the_same_phone_dealer_and_location_is_refused(world: World) -> None:
    _, first = world.submit()

    with pytest.raises(OpenLeadExists) as refused:
        world.submit({**FORM, "message": "again"})

    assert refused.value.open_lead_id == first.form_lead_id and len(world.store.records) == 1


def test_replace_closes_the_open_lead_and_opens_the_new_one(world: World) -> None:
    _, first = world.submit()
    old = first.form_lead_id

    status, body = world.submit({**FORM, "message": "again"}, replace=True)

    new = body.form_lead_id
    assert status == 202 and body.replaced == old and new != old
    assert world.store.records[old]["status"] == "closed" and world.store.records[new]["status"] == "open"
    assert world.store.opens["open#+14155550132#D-1#L-1"] == new
    assert world.conversations.leads[body.conversation_id] == {new}


def test_a_submission_without_email_or_phone_is_refused(world: World) -> None:
    with pytest.raises(BadInput):
        world.submit({"first_name": "Ana"})
    assert world.store.records == {} and world.sqs.sent == {}
