"""Which leads become emails, with which sender and received time (no network)."""

from __future__ import annotations

import pytest

from shared.assignment.intake import (
    email_from_lead,
    email_id_for,
    email_id_for_row,
    emails_from_detail,
    emails_from_leads,
    parse_time,
)
from shared.assignment.timers import MAX_DELAY_S, SqsTimers
from shared.core.models import EventLead, LeadEnriched, LeadRow, LeadSnapshot, Timer, parse_timer

NOW = "2024-05-01T12:00:00.000+00:00"


def lead(**attributes: str) -> EventLead:
    return EventLead(
        lead_id="L1",
        email="bob@example.com",
        first_name="Bob",
        attributes=attributes,
        source="upload",
        created_at="2024-04-01T00:00:00+00:00",
    )


def test_a_lead_with_a_subject_or_body_becomes_a_pending_email_in_line_by_received_time() -> None:
    email = email_from_lead(lead(Subject="Quote", Body="How much?", Received="2024-01-02 10:00"), NOW)
    assert email is not None
    assert (email.sender, email.subject, email.body) == ("bob@example.com", "Quote", "How much?")
    assert email.received_at == "2024-01-02T10:00:00.000+00:00"
    assert email.queue_key == f"2024-01-02T10:00:00.000+00:00#{email.email_id}"
    assert (email.status, email.queue, email.open) == ("Pending", "waiting", "pending")
    assert email.lead == LeadSnapshot(lead_id="L1", email="bob@example.com", first_name="Bob", source="upload")


def test_the_id_comes_from_the_lead_so_a_redelivery_makes_the_same_email() -> None:
    first = email_from_lead(lead(message="hi"), NOW)
    again = email_from_lead(lead(message="hi"), "2030-01-01T00:00:00.000+00:00")
    assert first is not None and again is not None
    assert first.email_id == again.email_id == email_id_for("L1")


def test_a_from_column_is_the_sender_and_a_lead_without_a_message_is_not_an_email() -> None:
    email = email_from_lead(lead(**{"From": "Carol <carol@example.com>", "email_body": "x"}), NOW)
    assert email is not None and email.sender == "Carol <carol@example.com>"
    assert emails_from_leads([lead(Notes="call back"), lead()], NOW) == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2024-01-02T10:00:00Z", "2024-01-02T10:00:00.000+00:00"),
        ("2024-01-02T12:00:00+02:00", "2024-01-02T10:00:00.000+00:00"),
        ("01/02/2024 10:00", "2024-01-02T10:00:00.000+00:00"),
        ("45293.5", "2024-01-02T12:00:00.000+00:00"),
        ("Tue, 02 Jan 2024 10:00:00 +0000", "2024-01-02T10:00:00.000+00:00"),
        ("yesterday", None),
    ],
)
def test_received_times_are_read_in_common_forms_and_kept_in_utc(text: str, expected: str | None) -> None:
    assert parse_time(text) == expected


def test_an_unreadable_received_time_falls_back_to_when_the_lead_was_stored() -> None:
    email = email_from_lead(
        lead(Subject="s", Date="soon").model_copy(update={"created_at": "2024-03-03T03:03:03+00:00"}), NOW
    )
    assert email is not None and email.received_at == "2024-03-03T03:03:03.000+00:00"


def test_a_timer_names_its_attempt_and_its_delay_must_fit_sqs() -> None:
    timer = Timer(email_id="em_1", user_id="alice", attempt="a1")
    assert timer.body() == '{"email_id":"em_1","user_id":"alice","attempt":"a1"}'  # the wire as before the model
    assert parse_timer(timer.body()) == timer
    with pytest.raises(ValueError, match="0 to 900"):
        SqsTimers("https://queue", MAX_DELAY_S + 1)


def _row(row: int, **attributes: str) -> LeadRow:
    return LeadRow(lead_id="L1", worksheet="emails.csv", row=row, attributes=attributes)


def test_two_rows_from_one_sender_are_two_pending_emails_of_one_lead() -> None:
    # Given one upload where bob wrote twice: dedupe merged him into one lead, the rows stay apart
    merged = lead(Subject="Second", Body="again").model_copy(update={"job_id": "J1"})
    detail = LeadEnriched(
        job_id="J1",
        leads=[merged],
        rows=[
            _row(2, Subject="First", Body="hello", Received="2024-01-01 09:00"),
            _row(3, Subject="Second", Body="again", Received="2024-01-02 09:00"),
        ],
    )
    # When the event is taken in
    emails = emails_from_detail(detail, NOW)
    # Then each row is its own Pending email, with its own message and time, and the lead's snapshot
    assert [(e.subject, e.body) for e in emails] == [("First", "hello"), ("Second", "again")]
    assert [e.received_at[:10] for e in emails] == ["2024-01-01", "2024-01-02"]
    assert {e.status for e in emails} == {"Pending"}
    assert {e.lead.lead_id for e in emails if e.lead} == {"L1"}
    assert emails[0].lead is not None and emails[0].lead.first_name == "Bob"
    ids = [e.email_id for e in emails]
    assert len(set(ids)) == 2 and ids[0] == email_id_for_row("L1", "J1", "emails.csv", 2)
    # And a redelivery makes the same ids (idempotent), which differ from another job's upload
    assert [e.email_id for e in emails_from_detail(detail, "2030-01-01T00:00:00.000+00:00")] == ids
    assert email_id_for_row("L1", "J2", "emails.csv", 2) not in ids


def test_rows_without_a_message_make_no_email_and_an_event_without_rows_falls_back_to_its_leads() -> None:
    detail = LeadEnriched(job_id="J1", leads=[lead(Subject="Only")], rows=[_row(2, Notes="call back")])
    assert emails_from_detail(detail, NOW) == []
    older = emails_from_detail(LeadEnriched(job_id="J1", leads=[lead(Subject="Only")]), NOW)
    assert [(e.email_id, e.subject) for e in older] == [(email_id_for("L1"), "Only")]
