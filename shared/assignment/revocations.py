"""Closing the WebSocket connections of a revoked token (the `token.revoked` event's `connection_ids`).

A connection recorded just before the revocation (`just_opened`) may still be in its `$connect`:
API Gateway then answers 410 for it although it is about to open. Such a connection is tried again
for a few seconds; any other 410 means it is already closed.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from shared.core.models import TokenAudit

#: how often, and how far apart, a just-opened connection that answered 410 is tried again
RETRIES = 4
RETRY_WAIT_S = 1.0


class Closer(Protocol):
    def close(self, connection_id: str) -> bool:
        """Close one connection; False when API Gateway says it is gone."""
        ...


@dataclass(frozen=True)
class Closed:
    closed: list[str]
    gone: list[str]


def close_connections(
    detail: TokenAudit,
    closer: Closer,
    *,
    retries: int = RETRIES,
    wait_s: float = RETRY_WAIT_S,
    sleep: Callable[[float], None] = time.sleep,
) -> Closed:
    ids = list(detail.connection_ids or [])
    just_opened = set(detail.just_opened or [])
    closed = [c for c in ids if closer.close(c)]
    gone = [c for c in ids if c not in closed]
    waiting = [c for c in gone if c in just_opened]
    for _ in range(retries):
        if not waiting:
            break
        sleep(wait_s)
        now_closed = [c for c in waiting if closer.close(c)]
        closed += now_closed
        waiting = [c for c in waiting if c not in now_closed]
    return Closed(closed=closed, gone=[c for c in ids if c not in closed])
