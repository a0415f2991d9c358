"""Audit events of the token lifecycle: one structured log line (key `audit`) and one EventBridge event.

Neither carries the secret or its hash: the token's public id, its user and role, who acted, when,
and its expiry. `token.revoked` also names the WebSocket connections opened with the token, which the
assignment domain closes.
"""

from __future__ import annotations

from typing import Any

from shared.core.events import EventPublisher
from shared.core.observability import logger

SOURCE = "leadflow.ingestion"
CREATED = "token.created"
REVOKED = "token.revoked"


def audit(
    action: str,
    record: dict[str, Any],
    *,
    by: str,
    bus: str | None,
    events: EventPublisher | None,
    connection_ids: list[str] | None = None,
    just_opened: list[str] | None = None,
    repeated: bool = False,
) -> dict[str, Any]:
    """Log the event and, with a bus, publish it; returns the event's detail."""
    detail: dict[str, Any] = {
        "action": action,
        "token_id": record.get("token_id"),
        "user": record.get("user"),
        "role": record.get("role"),
        "by": by,
        "at": record.get("revoked_at") if action == REVOKED else record.get("created_at"),
        "expires_at": record.get("expires_at"),
    }
    if connection_ids is not None:
        detail["connection_ids"] = connection_ids
        detail["just_opened"] = just_opened or []
    if repeated:
        detail["repeated"] = True
    logger.info(action, audit=detail)
    if bus and events is not None:
        events.publish(bus, SOURCE, action, [detail])
    return detail
