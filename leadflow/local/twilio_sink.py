"""Local stand-ins for Twilio's Messages API and the marketing platform, on 127.0.0.1.

- `TwilioSink`: `POST /2010-04-01/Accounts/{sid}/Messages.json` (Basic auth with the account SID and
  auth token, form fields From, To, Body) answers 201 with a message SID, as Twilio does, and records
  the message. `fail(times=2, status=500, match=...)` makes the next (matching) requests fail.
- `MarketingSink`: `POST /leads` records a lead once per `Idempotency-Key` (a repeated key is answered
  200 without a second effect, as a careful receiver does); `fail(times=3)` makes it answer 500, and
  `fail(times=1, after_accept=True)` accepts the lead but answers 500 (a lost answer).
- `simulate_inbound` sends Twilio's inbound-message webhook, signed with the auth token.
"""

from __future__ import annotations

import base64
import json
import secrets
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl

import httpx

from shared.forms.signature import SIGNATURE_HEADER, signature


@dataclass
class _Fault:
    times: int
    status: int
    after_accept: bool = False
    #: only requests whose body contains this text (None: any request)
    match: str | None = None


class _Server:
    """A threaded HTTP server on 127.0.0.1 that hands POSTs to `self.post`."""

    name = "sink"

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.faults: list[_Fault] = []
        sink = self

        class _Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True  # head and body are two writes: no wait for the ACK between

            def log_message(self, format: str, *args: Any) -> None:
                return

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                status, payload = sink.post(self.path, dict(self.headers.items()), body)
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self._thread = threading.Thread(target=self.server.serve_forever, name=self.name, daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def fail(self, times: int = 1, status: int = 500, *, after_accept: bool = False, match: str | None = None) -> None:
        """The next `times` requests (whose body contains `match`, if given) fail with `status`, after
        doing their work when `after_accept`. Faults apply in the order they were added."""
        with self.lock:
            self.faults.append(_Fault(times, status, after_accept, match))

    def _fault(self, body: bytes) -> _Fault | None:
        text = body.decode(errors="replace")
        with self.lock:
            self.faults = [f for f in self.faults if f.times > 0]
            for fault in self.faults:
                if fault.match is None or fault.match in text:
                    fault.times -= 1
                    return fault
            return None

    def post(self, path: str, headers: dict[str, str], body: bytes) -> tuple[int, dict[str, Any]]:
        raise NotImplementedError


@dataclass
class Sms:
    sid: str
    account_sid: str
    from_: str
    to: str
    body: str
    at: float = field(default_factory=time.time)


class TwilioSink(_Server):
    name = "twilio-sink"

    def __init__(self, account_sid: str, auth_token: str) -> None:
        super().__init__()
        self.account_sid = account_sid
        self.auth_token = auth_token
        self.messages: list[Sms] = []

    def post(self, path: str, headers: dict[str, str], body: bytes) -> tuple[int, dict[str, Any]]:
        expected = f"/2010-04-01/Accounts/{self.account_sid}/Messages.json"
        if path != expected:
            return 404, {"code": 20404, "message": "The requested resource was not found"}
        auth = {k.lower(): v for k, v in headers.items()}.get("authorization", "")
        wanted = "Basic " + base64.b64encode(f"{self.account_sid}:{self.auth_token}".encode()).decode()
        if auth != wanted:
            return 401, {"code": 20003, "message": "Authenticate"}
        fault = self._fault(body)
        if fault is not None:
            return fault.status, {"code": 20500, "message": "An internal server error has occurred (local fault)"}
        fields = dict(parse_qsl(body.decode(), keep_blank_values=True))
        if not fields.get("To") or not fields.get("From"):
            return 400, {"code": 21604, "message": "A 'To' and a 'From' phone number are required."}
        sms = Sms("SM" + secrets.token_hex(16), self.account_sid, fields["From"], fields["To"], fields.get("Body", ""))
        with self.lock:
            self.messages.append(sms)
        return 201, {"sid": sms.sid, "status": "queued", "from": sms.from_, "to": sms.to, "body": sms.body}

    def sent_to(self, phone: str) -> list[Sms]:
        with self.lock:
            return [m for m in self.messages if m.to == phone]


@dataclass
class Delivery:
    key: str | None
    lead: dict[str, Any]
    at: float = field(default_factory=time.time)


class MarketingSink(_Server):
    name = "marketing-sink"

    def __init__(self) -> None:
        super().__init__()
        self.accepted: list[Delivery] = []
        self.requests = 0
        self._keys: set[str] = set()

    def post(self, path: str, headers: dict[str, str], body: bytes) -> tuple[int, dict[str, Any]]:
        key = {k.lower(): v for k, v in headers.items()}.get("idempotency-key")
        with self.lock:
            self.requests += 1
        fault = self._fault(body)
        if fault is not None and not fault.after_accept:
            return fault.status, {"error": "local fault"}
        with self.lock:
            duplicate = key is not None and key in self._keys
            if not duplicate:
                if key is not None:
                    self._keys.add(key)
                self.accepted.append(Delivery(key, json.loads(body or b"{}")))
        if fault is not None:
            return fault.status, {"error": "local fault after accepting"}
        return 200, {"accepted": not duplicate, "duplicate": duplicate}

    def deliveries_for(self, form_lead_id: str) -> list[Delivery]:
        with self.lock:
            return [d for d in self.accepted if d.lead.get("form_lead_id") == form_lead_id]


def simulate_inbound(
    webhook_url: str, auth_token: str, *, from_: str, to: str, text: str, sid: str | None = None, tamper: bool = False
) -> httpx.Response:
    """POST what Twilio posts for an inbound SMS, signed as Twilio signs it (or, with `tamper`, not quite)."""
    params = {
        "MessageSid": sid or "SM" + secrets.token_hex(16),
        "AccountSid": "AC" + "0" * 32,
        "From": from_,
        "To": to,
        "Body": text,
        "NumMedia": "0",
    }
    signed = signature(auth_token, webhook_url, params)
    if tamper:
        params["Body"] = text + " (changed on the way)"
    return httpx.post(webhook_url, data=params, headers={SIGNATURE_HEADER: signed}, timeout=30.0)
