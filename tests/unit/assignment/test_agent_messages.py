"""An agent's WebSocket messages are parsed into their models (`shared.core.models.AgentMessage`)
before anything runs; what is none of them gets one sentence saying what to send instead."""

from __future__ import annotations

from typing import Any

import pytest

from lambdas.assignment.ws_messages.handler import parse
from shared.core.errors import BadInput
from shared.core.models import Disposition, Ping, Resume, SetStatus


def test_each_action_becomes_its_model() -> None:
    assert parse({"action": "ping"}) == Ping(action="ping")
    assert parse({"action": "resume", "extra": 1}) == Resume(action="resume")
    assert parse({"action": "setStatus", "status": "away"}) == SetStatus(action="setStatus", status="away")
    assert parse({"action": "disposition", "email_id": "em_1", "disposition": "Not a lead"}) == Disposition(
        action="disposition", email_id="em_1", disposition="Not a lead"
    )


@pytest.mark.parametrize(
    ("body", "sentence"),
    [
        ({"action": "teleport"}, "unknown action 'teleport'; use one of setStatus, disposition, resume, ping"),
        ({}, "unknown action None"),
        ({"action": "disposition", "disposition": "Not a lead"}, "a disposition needs the email_id it is for"),
        ({"action": "disposition", "email_id": ""}, "a disposition needs the email_id it is for"),
        ({"action": "disposition", "email_id": 7}, "a disposition needs the email_id it is for"),
        ({"action": "setStatus", "status": 5}, "setStatus: status must be text"),
    ],
)
def test_anything_else_is_one_sentence(body: dict[str, Any], sentence: str) -> None:
    with pytest.raises(BadInput) as refused:
        parse(body)
    assert refused.value.message.startswith(sentence)
