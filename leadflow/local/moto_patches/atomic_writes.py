"""DynamoDB writes made atomic (a correctness fix: installed on every moto version).

moto's server handles requests on threads, and its DynamoDB backend checks a condition and then
writes without a lock, so two concurrent conditional writes on one item can both succeed. DynamoDB
never allows that, and idempotency (claims, counted batches) rests on it. And a cancelled
TransactWriteItems in moto puts back a copy of each table it touched, taken when it started: a
write that another thread made meanwhile (a batch write, say) would be lost with it.

So every DynamoDB request that writes (and TransactGetItems, which DynamoDB serializes with
transactions) runs under one lock. Reads (GetItem, BatchGetItem, Query, Scan, Describe*, List*)
and every other service stay concurrent.
"""

from __future__ import annotations

import inspect
import threading
from typing import Any

from moto.moto_server.werkzeug_app import DomainDispatcherApplication

_PREFIX = "DynamoDB_20120810."
#: what runs outside the lock: reading one item or a page never sees a write half done, as moto
#: answers each from the items as they are (one attribute dict per item, replaced whole)
READS = frozenset(
    {"GetItem", "BatchGetItem", "Query", "Scan", "DescribeTable", "DescribeEndpoints", "DescribeTimeToLive"}
    | {"DescribeContinuousBackups", "ListTables", "ListTagsOfResource", "DescribeLimits"}
)
_dynamodb = threading.Lock()
_ORIGINAL: list[Any] = []


def serialized(target: str | None) -> bool:
    """Whether a request with this `X-Amz-Target` runs under the lock."""
    if not target or not target.startswith(_PREFIX):
        return False
    operation = target[len(_PREFIX) :]
    return operation not in READS and not operation.startswith(("Describe", "List"))


def _dispatching(dispatch: Any) -> Any:
    def __call__(self: DomainDispatcherApplication, environ: dict[str, Any], start_response: Any) -> Any:
        if serialized(environ.get("HTTP_X_AMZ_TARGET")):
            with _dynamodb:
                # Flask builds the whole response inside the call: the operation is done under the lock
                return dispatch(self, environ, start_response)
        return dispatch(self, environ, start_response)

    __call__._leadflow = True  # type: ignore[attr-defined]
    return __call__


def patch() -> None:
    """Install, or say why it cannot be (the caller names the moto version)."""
    dispatch = DomainDispatcherApplication.__call__
    if getattr(dispatch, "_leadflow", False):
        return
    params = list(inspect.signature(dispatch).parameters)
    if params != ["self", "environ", "start_response"]:
        raise TypeError(
            "moto's server no longer dispatches as a WSGI application "
            f"(DomainDispatcherApplication.__call__{tuple(params)}), so DynamoDB writes cannot be serialized there"
        )
    _ORIGINAL.append(dispatch)
    DomainDispatcherApplication.__call__ = _dispatching(dispatch)  # type: ignore[method-assign]
