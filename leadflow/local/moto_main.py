"""`python -m leadflow.local.moto_main`: moto's server, with DynamoDB requests made atomic.

moto's server handles requests on threads, and its DynamoDB backend checks a condition and then
writes without a lock, so two concurrent conditional writes on one item can both succeed. DynamoDB
never allows that, and idempotency (claims, counted batches) rests on it: the DynamoDB operations
that can carry a condition are serialized here. Reads, batch writes (which take no conditions) and
every other service stay concurrent.
"""

from __future__ import annotations

import gc
import logging
import threading
from typing import Any

from moto import server
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler
from werkzeug.wsgi import LimitedStream

from leadflow.local import moto_index_and_timers, moto_limits, moto_speedups, moto_transactions

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
# and AWS's limits moto does not enforce (PutEvents 256 KB, a transaction's 4 MB, BatchWriteItem's 25)
moto_limits.install()


class KeepAliveHandler(MotoRequestHandler):
    """moto's request handler, keeping connections open between requests.

    werkzeug's development server answers every request with `Connection: close` (and then waits
    10 ms for stray request bytes to discard), because it cannot tell how much of a request body the
    application left unread. Every AWS call then costs a new TCP connection and a new server thread:
    on the assignment benchmark, a hundred a second. Here a request with a `Content-Length` body is
    read through a stream that knows its length, whatever the application left of it is read after
    it answered, and the (whole, buffered) answer goes out with its own `Content-Length`, so the
    connection is ready for the client's next request. Chunked or `Expect: 100-continue` requests,
    and a failing application, go werkzeug's way, closing the connection.
    """

    protocol_version = "HTTP/1.1"
    # the head and the body of an answer are two writes: with Nagle's algorithm on, the body waits for
    # the client's ACK of the head, which a kept-alive client delays by up to 40 ms (delayed ACK)
    disable_nagle_algorithm = True

    def run_wsgi(self) -> None:
        length = self.headers.get("Content-Length")
        chunked = "chunked" in self.headers.get("Transfer-Encoding", "").lower()
        expects = self.headers.get("Expect", "").strip(" \t").lower() == "100-continue"
        if chunked or expects or not (length or "0").isdigit():
            super().run_wsgi()
            self.close_connection = True
            return
        environ = self.make_environ()
        body = LimitedStream(self.rfile, int(length or 0))
        environ["wsgi.input"] = body
        started: list[Any] = []
        chunks: list[bytes] = []

        def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            started[:] = [status, headers]
            return chunks.append

        try:
            answer = self.server.app(environ, start_response)
            try:
                chunks.extend(answer)
            finally:
                if hasattr(answer, "close"):
                    answer.close()
            body.exhaust()
        except Exception:  # what werkzeug does with it: a 500, and the connection closed
            logging.getLogger("werkzeug").exception("Error on request")
            self.close_connection = True
            self.send_error(500)
            return
        status, headers = started
        code, _, reason = status.partition(" ")
        self.send_response(int(code), reason)
        data = b"".join(chunks)
        head = self.command == "HEAD"  # its Content-Length is the resource's, as the application said
        for name, value in headers:
            if name.lower() not in ("connection", "transfer-encoding") and (head or name.lower() != "content-length"):
                self.send_header(name, value)
        if not head and not (code.startswith("1") or code in ("204", "304")):
            self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if not head:
            self.wfile.write(data)
        self.wfile.flush()


if __name__ == "__main__":
    # moto's items are long-lived and free of reference cycles; at default thresholds the cyclic
    # collector ran over all of them again and again (21 s of a 220 s run at 5,000 waiting emails,
    # in pauses of up to 90 ms); collected far less often, 4 s
    gc.set_threshold(100_000, 50, 100)
    server.MotoRequestHandler = KeepAliveHandler  # type: ignore[misc]
    # no line per request on a stderr nobody reads (the runtime discards it)
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    server.main()
