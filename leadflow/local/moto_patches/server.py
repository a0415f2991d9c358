"""moto's HTTP server keeping connections open, and its process collecting garbage less often (a
speed patch: installed only on the moto version it was tested against).

- werkzeug's development server closes every connection (`KeepAliveHandler` below says why and
  what it does instead): every AWS call cost a new TCP connection and a new server thread.
- moto's items are long-lived and free of reference cycles; at default thresholds the cyclic
  collector ran over all of them again and again (21 s of a 220 s run at 5,000 waiting emails, in
  pauses of up to 90 ms); collected far less often, 4 s.
"""

from __future__ import annotations

import gc
import logging
from typing import Any

from moto import server
from moto.moto_server.werkzeug_app import MotoRequestHandler
from werkzeug.wsgi import LimitedStream


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


def patch() -> None:
    """Install: `moto.server.main` serves with this handler."""
    gc.set_threshold(100_000, 50, 100)
    server.MotoRequestHandler = KeepAliveHandler  # type: ignore[misc]
