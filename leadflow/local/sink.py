"""The local sink: a real HTTP server on 127.0.0.1 standing in for Slack, the downstream CRM and the
alarm subscribers (PagerDuty), recording everything it receives.

- `POST /slack`: an incoming webhook (answers `ok`, as Slack does).
- `POST /downstream`: verifies the HMAC signature (401 when wrong) and deduplicates on the
  `Idempotency-Key` header, as a careful receiver does: a repeated key is answered 200 but not
  accepted again.
- `POST /alarms`: SNS HTTP(S) deliveries from the alarms topic.
- `GET /_received[?path=/slack]`: what it received, as JSON (`leadflow sink` prints it).

Faults are scriptable per path: `fail(path, Fault(status=500), times=2)` for the next requests, or
`fail_every(path, 10, Fault(status=429, retry_after=1))` for every tenth.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlparse

from shared.notification.downstream import IDEMPOTENCY_HEADER, SIGNATURE_HEADER, verify

PATHS = ("/slack", "/downstream", "/alarms")


@dataclass(frozen=True)
class Fault:
    status: int = 500
    #: sleep this long before answering (longer than the client's timeout: a timeout)
    delay_s: float = 0.0
    retry_after: float | None = None


@dataclass
class Received:
    path: str
    at: float
    headers: dict[str, str]
    body: str
    status: int
    #: downstream only: the signature checked out / the idempotency key was seen before
    verified: bool | None = None
    duplicate: bool | None = None

    def json(self) -> Any:
        try:
            return json.loads(self.body)
        except ValueError:
            return None


@dataclass
class _Rule:
    fault: Fault
    times: int | None = None  # None: every `every`th request
    every: int = 1
    seen: int = 0
    #: only requests whose headers or body contain this text (a test's own lead); None: any request
    matching: str | None = None


@dataclass
class Sink:
    port: int = 0
    signing_key: str = ""
    on_receive: Callable[[Received], None] | None = None
    received: list[Received] = field(default_factory=list)
    _rules: dict[str, list[_Rule]] = field(default_factory=dict)
    _keys: set[str] = field(default_factory=set)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _server: ThreadingHTTPServer | None = None
    _thread: threading.Thread | None = None

    # ------------------------------------------------------------ lifecycle

    def start(self) -> Sink:
        sink = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True  # head and body are two writes: no wait for the ACK between

            def log_message(self, format: str, *args: Any) -> None:  # quiet
                return

            def do_GET(self) -> None:
                url = urlparse(self.path)
                if url.path != "/_received":
                    self._answer(404, {"error": "not found"})
                    return
                only = parse_qs(url.query).get("path", [None])[0]
                self._answer(200, [asdict(r) for r in sink.snapshot(only)])

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length).decode("utf-8", "replace")
                status, payload, headers = sink._handle(urlparse(self.path).path, dict(self.headers.items()), body)
                self._answer(status, payload, headers)

            def _answer(self, status: int, payload: Any, headers: dict[str, str] | None = None) -> None:
                data = payload.encode() if isinstance(payload, str) else json.dumps(payload).encode()
                try:
                    self.send_response(status)
                    for name, value in (headers or {}).items():
                        self.send_header(name, value)
                    self.send_header("Content-Type", "text/plain" if isinstance(payload, str) else "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):  # the client gave up (a timeout fault)
                    pass

        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self._server.daemon_threads = True
        self.port = int(self._server.server_address[1])
        self._thread = threading.Thread(target=self._server.serve_forever, name="local-sink", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server:
            self._server.shutdown()
            self._server.server_close()
        self._server = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    # ------------------------------------------------------------ faults

    def fail(self, path: str, fault: Fault, *, times: int = 1, matching: str | None = None) -> None:
        """The next `times` requests to `path` (containing `matching`, when given) get `fault`."""
        with self._lock:
            self._rules.setdefault(path, []).append(_Rule(fault, times=times, matching=matching))

    def fail_every(self, path: str, every: int, fault: Fault) -> None:
        """Every `every`th request to `path` gets `fault`, until `clear`."""
        with self._lock:
            self._rules.setdefault(path, []).append(_Rule(fault, every=every))

    def clear(self, *, received: bool = False) -> None:
        with self._lock:
            self._rules.clear()
            if received:
                self.received.clear()
                self._keys.clear()

    def _fault_for(self, path: str, text: str) -> Fault | None:
        with self._lock:
            rules = self._rules.get(path, [])
            for rule in list(rules):
                if rule.matching is not None and rule.matching not in text:
                    continue
                rule.seen += 1
                if rule.times is not None:
                    rule.times -= 1
                    if rule.times <= 0:
                        rules.remove(rule)
                    return rule.fault
                if rule.seen % rule.every == 0:
                    return rule.fault
        return None

    # ------------------------------------------------------------ requests

    def _handle(self, path: str, headers: dict[str, str], body: str) -> tuple[int, Any, dict[str, str]]:
        if path not in PATHS:
            return 404, {"error": f"no such endpoint {path}"}, {}
        fault = self._fault_for(path, json.dumps(headers) + body)
        answer_headers: dict[str, str] = {}
        verified = duplicate = None
        if fault is not None:
            if fault.delay_s:
                # recorded on arrival: the client may give up before the answer
                self._record(Received(path, time.time(), headers, body, fault.status))
                time.sleep(fault.delay_s)
                return fault.status, "slow", answer_headers
            status: int = fault.status
            payload: Any = "rate_limited" if status == 429 else "server_error"
            if fault.retry_after is not None:
                answer_headers["Retry-After"] = f"{fault.retry_after:g}"
        elif path == "/downstream":
            verified = bool(self.signing_key) and verify(
                self.signing_key, body.encode(), headers.get(SIGNATURE_HEADER, "")
            )
            key = headers.get(IDEMPOTENCY_HEADER, "")
            if not verified:
                status, payload = 401, {"error": "bad signature"}
            elif not key:
                status, payload = 400, {"error": "no idempotency key"}
            else:
                with self._lock:
                    duplicate = key in self._keys
                    self._keys.add(key)
                status, payload = 200, {"status": "duplicate" if duplicate else "accepted"}
        else:
            status, payload = 200, "ok"
        self._record(Received(path, time.time(), headers, body, status, verified, duplicate))
        return status, payload, answer_headers

    def _record(self, record: Received) -> None:
        with self._lock:
            self.received.append(record)
        if self.on_receive:
            self.on_receive(record)

    # ------------------------------------------------------------ reading

    def snapshot(self, path: str | None = None) -> list[Received]:
        with self._lock:
            return [r for r in self.received if path is None or r.path == path]

    def accepted_downstream(self) -> list[str]:
        """Idempotency keys the downstream receiver accepted (first sightings with a valid signature)."""
        return [
            r.headers.get(IDEMPOTENCY_HEADER, "")
            for r in self.snapshot("/downstream")
            if r.status == 200 and r.verified and not r.duplicate
        ]


def describe(record: Received) -> str:
    """One line per received post, for `leadflow dev`."""
    stamp = time.strftime("%H:%M:%S", time.localtime(record.at))
    data = record.json()
    if record.path == "/slack" and isinstance(data, dict):
        what = str(data.get("text", "")).split("\n", 1)[0]
    elif record.path == "/downstream" and isinstance(data, dict):
        lead = data.get("lead") or {}
        flags = "signed" if record.verified else "BAD SIGNATURE"
        if record.duplicate:
            flags += ", duplicate"
        what = f"lead {lead.get('lead_id')} ({flags})"
    elif record.path == "/alarms" and isinstance(data, dict):
        what = str(data.get("Subject") or data.get("Type") or "")
    else:
        what = record.body[:80]
    return f"[sink {stamp}] {record.path:<11} {record.status}  {what}"
