"""The assignment domain's models against the formats they replaced: a stored item read into its model
and written back is the same item, intake writes the items it wrote before, and every message an
agent's connection gets is the JSON it got before (no network)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from shared.assignment.engine import Assignment
from shared.assignment.intake import email_from_lead, email_id_for
from shared.assignment.push import encode
from shared.assignment.websocket import error, reply
from shared.core.dynamo import from_attr, to_attr
from shared.core.models import (
    AgentView,
    Dispositioned,
    EmailRecord,
    EmailStatus,
    EventLead,
    Expired,
    Pong,
    QueuedEmail,
    StatusReply,
    User,
    UserStatus,
)

NOW = "2024-05-01T12:00:00.000+00:00"
LEAD = {"lead_id": "L1", "first_name": "Bob", "email": "bob@example.com", "source": "upload", "job_id": "J1", "row": 2}
WAITING = {
    "email_id": "em_1",
    "kind": "email",
    "lead_id": "L1",
    "sender": "bob@example.com",
    "subject": "Quote",
    "body": "How much? ½ price?",
    "received_at": "2024-01-02T10:00:00.000+00:00",
    "status": "Pending",
    "queue": "waiting",
    "open": "pending",
    "queue_key": "2024-01-02T10:00:00.000+00:00#em_1",
    "pending_since": NOW,
    "created_at": NOW,
    "lead": LEAD,
}
HELD = {
    **{k: v for k, v in WAITING.items() if k != "queue"},
    "assigned_to": "alice",
    "assigned_at": NOW,
    "attempt": "a1",
    "expires_at": "2024-05-01T12:02:00.000+00:00",
    "expiries": 2,
}
DONE = {
    **{k: v for k, v in HELD.items() if k not in ("open", "expires_at")},
    "status": "Not a lead",
    "dispositioned_at": NOW,
    "dispositioned_by": "alice",
}
BUSY = {
    "user_id": "alice",
    "kind": "agent",
    "status": "busy",
    "connections": {"c2=", "c1="},
    "current_email_id": "em_1",
    "current_attempt": "a1",
    "current_lead_id": "",
    "current_assigned_at": NOW,
    "last_assigned_at": NOW,
    "updated_at": NOW,
}
FREE = {
    **{k: v for k, v in BUSY.items() if not k.startswith("current_")},
    "status": "online",
    "available": "online",
    "idle_key": f"{NOW}#alice",
}
IN_GRACE = {
    **{k: v for k, v in BUSY.items() if k != "connections"},
    "grace": "g1",
    "grace_until": "2024-05-01T12:05:00.000+00:00",
}


@pytest.mark.parametrize("item", [WAITING, HELD, DONE], ids=["waiting", "held", "dispositioned"])
def test_a_stored_email_read_and_written_back_is_the_same_item(item: dict[str, Any]) -> None:
    stored = to_attr(item)
    assert to_attr(EmailRecord.model_validate(from_attr(stored)).to_item()) == stored


def _sets_sorted(stored: dict[str, Any]) -> dict[str, Any]:
    """A string set's members in one order (DynamoDB's sets have none; Python's iterate by hash)."""
    return {k: {"SS": sorted(v["SS"])} if "SS" in v else v for k, v in stored.items()}


@pytest.mark.parametrize("item", [BUSY, FREE, IN_GRACE], ids=["busy", "online-and-free", "in-grace"])
def test_a_stored_agent_read_and_written_back_is_the_same_item(item: dict[str, Any]) -> None:
    stored = to_attr(item)
    assert _sets_sorted(to_attr(User.model_validate(from_attr(stored)).to_item())) == _sets_sorted(stored)
    assert ("connections" in stored) == bool(User.model_validate(from_attr(stored)).connections)


def test_intake_writes_the_item_it_wrote_before() -> None:
    lead = EventLead.model_validate(
        {**LEAD, "attributes": {"Subject": "Quote", "Body": "How much?", "Received": "2024-01-02 10:00"}}
    )
    email = email_from_lead(lead, NOW)
    assert email is not None
    email_id = email_id_for("L1")
    assert email.to_item() == {
        "email_id": email_id,
        "kind": "email",
        "lead_id": "L1",
        "sender": "bob@example.com",
        "subject": "Quote",
        "body": "How much?",
        "received_at": "2024-01-02T10:00:00.000+00:00",
        "status": "Pending",
        "queue": "waiting",
        "open": "pending",
        "queue_key": f"2024-01-02T10:00:00.000+00:00#{email_id}",
        "pending_since": NOW,
        "created_at": NOW,
        "lead": LEAD,
    }


def _old_json(message: dict[str, Any]) -> bytes:
    """How the engine encoded its messages when they were dicts."""
    return json.dumps(message, separators=(",", ":"), ensure_ascii=False).encode()


PUBLIC = {k: WAITING[k] for k in ("email_id", "lead_id", "sender", "subject", "body", "received_at", "status", "lead")}


def test_an_assignment_is_pushed_as_before() -> None:
    email = EmailRecord.model_validate(WAITING)
    message = Assignment(email, "alice", "a1", NOW, "2024-05-01T12:02:00.000+00:00").message(120)
    assert encode(message) == _old_json(
        {
            "type": "assigned",
            "email": {**PUBLIC, "assigned_to": "alice", "assigned_at": NOW},
            "attempt": "a1",
            "assigned_at": NOW,
            "expires_at": "2024-05-01T12:02:00.000+00:00",
            "timeout_s": 120,
        }
    )


def test_the_answers_to_an_agent_are_the_json_they_were() -> None:
    held = EmailRecord.model_validate({**HELD, "subject": None}).public()
    shown = {
        **PUBLIC,
        "subject": None,
        **{k: HELD[k] for k in ("assigned_to", "assigned_at", "expires_at", "expiries")},
    }
    status = StatusReply(status=UserStatus.BUSY, email=held, expires_at=held.expires_at, timeout_s=120, attempt="a1")
    assert encode(status) == _old_json(
        {
            "type": "status",
            "status": "busy",
            "email": shown,
            "expires_at": HELD["expires_at"],
            "timeout_s": 120,
            "attempt": "a1",
        }
    )
    assert encode(StatusReply(status=UserStatus.AWAY, timeout_s=120, message="note")) == _old_json(
        {"type": "status", "status": "away", "email": None, "expires_at": None, "timeout_s": 120, "message": "note"}
    )
    assert encode(Dispositioned(email_id="em_1", disposition=EmailStatus.NEUTRAL)) == _old_json(
        {"type": "dispositioned", "email_id": "em_1", "disposition": "Neutral Reply"}
    )
    expired = Expired(email_id="em_1", status=UserStatus.OFFLINE, message="late")
    assert encode(expired) == _old_json({"type": "expired", "email_id": "em_1", "status": "offline", "message": "late"})
    assert encode(Pong(at=NOW)) == _old_json({"type": "pong", "at": NOW})


def test_an_error_shows_what_it_was_given_even_a_null_action() -> None:
    assert json.loads(reply(error("send JSON"))["body"]) == {"type": "error", "message": "send JSON"}
    assert json.loads(reply(error("unknown action None", action=None))["body"]) == {
        "type": "error",
        "message": "unknown action None",
        "action": None,
    }
    refusal = error("not yours", action="disposition", email_id="em_1")
    assert (
        reply(refusal)["body"]
        == _old_json({"type": "error", "action": "disposition", "email_id": "em_1", "message": "not yours"}).decode()
    )


def test_the_admin_views_show_what_they_showed() -> None:
    held = EmailRecord.model_validate(HELD)
    assert QueuedEmail.of(held).model_dump(mode="json") == {
        **PUBLIC,
        **{k: HELD[k] for k in ("assigned_to", "assigned_at", "expires_at", "expiries")},
        "waiting": False,
    }
    assert QueuedEmail.of(EmailRecord.model_validate(WAITING)).model_dump(mode="json") == {**PUBLIC, "waiting": True}
    agent = AgentView.of(User.model_validate(from_attr(to_attr(IN_GRACE))))
    assert agent.model_dump(mode="json") == {
        "user_id": "alice",
        "status": "busy",
        "connections": 0,
        "current_email_id": "em_1",
        "last_assigned_at": NOW,
        "grace_until": IN_GRACE["grace_until"],
    }
