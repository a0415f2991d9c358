"""The one way to reach DynamoDB: calls whose errors arrive as domain errors, typed
(de)serialization, and BatchWriteItem in full calls of 25.

`call` is where DynamoDB's error codes become the domain's errors, once for every repository:
- a failed `ConditionExpression` -> `ConditionFailed` (a `Conflict`);
- a cancelled transaction -> `TransactionCancelled`, with each item's reason, so the caller can
  tell which condition failed (and whether another transaction only got in the way);
- throttling after botocore's own retries -> `Throttled`;
- a missing table or index -> `NotFound`.
Anything else is raised as botocore raised it.

One BatchWriteItem call may span tables, so a batch of leads and the rejected rows of the same
batch travel together.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer

from shared.core import limits
from shared.core.aws import client, error_code
from shared.core.errors import Conflict, DomainError, NotFound

BATCH_WRITE_MAX = limits.BATCH_WRITE_ITEMS

#: a transaction item's reason when its own condition failed (CancellationReasons[i].Code)
CONDITION_FAILED = "ConditionalCheckFailed"
_THROTTLING = frozenset({"ProvisionedThroughputExceededException", "ThrottlingException", "RequestLimitExceeded"})


class ConditionFailed(Conflict):
    """A write's condition did not hold (the item exists already, changed meanwhile, ...).

    `item` is the item as it was, when the call asked for it (`ReturnValuesOnConditionCheckFailure`)."""

    def __init__(self, message: str, item: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.item = item


class TransactionCancelled(Conflict):
    """A TransactWriteItems call was cancelled; `reasons[i]` is item i's code ("None" when it was fine)."""

    def __init__(self, reasons: list[str]) -> None:
        super().__init__("the transaction was cancelled: " + ", ".join(reasons))
        self.reasons = reasons

    def failed(self, code: str = CONDITION_FAILED) -> set[int]:
        """The positions of the items that failed with `code` (their own condition, by default)."""
        return {i for i, reason in enumerate(self.reasons) if reason == code}


class Throttled(DomainError):
    """DynamoDB kept refusing for capacity after the SDK's retries; the caller may try again later."""

    status_code = 503


def translate(exc: Exception) -> Exception:
    """The domain error for a DynamoDB error, or `exc` itself when the domain has no name for it."""
    code = error_code(exc)
    if code == "ConditionalCheckFailedException":
        old = getattr(exc, "response", {}).get("Item")
        return ConditionFailed("the condition on the write did not hold", from_attr(old) if old else None)
    if code == "TransactionCanceledException":
        reasons = getattr(exc, "response", {}).get("CancellationReasons") or []
        return TransactionCancelled([str(r.get("Code") or "None") for r in reasons])
    if code in _THROTTLING:
        return Throttled("DynamoDB is throttling requests; try again shortly")
    if code == "ResourceNotFoundException":
        return NotFound("the table or index does not exist")
    return exc


def call(operation: str, **params: Any) -> dict[str, Any]:
    """One DynamoDB API call (`put_item`, `update_item`, `transact_write_items`, ...) with its errors
    translated (`translate`)."""
    return call_with(client("dynamodb"), operation, **params)


def call_with(dynamodb: Any, operation: str, **params: Any) -> dict[str, Any]:
    """`call` on a DynamoDB client of the caller's own (the CLI's, for a stage's region)."""
    try:
        response: dict[str, Any] = getattr(dynamodb, operation)(**params)
    except Exception as exc:
        mapped = translate(exc)
        if mapped is exc:
            raise
        raise mapped from exc
    return response


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
            response = call("batch_write_item", RequestItems=request)
            request = response.get("UnprocessedItems") or {}
            if request:
                attempt += 1
                if attempt >= max_attempts:
                    raise RuntimeError("DynamoDB left items unprocessed after retries")
                time.sleep(min(0.05 * 2**attempt, 2.0))
    return calls
