"""Answering a call with an in-memory call log and queue: stored once per ContactId, a repeat caller
within the window reusing its vanity numbers, one lead message per call, a withheld number answered
gracefully."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from shared.core.models import Call
from shared.phone import calls
from shared.phone.calls import CallService
from tests.unit.fakes import FakeSqs

QUEUE = "https://sqs.local/lead-batches"
NOON = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)


@dataclass
class FakeCallLog:
    """The calls table: a put is refused for a ContactId stored already; `by_caller` newest first."""

    items: dict[str, Call] = field(default_factory=dict)

    def get(self, contact_id: str) -> Call | None:
        return self.items.get(contact_id)

    def latest_of(self, caller: str, since: str) -> Call | None:
        theirs = [c for c in self.items.values() if c.caller == caller and c.called_at >= since]
        return max(theirs, key=lambda c: c.called_at, default=None)

    def put_once(self, call: Call) -> bool:
        if call.contact_id in self.items:
            return False
        self.items[call.contact_id] = call
        return True


class World:
    def __init__(self) -> None:
        self.log = FakeCallLog()
        self.sqs = FakeSqs()
        self.service = CallService(
            calls_table="unused", lead_queue_url=QUEUE, default_region="US", window=timedelta(minutes=30),
            log=self.log, sqs=self.sqs,
        )  # fmt: skip
        self.computed = 0


@pytest.fixture
def world(monkeypatch: pytest.MonkeyPatch) -> World:
    w = World()
    real = calls.vanity_numbers

    def counting(e164: str, count: int) -> Any:
        w.computed += 1
        return real(e164, count)

    monkeypatch.setattr(calls, "vanity_numbers", counting)
    return w


def test_a_call_gets_vanity_numbers_is_stored_and_becomes_one_lead(world: World) -> None:
    answer = world.service.handle("c1", "+1 (800) 468-5865", now=NOON)

    assert answer["status"] == "ok" and answer["caller"] == "+18004685865" and answer["reused"] == "false"
    assert answer["count"] == "5" and all(answer[f"vanity{i}"] for i in range(1, 6))
    assert all(isinstance(v, str) for v in answer.values()), "a contact flow reads flat strings only"
    stored = world.log.items["c1"]
    assert stored.vanity == [answer[f"vanity{i}"] for i in range(1, 6)]
    assert stored.called_at == "2024-05-01T12:00:00.000+00:00"
    [lead] = world.sqs.messages(QUEUE)
    assert lead["batch_id"] == "call-c1" and lead["job_id"] is None and lead["source"] == "phone"
    assert lead["rows"] == [{"w": None, "r": 1, "v": {"Phone": "+18004685865", "Contact Id": "c1"}}]


def test_a_retried_contact_returns_the_stored_answer_and_sends_no_second_lead(world: World) -> None:
    first = world.service.handle("c1", "+12125550123", now=NOON)

    again = world.service.handle("c1", "+12125550123", now=NOON + timedelta(seconds=3))

    assert [again[f"vanity{i}"] for i in range(1, 6)] == [first[f"vanity{i}"] for i in range(1, 6)]
    assert again["reused"] == "true" and world.computed == 1
    assert len(world.log.items) == 1 and len(world.sqs.sent[QUEUE]) == 1


def test_a_caller_within_the_window_reuses_their_vanity_numbers(world: World) -> None:
    first = world.service.handle("c1", "+13125550188", now=NOON)

    second = world.service.handle("c2", "+13125550188", now=NOON + timedelta(minutes=29))

    # a new contact is stored (and is a lead) but its numbers are the caller's last ones
    assert second["reused"] == "true" and world.computed == 1
    assert second["vanity1"] == first["vanity1"] and world.log.items["c2"].reused is True
    assert len(world.sqs.sent[QUEUE]) == 2


def test_a_caller_after_the_window_gets_numbers_computed_again(world: World) -> None:
    world.service.handle("c1", "+13125550188", now=NOON)

    later = world.service.handle("c2", "+13125550188", now=NOON + timedelta(minutes=31))

    assert later["reused"] == "false" and world.computed == 2


def test_a_racing_duplicate_of_the_same_contact_sends_no_second_lead(world: World) -> None:
    # Given the contact's call was stored by another invocation after this one looked
    world.service.handle("c1", "+12125550123", now=NOON)
    stored = world.log.items.pop("c1")
    world.log.get = lambda contact_id: None  # type: ignore[method-assign]
    world.log.items["c1"] = stored

    world.service.handle("c1", "+12125550123", now=NOON)

    assert len(world.sqs.sent[QUEUE]) == 1


@pytest.mark.parametrize("raw", [None, "", "anonymous", "Restricted", "12", "not a number"])
def test_a_withheld_or_unreadable_number_is_answered_gracefully(world: World, raw: str | None) -> None:
    answer = world.service.handle("c1", raw, now=NOON)

    assert answer["status"] == "no_number" and answer["count"] == "0" and answer["reason"]
    assert world.log.items == {} and world.sqs.sent == {}


def test_an_unreadable_number_is_logged_by_contact_id_not_by_number(world: World) -> None:
    from shared.core.observability import logger

    lines: list[str] = []

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            lines.append(self.format(record))

    collect = Collect()
    collect.setFormatter(logger.registered_formatter)
    level = logger._logger.level
    logger._logger.addHandler(collect)
    logger.setLevel("INFO")
    try:
        world.service.handle("contact-zqx", "+1 999 41", now=NOON)
    finally:
        logger.setLevel(level)
        logger._logger.removeHandler(collect)
    assert any("contact-zqx" in line for line in lines), lines
    assert not any("999 41" in line for line in lines), lines
