"""What this domain's queues carry: the bus's events, and messages the domain sends itself (a due
digest, a downstream retry), told apart by their `kind`."""

from __future__ import annotations

from typing import TypeVar

from pydantic import BaseModel, ValidationError

from shared.core.models import EmailDispositionedEvent, LeadEnrichedEvent, TokenEvent, bus_event

Own = TypeVar("Own", bound=BaseModel)

#: the errors of a body that names no detail-type of ours (absent, or someone else's)
_NOT_OURS = frozenset({"union_tag_invalid", "union_tag_not_found"})


def parse(body: str | bytes, own: type[Own]) -> LeadEnrichedEvent | EmailDispositionedEvent | TokenEvent | Own | None:
    """The event or own message in an SQS body; None for an event of someone else's detail-type.

    A body that is not JSON, or an event or own message that does not fit its model, raises
    pydantic's ValidationError: the message fails, and SQS retries it and then dead-letters it."""
    try:
        return bus_event(body)
    except ValidationError as exc:
        if not all(e["type"] in _NOT_OURS and e["loc"] == () for e in exc.errors()):
            raise
    try:
        return own.model_validate_json(body)
    except ValidationError as exc:
        if any(e["loc"] == ("kind",) for e in exc.errors()):
            return None  # no own message either: an event this domain does not read
        raise
