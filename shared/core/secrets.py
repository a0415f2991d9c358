"""Secrets Manager values, read through Powertools parameters with one cache and a max age.

Every function reads its secrets here (the Slack webhook, the downstream endpoint, Twilio, the LLM
key). A value is cached per execution environment for `MAX_AGE_S`, so an operator's change (a new
webhook URL, a rotated key) is picked up within that time without a redeploy. A failed read is not
cached: the next call asks again.
"""

from __future__ import annotations

import json
import threading
from typing import TYPE_CHECKING, Any

from shared.core.aws import client as aws_client

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.parameters import SecretsProvider

#: an operator's change is picked up within this time
MAX_AGE_S = 300

_lock = threading.Lock()
#: one provider (and so one cache) per Secrets Manager client; a new client (the local runtime
#: changing endpoints, a test's fake) gets a fresh cache
_providers: dict[int, tuple[Any, SecretsProvider]] = {}


def _provider(client: Any = None) -> SecretsProvider:
    # here, not at the top: Powertools' parameters package loads every provider it has (AppConfig, SSM,
    # DynamoDB), and no function reads a secret at cold start
    from aws_lambda_powertools.utilities.parameters import SecretsProvider

    sm = client if client is not None else aws_client("secretsmanager")
    with _lock:
        held = _providers.get(id(sm))
        if held is None or held[0] is not sm:
            held = (sm, SecretsProvider(boto3_client=sm))
            _providers[id(sm)] = held
        return held[1]


def secret_text(arn: str, *, client: Any = None) -> str:
    """The secret's string, cached for `MAX_AGE_S`. Raises when it cannot be read."""
    value = _provider(client).get(arn, max_age=MAX_AGE_S)
    if isinstance(value, bytes):
        return value.decode("utf-8")
    return value if isinstance(value, str) else ""


def secret_json(arn: str, *, client: Any = None) -> dict[str, Any]:
    """A secret holding a JSON object; a plain string comes back as `{"value": ...}`."""
    raw = secret_text(arn, client=client)
    if raw.strip().startswith("{"):
        value = json.loads(raw)
        if isinstance(value, dict):
            return dict(value)
    return {"value": raw}


def forget() -> None:
    """Drop every cached value (tests, and the local runtime when it changes secrets at run time)."""
    with _lock:
        for _, provider in _providers.values():
            provider.clear_cache()  # type: ignore[no-untyped-call]  # Powertools leaves it unannotated
        _providers.clear()
