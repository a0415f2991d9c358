"""Announcing what happened on the EventBridge bus: PutEvents, ten entries a call, within its size limit."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any, Protocol

from shared.core import limits
from shared.core.aws import client

PUT_EVENTS_MAX_ENTRIES = limits.PUT_EVENTS_ENTRIES
#: PutEvents' limit for one call, all entries together
PUT_EVENTS_MAX_BYTES = limits.PUT_EVENTS_BYTES


class EventTooLarge(ValueError):
    """One event is larger than a PutEvents call may carry; nothing of the call was published."""


def entry_bytes(source: str, detail_type: str, detail: str) -> int:
    """An entry's size as EventBridge counts it (Source, DetailType and Detail in UTF-8; no Time or Resources)."""
    return len(detail.encode()) + len(source.encode()) + len(detail_type.encode())


def publish(bus: str, source: str, detail_type: str, details: Iterable[Mapping[str, Any]]) -> int:
    """Publish one event per detail, ten (and at most 256 KB) a call; returns the number of PutEvents calls.

    Every event is measured before the first call: one too large for any call raises `EventTooLarge`
    and none of them is published (the caller's retry then repeats nothing)."""
    bodies = [json.dumps(detail, separators=(",", ":"), ensure_ascii=False) for detail in details]
    for body in bodies:
        size = entry_bytes(source, detail_type, body)
        if size > PUT_EVENTS_MAX_BYTES:
            raise EventTooLarge(
                f"a {detail_type} event of {size} bytes is larger than EventBridge accepts"
                f" ({PUT_EVENTS_MAX_BYTES} bytes a PutEvents call); none of {len(bodies)} events was published"
            )
    calls = 0
    entries: list[dict[str, str]] = []
    size = 0

    def flush() -> None:
        nonlocal calls, entries, size
        if not entries:
            return
        calls += 1
        response = client("events").put_events(Entries=entries)
        if response.get("FailedEntryCount"):
            failed = [e for e in response.get("Entries", []) if e.get("ErrorCode")]
            raise RuntimeError(f"EventBridge refused {len(failed)} events: {failed[0].get('ErrorMessage')}")
        entries, size = [], 0

    for body in bodies:
        entry = {"EventBusName": bus, "Source": source, "DetailType": detail_type, "Detail": body}
        entry_size = entry_bytes(source, detail_type, body)
        if entries and (len(entries) >= PUT_EVENTS_MAX_ENTRIES or size + entry_size > PUT_EVENTS_MAX_BYTES):
            flush()
        entries.append(entry)
        size += entry_size
    flush()
    return calls


class EventPublisher(Protocol):
    """What the domain needs from the bus; unit tests pass an in-memory one."""

    def publish(self, bus: str, source: str, detail_type: str, details: Iterable[Mapping[str, Any]]) -> int: ...


class EventBridge:
    """`publish` against EventBridge."""

    def publish(self, bus: str, source: str, detail_type: str, details: Iterable[Mapping[str, Any]]) -> int:
        return publish(bus, source, detail_type, details)
