"""Lazily built AWS clients.

Nothing is built at import time: a client is made on first use and then reused for the life of
the execution environment. The endpoint comes from the standard `AWS_ENDPOINT_URL` variable, so
the same code talks to AWS or to the local runtime's moto server.
"""

from __future__ import annotations

import threading
from functools import cache
from typing import Any

import boto3
from botocore.config import Config

_CONFIG = Config(retries={"mode": "standard", "max_attempts": 5}, max_pool_connections=64)
#: DynamoDB validates every request itself; botocore's client-side pass walks each attribute of
#: every item again (a sixth of store-leads' CPU on 100-item transactions), so it is skipped there
_UNVALIDATED = frozenset({"dynamodb"})
_lock = threading.Lock()


@cache
def session() -> boto3.session.Session:
    """One session per process; a benchmark can hook its events to count requests."""
    return boto3.session.Session()


@cache
def _client(service: str) -> Any:
    config = _CONFIG.merge(Config(parameter_validation=False)) if service in _UNVALIDATED else _CONFIG
    return session().client(service, config=config)


def client(service: str) -> Any:
    # boto3 sessions are not thread-safe while building clients; clients themselves are.
    with _lock:
        return _client(service)


def reset_clients() -> None:
    """Forget built clients (the local runtime calls this when the endpoint changes)."""
    with _lock:
        _client.cache_clear()
        session.cache_clear()


def error_code(exc: Exception) -> str:
    response = getattr(exc, "response", None) or {}
    return str(response.get("Error", {}).get("Code", ""))
