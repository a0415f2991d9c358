"""AWS limits moto does not enforce, enforced in the local AWS as AWS does (`shared.core.limits`).

Checked against moto 5.2.5 (server mode): it already refuses an SQS message over 1 MiB, more than
10 entries or 1 MiB in a SendMessageBatch, more than 10 PutEvents entries, more than 100 items in a
TransactWriteItems, more than 100 keys in a BatchGetItem, and a DynamoDB item over 405,000 bytes
(stricter than DynamoDB's 409,600: never kinder). It accepts what AWS refuses:

- a PutEvents call whose entries together pass 256 KB ("Total size of the entries in the request is
  over the limit", https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-putevent-size.html);
- a TransactWriteItems call whose items together pass 4 MB ("The aggregate size of the items in the
  transaction cannot exceed 4 MB", TransactWriteItems in the DynamoDB API reference);
- a BatchWriteItem call with more than 25 requests ("Too many items requested for the
  BatchWriteItem call").

Each check runs at moto's request handler, before its backend (and whatever the speed patches put
there) sees the call, and answers with the error AWS gives: the call does nothing. A correctness fix
(`leadflow.local.moto_patches`, "aws-limits"): installed on every moto version, whether the speed
patches are on or not; on a moto whose handlers lack one of these methods, `patch()` raises and
the local AWS does not start, naming the fix. Nothing here makes anything faster.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from moto.dynamodb.exceptions import MockValidationException
from moto.dynamodb.models.dynamo_type import DynamoType
from moto.dynamodb.models.utilities import bytesize
from moto.dynamodb.responses import DynamoHandler
from moto.events.exceptions import ValidationException as EventsValidationException
from moto.events.responses import EventsHandler

from shared.core import limits

_INSTALLED = "_leadflow_limits"


def put_events_bytes(entries: list[dict[str, Any]]) -> int:
    """A PutEvents request's size as EventBridge counts it: per entry, Time (14 bytes when present),
    Source, DetailType, Detail and each Resource in UTF-8."""
    total = 0
    for entry in entries:
        total += 14 if entry.get("Time") is not None else 0
        for name in ("Source", "DetailType", "Detail"):
            total += len(str(entry.get(name) or "").encode())
        total += sum(len(str(r).encode()) for r in entry.get("Resources") or [])
    return total


def _attributes_bytes(attributes: dict[str, Any]) -> int:
    return sum(bytesize(name) + DynamoType(value).size() for name, value in attributes.items())


def transaction_bytes(transact_items: list[dict[str, Any]]) -> int:
    """The items' size in a TransactWriteItems call: a Put's whole item, an Update's key and new
    values, a Delete's or a ConditionCheck's key."""
    total = 0
    for entry in transact_items:
        for kind, operation in entry.items():
            if kind == "Put":
                total += _attributes_bytes(operation.get("Item") or {})
            else:
                total += _attributes_bytes(operation.get("Key") or {})
                total += _attributes_bytes(operation.get("ExpressionAttributeValues") or {})
    return total


def _check_put_events(handler: EventsHandler) -> None:
    size = put_events_bytes(handler._get_param("Entries") or [])
    if size > limits.PUT_EVENTS_BYTES:
        raise EventsValidationException("Total size of the entries in the request is over the limit.")


def _check_transaction(handler: DynamoHandler) -> None:
    if transaction_bytes(handler.body.get("TransactItems") or []) > limits.TRANSACT_BYTES:
        raise MockValidationException("Transaction request cannot be larger than 4 MB")


def _check_batch_write(handler: DynamoHandler) -> None:
    requests = sum(len(r) for r in (handler.body.get("RequestItems") or {}).values())
    if requests > limits.BATCH_WRITE_ITEMS:
        raise MockValidationException("Too many items requested for the BatchWriteItem call")


def _checked(method: Callable[[Any], Any], check: Callable[[Any], None]) -> Callable[[Any], Any]:
    def run(self: Any) -> Any:
        check(self)
        return method(self)

    run.__name__ = method.__name__
    setattr(run, _INSTALLED, True)
    return run


def patch() -> None:
    """Put the checks in moto's request handlers (once; a second call does nothing). A moto whose
    handlers lack one of these methods gets none of them: this raises, naming what is missing."""
    checks: tuple[tuple[type[Any], str, Callable[[Any], None]], ...] = (
        (EventsHandler, "put_events", _check_put_events),
        (DynamoHandler, "transact_write_items", _check_transaction),
        (DynamoHandler, "batch_write_item", _check_batch_write),
    )
    missing = [f"{handler.__name__}.{name}" for handler, name, _ in checks if getattr(handler, name, None) is None]
    if missing:
        raise AttributeError(f"moto has no {', '.join(missing)}: those limits cannot be enforced")
    for handler, name, check in checks:
        method = getattr(handler, name)
        if not getattr(method, _INSTALLED, False):
            setattr(handler, name, _checked(method, check))
