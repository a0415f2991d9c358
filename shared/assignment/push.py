"""Pushing messages to an agent's WebSocket connections through the API Gateway management API.

A connection that is gone answers 410 (`GoneException`): the caller forgets it, because API
Gateway does not always send `$disconnect`.
"""

from __future__ import annotations

import json
import threading
from functools import cache
from typing import Any, Protocol

from pydantic import BaseModel

from shared.core.aws import _CONFIG, error_code, session
from shared.core.models import AgentReply

GONE = "GoneException"
_lock = threading.Lock()


class Pusher(Protocol):
    def send(self, connection_id: str, message: AgentReply) -> bool:
        """Deliver one message; False when the connection is gone."""
        ...


@cache
def _management_client(endpoint: str) -> Any:
    return session().client("apigatewaymanagementapi", endpoint_url=endpoint, config=_CONFIG)


def encode(message: BaseModel) -> bytes:
    """Compact JSON, non-ASCII as UTF-8: the bytes a connection receives."""
    return json.dumps(message.model_dump(mode="json"), separators=(",", ":"), ensure_ascii=False).encode()


class ApiGatewayPusher:
    def __init__(self, endpoint: str) -> None:
        self.endpoint = endpoint

    def _client(self) -> Any:
        with _lock:
            return _management_client(self.endpoint)

    def send(self, connection_id: str, message: AgentReply) -> bool:
        try:
            self._client().post_to_connection(ConnectionId=connection_id, Data=encode(message))
        except Exception as exc:
            if error_code(exc) == GONE:
                return False
            raise
        return True

    def close(self, connection_id: str) -> bool:
        """Close one connection (DeleteConnection; API Gateway then sends `$disconnect`); False when gone."""
        try:
            self._client().delete_connection(ConnectionId=connection_id)
        except Exception as exc:
            if error_code(exc) == GONE:
                return False
            raise
        return True
