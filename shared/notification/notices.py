"""What the notification domain tells people: a new lead, a qualified lead, or a burst digest.

A notice has a stable `key` (where its delivery records live: the lead id, or `digest#<window>`)
and a `kind` (`new`, `qualified:<email id>`, `digest`): the same event redelivered makes the same
notice, which is what the delivery records deduplicate on.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from shared.core.models import EmailDispositioned, Lead


@dataclass(frozen=True)
class Notice:
    key: str
    kind: str
    title: str
    summary: str = ""
    fields: tuple[tuple[str, str], ...] = ()
    link: str | None = None
    #: epoch seconds of the event that caused it (for the latency metric)
    event_time: float | None = None
    #: a digest's window (epoch seconds)
    window_start: int | None = None

    def text(self) -> str:
        """The plain-text version: Slack's notification text, and the email body."""
        lines = [self.title]
        if self.summary:
            lines.append(self.summary)
        lines.extend(f"{label}: {value}" for label, value in self.fields if value)
        if self.link:
            lines.append(self.link)
        return "\n".join(lines)


def _name(lead: Lead) -> str:
    name = " ".join(p for p in (lead.first_name, lead.last_name) if p)
    return name or lead.email or lead.phone or lead.lead_id or "someone"


def _reach(lead: Lead) -> str:
    return " · ".join(v for v in (lead.email, lead.phone) if v)


def lead_fields(lead: Lead, source: str | None = None) -> tuple[tuple[str, str], ...]:
    return (
        ("Name", _name(lead)),
        ("Company", lead.company or ""),
        ("Title", lead.title or ""),
        ("Source", source or lead.source or ""),
        ("Reach them", _reach(lead)),
        ("Country", lead.country or ""),
    )


def new_lead(lead: Lead, *, source: str, event_time: float | None) -> Notice:
    company = f" ({lead.company})" if lead.company else ""
    return Notice(
        key=lead.lead_id,
        kind="new",
        title=f"New lead: {_name(lead)}{company}",
        fields=lead_fields(lead, source),
        event_time=event_time,
    )


def qualified_lead(detail: EmailDispositioned, *, event_time: float | None) -> Notice:
    """`email.dispositioned` with a positive reply; the detail may carry the lead (`lead`) for its fields."""
    if detail.lead is not None:
        key, name, fields = detail.lead.lead_id, _name(detail.lead), lead_fields(detail.lead)
    else:  # only the id to show
        key = detail.lead_id or detail.email_id
        name, fields = key, (("Name", key),)
    return Notice(
        key=key,
        kind=f"qualified:{detail.email_id}",
        title=f"Qualified lead: {name}",
        summary=f"Positive reply, classified by {detail.agent}" if detail.agent else "Positive reply",
        fields=fields,
        event_time=event_time,
    )


def digest(
    window_start: int, window_s: int, total: int, sources: dict[str, int], *, list_url: str, individual: int
) -> Notice:
    start = datetime.fromtimestamp(window_start, UTC)
    until = datetime.fromtimestamp(window_start + window_s, UTC)
    fmt = "%Y-%m-%dT%H:%M:%SZ"
    by_source = ", ".join(f"{n} from {s}" for s, n in sorted(sources.items(), key=lambda kv: (-kv[1], kv[0])))
    return Notice(
        key=f"digest#{int(window_start)}",
        kind="digest",
        title=f"{total} new leads in {window_s} s",
        summary=(
            f"A burst of {total} leads between {start:%H:%M:%S} and {until:%H:%M:%S} UTC"
            f" ({individual} announced one by one, {total - individual} only here)."
        ),
        fields=(("Leads", str(total)), ("Sources", by_source)),
        link=f"{list_url}?created_after={start.strftime(fmt)}&created_before={until.strftime(fmt)}",
        window_start=window_start,
    )


def event_epoch(time: str | None) -> float | None:
    """EventBridge's `time` (whole seconds, UTC, the envelope's) as epoch seconds."""
    if not time:
        return None
    try:
        return datetime.fromisoformat(time.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None
