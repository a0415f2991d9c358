"""Secrets Manager values (JSON objects), cached for a few minutes per execution environment."""

from __future__ import annotations

import json
import threading
import time
from typing import Any

from shared.core.aws import client

#: an operator's change (a new webhook URL) is picked up within this time
TTL_S = 300.0

_cache: dict[str, tuple[float, dict[str, Any]]] = {}
_lock = threading.Lock()


def secret_json(arn: str, *, now: float | None = None) -> dict[str, Any]:
    now = time.monotonic() if now is None else now
    with _lock:
        hit = _cache.get(arn)
        if hit and now - hit[0] < TTL_S:
            return hit[1]
    raw = client("secretsmanager").get_secret_value(SecretId=arn)["SecretString"]
    value = json.loads(raw) if raw.strip().startswith("{") else {"value": raw}
    with _lock:
        _cache[arn] = (now, value)
    return dict(value)


def forget() -> None:
    """Drop cached values (tests and the local runtime change secrets at run time)."""
    with _lock:
        _cache.clear()
