"""`python -m leadflow.local.moto_main`: moto's server, with DynamoDB requests made atomic.

moto's server handles requests on threads, and its DynamoDB backend checks a condition and then
writes without a lock, so two concurrent conditional writes on one item can both succeed. DynamoDB
never allows that, and idempotency (claims, counted batches) rests on it: the DynamoDB operations
that can carry a condition are serialized here. Reads, batch writes (which take no conditions) and
every other service stay concurrent.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from moto import server
from moto.moto_server.werkzeug_app import DomainDispatcherApplication
from werkzeug.serving import WSGIRequestHandler

from leadflow.local import moto_index_and_timers, moto_speedups, moto_transactions

_dynamodb = threading.Lock()
_CONDITIONAL = frozenset(
    f"DynamoDB_20120810.{op}" for op in ("PutItem", "UpdateItem", "DeleteItem", "TransactWriteItems")
)
_dispatch = DomainDispatcherApplication.__call__


def _call(self: DomainDispatcherApplication, environ: dict[str, Any], start_response: Any) -> Any:
    if environ.get("HTTP_X_AMZ_TARGET") in _CONDITIONAL:
        with _dynamodb:
            # Flask builds the whole response inside the call: the operation is done under the lock
            return _dispatch(self, environ, start_response)
    return _dispatch(self, environ, start_response)


DomainDispatcherApplication.__call__ = _call  # type: ignore[method-assign]
# and TransactWriteItems without a deep copy of each table it touches (safe under the lock above)
moto_transactions.patch()
# and moto's hot paths without their repeated work: request parsing, item sizes and EventBridge
# (moto_speedups); index Query, response items, update expressions and delayed SQS messages
moto_speedups.patch()
moto_index_and_timers.patch()

if __name__ == "__main__":
    # keep-alive: werkzeug's default HTTP/1.0 closes every connection, so each request would
    # cost a new TCP connection and a new server thread
    WSGIRequestHandler.protocol_version = "HTTP/1.1"
    # and no line per request on a stderr nobody reads (the runtime discards it)
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    server.main()
