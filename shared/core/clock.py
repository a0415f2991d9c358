"""The one clock of the domain: timezone-aware UTC, and its ISO text (sorts as text)."""

from __future__ import annotations

from datetime import UTC, datetime


def utc_now() -> datetime:
    return datetime.now(UTC)


def iso(moment: datetime) -> str:
    """The one text form of a time: UTC, milliseconds (it sorts as it should); a naive time is UTC."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat(timespec="milliseconds")


def iso_now() -> str:
    return iso(utc_now())
