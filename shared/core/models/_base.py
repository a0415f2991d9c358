"""What every model module shares: the deferred build, the domain's clock, a JSON object's type."""

from __future__ import annotations

from typing import Any

from pydantic import ConfigDict, Field, JsonValue

from shared.core.clock import iso_now as iso_now  # the domain's clock, re-exported
from shared.core.clock import utc_now as utc_now

#: Every model here builds its validator at first use, not at import (`defer_build`): each function
#: uses a few of them, and building all of them took about 20 ms (CPU) of every cold start.
_DEFERRED = ConfigDict(defer_build=True)


def _is_none(value: object) -> bool:
    return value is None


def _shown_when_set(description: str | None = None) -> Any:
    """A field left out of a dump while None (others show None as null)."""
    return Field(default=None, exclude_if=_is_none, description=description)


#: a JSON object as an LLM (or any JSON text) gives it, before a model has read it
JsonObject = dict[str, JsonValue]
