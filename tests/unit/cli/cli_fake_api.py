"""A small real HTTP server on 127.0.0.1 that plays the Leadflow API badly or well, for the CLI's unit tests.

`FakeApi.mode` picks the behaviour: "ok" answers like the API (jobs progress over polls), "401",
"403", "500" refuse every request, "hang" holds every request until the test ends (bounded), "html"
answers 200 with a web page. Nothing is mocked inside the CLI: it makes real requests.
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

#: the longest a "hang" request is held, so a broken client timeout cannot stall the suite
HANG_LIMIT_S = 10.0


class FakeApi:
    def __init__(self) -> None:
        self.mode = "ok"
        #: the job states GET /jobs/{id} answers, one per poll; the last one repeats
        self.job_states: list[dict[str, Any]] = []
        self.polls = 0
        self.release = threading.Event()
        self.seen: list[tuple[str, str, str | None]] = []
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def job(self, status: str, total: int | None, done: int, leads: int = 0, rejected: int = 0) -> dict[str, Any]:
        return {
            "job_id": "job-1",
            "filename": "leads.csv",
            "status": status,
            "rows_total": 3,
            "leads_stored": leads,
            "rows_rejected": rejected,
            "leads_duplicate": 0,
            "batches_done": done,
            "batches_total": total,
            "rules_only": True,
            "rejections": [],
        }

    def _answer(self, method: str, path: str, query: dict[str, list[str]]) -> tuple[int, Any]:
        if path == "/uploads" and method == "POST":
            return 201, self.job("queued", None, 0)
        if path.startswith("/jobs/") and method == "GET":
            state = self.job_states[min(self.polls, len(self.job_states) - 1)] if self.job_states else None
            self.polls += 1
            return 200, state or self.job("completed", 1, 1, leads=2)
        if path.startswith("/jobs/") and method == "DELETE":
            return 200, self.job("cancelled", 1, 0)
        if path == "/leads":
            lead = {"lead_id": "l1", "created_at": "2025-01-01T00:00:00Z", "email": "ada@example.com"}
            return 200, {"leads": [lead], "next_cursor": None}
        if path == "/leads/export":
            return 200, "email\nada@example.com\n"
        token = {
            "token_id": "tok_0123456789abcdef0123",
            "user": "ada",
            "role": "agent",
            "status": "active",
            "created_at": "2025-01-01T00:00:00.000+00:00",
            "created_by": "admin",
            "last_used_at": None,
            "expires_at": "2025-01-31T00:00:00.000+00:00",
            "revoked_at": None,
            "revoked_by": None,
        }
        if path == "/tokens" and method == "POST":
            return 201, {"token": "lf_fake", **token}
        if path == "/tokens" and method == "GET":
            return 200, {"tokens": [token]}
        if path.startswith("/tokens/") and method == "DELETE":
            return 200, {**token, "status": "revoked", "revoked_at": "2025-01-02T00:00:00.000+00:00"}
        if path == "/callers":
            return 200, {"callers": [{"called_at": "2025-01-01T00:00:00Z", "caller": "+1", "vanity": ["1-800-X"]}]}
        if path == "/chat":
            return 200, {"query": {}, "count": 0, "leads": []}
        if path == "/admin/inflight":
            return 200, {"forwards": [], "conversations": []}
        if path == "/_received":
            return 200, []
        return 404, {"message": f"no route {method} {path}"}

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            # a WebSocket client needs an HTTP/1.1 answer to its handshake, even a refusal
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:  # keep pytest output clean
                pass

            def _serve(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                if length:
                    self.rfile.read(length)
                url = urlsplit(self.path)
                fake.seen.append((self.command, url.path, self.headers.get("Authorization")))
                if fake.mode == "hang":
                    fake.release.wait(HANG_LIMIT_S)
                    self.close_connection = True  # never answered: a client without a timeout sees it closed
                    return
                if fake.mode in {"401", "403", "429", "500"}:
                    status, body = int(fake.mode), {"message": f"refused with {fake.mode}"}
                elif fake.mode == "html":
                    self._send(200, b"<html><body>not the API</body></html>", "text/html")
                    return
                else:
                    status, body = fake._answer(self.command, url.path, parse_qs(url.query))
                if isinstance(body, str):
                    self._send(status, body.encode(), "text/csv")
                else:
                    self._send(status, json.dumps(body).encode(), "application/json")

            def _send(self, status: int, data: bytes, content_type: str) -> None:
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_DELETE = _serve

        return Handler

    def close(self) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()
