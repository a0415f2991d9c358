"""What the notification domain tells people: a new lead, a qualified lead, or a burst digest.

A notice has a stable `key` (where its delivery records live: the lead id, or `digest#<window>`)
and a `kind` (`new`, `qualified:<email id>`, `digest`): the same event redelivered makes the same
notice, which is what the delivery records deduplicate on.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any


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
    extra: dict[str, Any] = field(default_factory=dict)

    def text(self) -> str:
        """The plain-text version: Slack's notification text, and the email body."""
        lines = [self.title]
        if self.summary:
            lines.append(self.summary)
        lines.extend(f"{label}: {value}" for label, value in self.fields if value)
        if self.link:
            lines.append(self.link)
        return "\n".join(lines)


def _name(lead: dict[str, Any]) -> str:
    name = " ".join(p for p in (lead.get("first_name"), lead.get("last_name")) if p)
    return name or str(lead.get("email") or lead.get("phone") or lead.get("lead_id") or "someone")


def _reach(lead: dict[str, Any]) -> str:
    return " · ".join(str(v) for v in (lead.get("email"), lead.get("phone")) if v)


def lead_fields(lead: dict[str, Any], source: str | None = None) -> tuple[tuple[str, str], ...]:
    return (
        ("Name", _name(lead)),
        ("Company", str(lead.get("company") or "")),
        ("Title", str(lead.get("title") or "")),
        ("Source", str(source or lead.get("source") or "")),
        ("Reach them", _reach(lead)),
        ("Country", str(lead.get("country") or "")),
    )


def new_lead(lead: dict[str, Any], *, source: str, event_time: float | None) -> Notice:
    company = f" ({lead['company']})" if lead.get("company") else ""
    return Notice(
        key=str(lead["lead_id"]),
        kind="new",
        title=f"New lead: {_name(lead)}{company}",
        fields=lead_fields(lead, source),
        event_time=event_time,
    )


def qualified_lead(detail: dict[str, Any], *, event_time: float | None) -> Notice:
    """`email.dispositioned` with a positive reply; the detail may carry the lead (`lead`) for its fields."""
    lead = dict(detail.get("lead") or {})
    lead.setdefault("lead_id", detail.get("lead_id") or detail["email_id"])
    agent = detail.get("agent")
    return Notice(
        key=str(lead["lead_id"]),
        kind=f"qualified:{detail['email_id']}",
        title=f"Qualified lead: {_name(lead)}",
        summary=f"Positive reply, classified by {agent}" if agent else "Positive reply",
        fields=lead_fields(lead),
        event_time=event_time,
    )


def digest(
    window_start: float, window_s: int, total: int, sources: dict[str, int], *, list_url: str, individual: int
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
        extra={"window_start": window_start},
    )


def event_epoch(event: dict[str, Any]) -> float | None:
    """EventBridge's `time` (whole seconds, UTC) as epoch seconds."""
    raw = event.get("time")
    if not raw:
        return None
    try:
        return datetime.fromisoformat(str(raw).replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None
