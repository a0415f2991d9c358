"""Leads whose row carries a message become Pending emails.

An uploaded email list (or JSON) goes through the same ingestion path as any lead file; the store
step keeps the columns it does not map under the lead's `attributes`. A lead with a subject or a
body there is an inbound message: its sender is the `From`/`Sender` column, else the lead's own
email (the store step maps `Email`/`Sender` columns to it), and its received time is the
`Received`/`Date` column, else when the lead was stored.

Dedupe merges several messages from one sender into one lead, but each is its own email: the event's
`rows` list every accepted row (lead id, worksheet, row, that row's own `attributes`), and each row
with a message becomes an email whose id is derived from lead id, job, worksheet and row, so a
redelivered event makes the same emails and creates nothing new. An older event without `rows` falls
back to one email per lead, its id derived from the lead id.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta

from shared.assignment.repository import EMAIL_KIND, OPEN, QUEUED
from shared.core.clock import iso
from shared.core.models import EmailRecord, EmailStatus, Lead, LeadEnriched, LeadRow, LeadSnapshot

SUBJECT = ("subject", "subject line", "email subject", "title of message")
BODY = ("body", "message", "email body", "message body", "text", "content", "email text")
SENDER = ("from", "sender", "from email", "sender email", "from address", "sender address")
RECEIVED = (
    "received",
    "received at",
    "received time",
    "received date",
    "date received",
    "date",
    "sent",
    "sent at",
    "timestamp",
    "time",
    "datetime",
)
MAX_BODY_CHARS = 64 * 1024
_SPACES = re.compile(r"\s+")
_EXCEL_EPOCH = datetime(1899, 12, 30, tzinfo=UTC)
_FORMATS = (
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d %H:%M",
    "%Y/%m/%d %H:%M:%S",
    "%Y/%m/%d %H:%M",
    "%m/%d/%Y %H:%M:%S",
    "%m/%d/%Y %H:%M",
    "%m/%d/%Y %I:%M %p",
    "%m/%d/%Y",
    "%d.%m.%Y %H:%M",
    "%d.%m.%Y",
    "%a, %d %b %Y %H:%M:%S %z",
    "%d %b %Y %H:%M",
)


def email_id_for(lead_id: str) -> str:
    return "em_" + hashlib.sha256(f"email\x1f{lead_id}".encode()).hexdigest()[:24]


def parse_time(text: str) -> str | None:
    value = text.strip()
    if not value:
        return None
    try:
        return iso(datetime.fromisoformat(value.replace("Z", "+00:00")))
    except ValueError:
        pass
    try:
        serial = float(value)  # an Excel date serial, as some readers give it
        if 1 < serial < 200_000:
            return iso(_EXCEL_EPOCH + timedelta(days=serial))
    except ValueError:
        pass
    for fmt in _FORMATS:
        try:
            return iso(datetime.strptime(value, fmt))
        except ValueError:
            continue
    return None


def _key(header: str) -> str:
    return _SPACES.sub(" ", header.replace("_", " ").strip().lower())


def _first(attributes: Mapping[str, str], names: tuple[str, ...]) -> str | None:
    for name in names:
        value = attributes.get(name)
        if value and value.strip():
            return value.strip()
    return None


def email_id_for_row(lead_id: str, job_id: str | None, worksheet: str | None, row: object) -> str:
    key = "\x1f".join(("email-row", lead_id, job_id or "", worksheet or "", str(row)))
    return "em_" + hashlib.sha256(key.encode()).hexdigest()[:24]


def email_from_lead(
    lead: Lead,
    now: str,
    *,
    attributes_of_row: Mapping[str, str] | None = None,
    email_id: str | None = None,
) -> EmailRecord | None:
    """The Pending email of a lead whose row carries a message, else None.

    `attributes_of_row` and `email_id` make the email of one of the lead's rows (its own message).
    """
    attributes = lead.attributes if attributes_of_row is None else attributes_of_row
    return _email(lead.lead_id, lead, attributes, now, email_id or email_id_for(lead.lead_id))


def _email(
    lead_id: str, lead: Lead | None, row_attributes: Mapping[str, str], now: str, email_id: str
) -> EmailRecord | None:
    """The email of one message; `lead` None when the event did not carry the row's lead."""
    attributes = {_key(str(k)): str(v) for k, v in row_attributes.items() if v is not None}
    subject = _first(attributes, SUBJECT)
    body = _first(attributes, BODY)
    if not subject and not body:
        return None
    known = (lead.email or lead.phone) if lead else None
    sender = _first(attributes, SENDER) or known or "unknown sender"
    raw_received = _first(attributes, RECEIVED)
    received = (parse_time(raw_received) if raw_received else None) or parse_time(lead.created_at if lead else "")
    received = received or now
    return EmailRecord(
        email_id=email_id,
        kind=EMAIL_KIND,
        lead_id=lead_id,
        sender=sender,
        subject=subject,
        body=body[:MAX_BODY_CHARS] if body else None,
        received_at=received,
        status=EmailStatus.PENDING,
        queue=QUEUED,
        open=OPEN,
        queue_key=f"{received}#{email_id}",
        pending_since=now,
        created_at=now,
        lead=LeadSnapshot.of(lead) if lead else LeadSnapshot(lead_id=lead_id),
    )


def emails_from_leads(leads: Iterable[Lead], now: str) -> list[EmailRecord]:
    return [e for e in (email_from_lead(lead, now) for lead in leads) if e is not None]


def emails_from_rows(
    rows: Iterable[LeadRow], leads: Iterable[Lead], now: str, job_id: str | None = None
) -> list[EmailRecord]:
    """One email per row that carries a message; its lead snapshot from the matching lead."""
    lead_of = {lead.lead_id: lead for lead in leads}
    emails: dict[str, EmailRecord] = {}
    for row in rows:
        lead = lead_of.get(row.lead_id)
        job = job_id or (lead.job_id if lead else None)
        email_id = email_id_for_row(row.lead_id, job, row.worksheet, row.row)
        email = _email(row.lead_id, lead, row.attributes, now, email_id)
        if email is not None:
            emails[email_id] = email
    return list(emails.values())


def emails_from_detail(detail: LeadEnriched, now: str) -> list[EmailRecord]:
    """The emails of a lead.enriched event: from its rows, else (an older event) from its leads."""
    if detail.rows is None:
        return emails_from_leads(detail.leads, now)
    return emails_from_rows(detail.rows, detail.leads, now, detail.job_id)
