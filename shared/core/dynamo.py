"""DynamoDB helpers: typed (de)serialization and BatchWriteItem in full calls of 25.

One BatchWriteItem call may span tables, so a batch of leads and the rejected rows of the same
batch travel together.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer

from shared.core.aws import client

BATCH_WRITE_MAX = 25
_serializer = TypeSerializer()
_deserializer = TypeDeserializer()


#: ints that DynamoDB's 38-digit numbers hold exactly; larger ones go to boto3 (which refuses them)
_INT_LIMIT = 10**38


def _serialize(value: Any) -> dict[str, Any]:
    """boto3's TypeSerializer, with the plain JSON types done inline: a lead is hundreds of such
    values, and the generic path was a sixth of store-leads' CPU. Anything else goes to boto3."""
    kind = type(value)
    if kind is str:
        return {"S": value}
    if kind is bool:
        return {"BOOL": value}
    if kind is int and -_INT_LIMIT < value < _INT_LIMIT:
        return {"N": str(value)}
    if value is None:
        return {"NULL": True}
    if kind is dict:
        return {"M": {k: _serialize(v) for k, v in value.items()}}
    if kind is list:
        return {"L": [_serialize(v) for v in value]}
    serialized: dict[str, Any] = _serializer.serialize(value)
    return serialized


def to_attr(item: Mapping[str, Any]) -> dict[str, Any]:
    return {k: _serialize(v) for k, v in item.items() if v is not None}


def from_attr(item: Mapping[str, Any]) -> dict[str, Any]:
    return {k: _plain(_deserializer.deserialize(v)) for k, v in item.items()}


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, set):
        return sorted(value)
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


def batch_put(puts: Iterable[tuple[str, Mapping[str, Any]]], *, max_attempts: int = 8) -> int:
    """Put (table, item) pairs with BatchWriteItem, 25 a call, retrying unprocessed items.

    Returns the number of BatchWriteItem calls made. Puts are idempotent for the same key,
    which is what makes redelivered batches harmless.
    """
    calls = 0
    pending: list[tuple[str, dict[str, Any]]] = [(t, to_attr(i)) for t, i in puts]
    for start in range(0, len(pending), BATCH_WRITE_MAX):
        chunk = pending[start : start + BATCH_WRITE_MAX]
        request: dict[str, list[dict[str, Any]]] = {}
        for table, item in chunk:
            request.setdefault(table, []).append({"PutRequest": {"Item": item}})
        attempt = 0
        while request:
            calls += 1
            response = client("dynamodb").batch_write_item(RequestItems=request)
            request = response.get("UnprocessedItems") or {}
            if request:
                attempt += 1
                if attempt >= max_attempts:
                    raise RuntimeError("DynamoDB left items unprocessed after retries")
                time.sleep(min(0.05 * 2**attempt, 2.0))
    return calls
