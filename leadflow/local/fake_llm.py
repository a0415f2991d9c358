"""A local OpenAI-compatible chat-completions server: the LLM provider for tests, benchmarks and the local runtime.

It is a real HTTP server on 127.0.0.1 (stdlib `ThreadingHTTPServer`), so the client is tested
through its own transport, retries and timeouts, with nothing mocked inside it. It serves
`POST /chat/completions` (and `/v1/chat/completions`), requires `Authorization: Bearer <key>`
with the key it was started with (401 otherwise), counts and records every request, and answers
deterministically from the request itself. The kind of request is read from the marker that opens
Leadflow's system prompts (`shared.enrichment.llm.prompts`):

- layout: headers mapped by keywords ("mail" -> email, "surname" -> last_name ...), then by
  sample values (addresses -> email, long digit runs -> phone); everything else null;
- cells: what can be read out of each text: an address by regex, digits of a phone (spelled-out
  English digits included), capitalized words of a name, "(Title, Company)" after a name;
- query: a `LeadQuery` from keywords ("from the website" -> source eq website, "last week" ->
  created_at gte today-7 with today taken from the system prompt, "qualified" -> status ...).

Faults are scripted per request, consumed in order (see `Script`):

    fake.script.rate_limit(retry_after=2).server_error(503).slow(1.0)
    fake.script.invalid_json().fenced().hallucinate().reply({"mapping": {}})

`python -m leadflow.local.fake_llm --port 8089 --api-key KEY` runs one on its own.
"""

from __future__ import annotations

import argparse
import json
import re
import threading
import time
import unicodedata
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from shared.enrichment.llm.prompts import CELLS_MARKER, LAYOUT_MARKER, QUERY_MARKER

DEFAULT_API_KEY = "fake-llm-key"
_PATHS = ("/chat/completions", "/v1/chat/completions")
_KINDS = {LAYOUT_MARKER: "layout", CELLS_MARKER: "cells", QUERY_MARKER: "query"}


# --- scripting ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Fault:
    """What the server does instead of (or before) its normal answer to one request."""

    kind: str  # "status", "slow", "content", "fenced", "body", "hallucinate"
    status: int = 200
    retry_after: str | None = None
    delay_s: float = 0.0
    content: str | None = None  # the message content ("content") or the raw HTTP body ("body")


class Script:
    """A queue of faults; each request to the completions endpoint takes the next one, if any.

    Every method queues `times` copies and returns the script, so calls chain. Requests refused
    with 401 take no fault.
    """

    def __init__(self) -> None:
        self._queue: deque[Fault] = deque()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._queue)

    def add(self, fault: Fault, times: int = 1) -> Script:
        with self._lock:
            self._queue.extend([fault] * times)
        return self

    def take(self) -> Fault | None:
        with self._lock:
            return self._queue.popleft() if self._queue else None

    def clear(self) -> Script:
        with self._lock:
            self._queue.clear()
        return self

    def rate_limit(self, retry_after: float | str | None = 1, times: int = 1) -> Script:
        """429 Too Many Requests, with `Retry-After` (seconds or an HTTP date) unless None."""
        header = None if retry_after is None else (retry_after if isinstance(retry_after, str) else f"{retry_after:g}")
        return self.add(Fault("status", 429, retry_after=header), times)

    def server_error(self, status: int = 500, times: int = 1) -> Script:
        return self.add(Fault("status", status), times)

    def status(self, status: int, times: int = 1) -> Script:
        """Any HTTP error status with an OpenAI-style error body (400, 403, 404, 422 ...)."""
        return self.add(Fault("status", status), times)

    def slow(self, seconds: float, times: int = 1) -> Script:
        """The normal answer, after `seconds`: longer than the client's timeout, it is a timeout."""
        return self.add(Fault("slow", delay_s=seconds), times)

    def invalid_json(self, times: int = 1) -> Script:
        """A completion whose message content is not JSON."""
        return self.add(Fault("content", content='{"mapping": {"Email": "email"'), times)

    def fenced(self, times: int = 1) -> Script:
        """The normal answer wrapped in a ```json Markdown fence, as models sometimes do."""
        return self.add(Fault("fenced"), times)

    def reply(self, content: str | dict[str, Any], times: int = 1) -> Script:
        """A completion with exactly this message content (a dict is sent as JSON)."""
        text = content if isinstance(content, str) else json.dumps(content)
        return self.add(Fault("content", content=text), times)

    def garbage(self, times: int = 1) -> Script:
        """HTTP 200 whose body is not a chat completion at all (a proxy's HTML page)."""
        return self.add(Fault("body", content="<html><body>upstream hiccup</body></html>"), times)

    def hallucinate(self, times: int = 1) -> Script:
        """Well-formed answers with invented values: emails, phones and names not in the input,
        headers not in the layout, fields the Lead does not have, a query on a field not in the whitelist."""
        return self.add(Fault("hallucinate"), times)


@dataclass(frozen=True)
class RecordedRequest:
    path: str
    authorized: bool
    kind: str | None  # "layout", "cells", "query", or None when no marker was found
    body: dict[str, Any] | None
    fault: str | None  # the scripted fault applied, if any


# --- the server ----------------------------------------------------------------------------------------


class FakeLlm:
    """The fake provider. `url` is the base URL to give `ChatClient`; `calls` counts completion requests."""

    def __init__(
        self, api_key: str = DEFAULT_API_KEY, *, host: str = "127.0.0.1", port: int = 0, model: str = "fake-chat"
    ) -> None:
        self.api_key = api_key
        self.model = model
        self.script = Script()
        self._host = host
        self._port = port
        self._requests: list[RecordedRequest] = []
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # ------------------------------------------------------------------ lifecycle

    def start(self) -> FakeLlm:
        if self._server is not None:
            return self
        fake = self

        class _Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True  # head and body are two writes: no wait for the ACK between

            def log_message(self, format: str, *args: Any) -> None:  # tests read `requests`, not stderr
                return

            def do_POST(self) -> None:
                fake._handle(self)

            def do_GET(self) -> None:
                fake._send_json(self, 404, _error("not found", "invalid_request_error"))

        self._stopping.clear()
        self._server = ThreadingHTTPServer((self._host, self._port), _Handler)
        self._server.daemon_threads = True
        # A short poll interval: `stop` waits for it, and the test suite starts many servers.
        server = self._server
        self._thread = threading.Thread(
            target=lambda: server.serve_forever(poll_interval=0.05), name="fake-llm", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()  # wakes requests sleeping in a `slow` fault
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = None
        self._thread = None

    def __enter__(self) -> FakeLlm:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("the fake LLM is not started")
        return int(self._server.server_address[1])

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    # ------------------------------------------------------------------ what it saw

    @property
    def calls(self) -> int:
        """Requests to the completions endpoint, answered or not (401s and faults included)."""
        with self._lock:
            return len(self._requests)

    @property
    def requests(self) -> list[RecordedRequest]:
        with self._lock:
            return list(self._requests)

    def calls_of(self, kind: str) -> int:
        return sum(1 for request in self.requests if request.kind == kind)

    def reset(self) -> None:
        """Forget recorded requests and queued faults."""
        with self._lock:
            self._requests.clear()
        self.script.clear()

    # ------------------------------------------------------------------ serving

    def _handle(self, handler: BaseHTTPRequestHandler) -> None:
        path = handler.path.split("?", 1)[0].rstrip("/")
        length = int(handler.headers.get("Content-Length") or 0)
        raw = handler.rfile.read(length) if length else b""
        if path not in _PATHS:
            self._send_json(handler, 404, _error(f"no route {path}", "invalid_request_error"))
            return
        try:
            body = json.loads(raw)
        except ValueError:
            body = None
        body = body if isinstance(body, dict) else None
        authorized = handler.headers.get("Authorization") == f"Bearer {self.api_key}"
        kind = _kind(body)
        fault = self.script.take() if authorized else None
        with self._lock:
            self._requests.append(RecordedRequest(path, authorized, kind, body, fault.kind if fault else None))
        if not authorized:
            self._send_json(handler, 401, _error("Authentication Fails (invalid api key)", "authentication_error"))
            return
        if body is None or not isinstance(body.get("messages"), list):
            self._send_json(handler, 400, _error("the body must be JSON with messages", "invalid_request_error"))
            return
        if fault is not None and fault.kind == "status":
            headers = {"Retry-After": fault.retry_after} if fault.retry_after is not None else {}
            self._send_json(handler, fault.status, _error(f"scripted HTTP {fault.status}", "server_error"), headers)
            return
        if fault is not None and fault.kind == "body":
            self._send(handler, 200, (fault.content or "").encode(), "text/html")
            return
        if fault is not None and fault.kind == "slow" and self._stopping.wait(fault.delay_s):
            return  # stopping: the client is gone or about to be
        if fault is not None and fault.kind == "content":
            content = fault.content or ""
        elif kind is None:
            # A real provider would answer anything; the fake is loud about a prompt without a marker.
            self._send_json(handler, 400, _error("no Leadflow marker in the system prompt", "invalid_request_error"))
            return
        elif fault is not None and fault.kind == "fenced":
            content = _fence(_answer(kind, body, hallucinate=False))
        else:
            hallucinate = fault is not None and fault.kind == "hallucinate"
            content = json.dumps(_answer(kind, body, hallucinate=hallucinate), ensure_ascii=False)
        self._send_json(handler, 200, self._completion(content))

    def _completion(self, content: str) -> dict[str, Any]:
        return {
            "id": f"fake-{time.monotonic_ns()}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": self.model,
            "choices": [{"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": "stop"}],
            "usage": {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0},
        }

    def _send_json(
        self, handler: BaseHTTPRequestHandler, status: int, body: Any, headers: dict[str, str] | None = None
    ) -> None:
        self._send(handler, status, json.dumps(body, ensure_ascii=False).encode(), "application/json", headers)

    def _send(
        self,
        handler: BaseHTTPRequestHandler,
        status: int,
        payload: bytes,
        content_type: str,
        headers: dict[str, str] | None = None,
    ) -> None:
        try:
            handler.send_response(status)
            handler.send_header("Content-Type", content_type)
            handler.send_header("Content-Length", str(len(payload)))
            for name, value in (headers or {}).items():
                handler.send_header(name, value)
            handler.end_headers()
            handler.wfile.write(payload)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client timed out and left; that was the point of a slow fault


def _error(message: str, kind: str) -> dict[str, Any]:
    return {"error": {"message": message, "type": kind, "code": None}}


def _fence(answer: dict[str, Any]) -> str:
    return "```json\n" + json.dumps(answer, ensure_ascii=False, indent=2) + "\n```"


def _kind(body: dict[str, Any] | None) -> str | None:
    for message in (body or {}).get("messages") or []:
        if isinstance(message, dict) and message.get("role") == "system":
            content = str(message.get("content") or "")
            for marker, kind in _KINDS.items():
                if marker in content:
                    return kind
    return None


def _message(body: dict[str, Any], role: str) -> str:
    for message in body.get("messages") or []:
        if isinstance(message, dict) and message.get("role") == role:
            return str(message.get("content") or "")
    return ""


def _user_json(body: dict[str, Any]) -> dict[str, Any]:
    try:
        value = json.loads(_message(body, "user"))
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def _answer(kind: str, body: dict[str, Any], *, hallucinate: bool) -> dict[str, Any]:
    if kind == "layout":
        return _hallucinated_layout(body) if hallucinate else _layout(body)
    if kind == "cells":
        return _cells(body, hallucinate=hallucinate)
    if hallucinate:  # a query on a field and with an operator outside the whitelist
        return {"filters": [{"field": "password", "op": "regex", "value": ".*"}], "limit": 20, "order": "newest"}
    return _query(body)


def _folded(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold()


# --- layouts -------------------------------------------------------------------------------------------

# Checked in this order, so "Company Name" is a company before it is a name.
_LAYOUT_KEYWORDS = (
    ("email", ("mail", "correo", "courriel")),
    ("phone", ("phone", "tel", "mobile", "cell", "fone", "handy", "movil", "gsm")),
    ("first_name", ("first", "given", "vorname", "prenom", "forename")),
    ("last_name", ("last", "surname", "family", "familien", "nachname", "apellido", "sobrenome", "cognome")),
    ("company", ("company", "organi", "firma", "empresa", "employer", "arbeitgeber", "account", "societe", "azienda")),
    ("title", ("title", "position", "role", "cargo", "job", "funktion", "poste")),
    ("country", ("country", "pais", "land", "nation", "pays")),
    ("full_name", ("name", "nom", "nombre", "nome", "naam", "contact", "person")),
)
_ADDRESS = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_LONG_DIGITS = re.compile(r"\d[\d\s().+-]{6,}\d")


def _layout(body: dict[str, Any]) -> dict[str, Any]:
    request = _user_json(body)
    headers = [str(header) for header in request.get("headers") or []]
    rows = [row for row in request.get("sample_rows") or [] if isinstance(row, list)]
    mapping: dict[str, str | None] = dict.fromkeys(headers)
    used: set[str] = set()
    for header in headers:
        folded = _folded(header)
        for name, keywords in _LAYOUT_KEYWORDS:
            if name not in used and any(keyword in folded for keyword in keywords):
                mapping[header] = name
                used.add(name)
                break
    for index, header in enumerate(headers):
        if mapping[header] is not None:
            continue
        values = [str(row[index]) for row in rows if index < len(row) and str(row[index]).strip()]
        if values and "email" not in used and all(_ADDRESS.search(value) for value in values):
            mapping[header] = "email"
        elif values and "phone" not in used and all(_LONG_DIGITS.search(value) for value in values):
            mapping[header] = "phone"
        used.update(name for name in (mapping[header],) if name)
    return {"mapping": mapping}


def _hallucinated_layout(body: dict[str, Any]) -> dict[str, Any]:
    headers = [str(header) for header in _user_json(body).get("headers") or []]
    mapping: dict[str, str | None] = {"Invented Column": "email"}
    mapping.update(dict.fromkeys(headers, "favourite_colour"))
    return {"mapping": mapping}


# --- cells ---------------------------------------------------------------------------------------------

_SPOKEN = {
    "zero": "0", "oh": "0", "one": "1", "two": "2", "three": "3", "four": "4",
    "five": "5", "six": "6", "seven": "7", "eight": "8", "nine": "9",
}  # fmt: skip
_COUNTRIES = {
    "germany": "DE", "deutschland": "DE", "alemanha": "DE", "brazil": "BR", "brasil": "BR", "france": "FR",
    "spain": "ES", "espana": "ES", "portugal": "PT", "italy": "IT", "italia": "IT", "netherlands": "NL",
    "united kingdom": "GB", "england": "GB", "united states": "US", "usa": "US", "canada": "CA", "mexico": "MX",
}  # fmt: skip
_PARENS = re.compile(r"\(([^)]*)\)")
_NAME_WORD = re.compile(r"[^\W\d_][\w'.-]*")


def _cells(body: dict[str, Any], *, hallucinate: bool) -> dict[str, Any]:
    answers = []
    for cell in _user_json(body).get("cells") or []:
        if not isinstance(cell, dict):
            continue
        name, text = str(cell.get("field") or ""), str(cell.get("text") or "")
        values = _invented(name) if hallucinate else _read_cell(name, text)
        answers.append({"id": cell.get("id"), "values": values})
    return {"cells": answers}


def _read_cell(name: str, text: str) -> dict[str, str]:
    if name == "email":
        found = _ADDRESS.search(text)
        return {"email": found.group()} if found else {}
    if name == "phone":
        digits = _spoken_digits(text)
        if len(digits) < 5:
            return {}
        plus = "+" if re.match(r"\s*\D*?\+\s*\d", text) else ""
        return {"phone": plus + digits}
    if name in ("first_name", "last_name", "full_name"):
        return _read_name(text)
    if name in ("company", "title"):
        value = " ".join(_PARENS.sub(" ", text).split())
        return {name: value} if value else {}
    if name == "country":
        folded = " " + " ".join(re.findall(r"\w+", _folded(text))) + " "
        for country, code in _COUNTRIES.items():
            if f" {country} " in folded:
                return {"country": code}
        codes = re.findall(r"\b[A-Z]{2}\b", text)
        return {"country": codes[0]} if codes else {}
    return {}


def _spoken_digits(text: str) -> str:
    digits = []
    for token in re.findall(r"\d+|[a-z]+", text.lower()):
        digits.append(token if token.isdigit() else _SPOKEN.get(token, ""))
    return "".join(digits)


def _read_name(text: str) -> dict[str, str]:
    values: dict[str, str] = {}
    inside = _PARENS.search(text)
    if inside:
        parts = [" ".join(part.split()) for part in inside.group(1).split(",")]
        parts = [part for part in parts if part]
        if parts:
            values["title"] = parts[0]
        if len(parts) > 1:
            values["company"] = parts[1]
    words = [word for word in _NAME_WORD.findall(_PARENS.sub(" ", text)) if word[0].isupper()]
    if words:
        values["first_name"] = words[0].capitalize()
    if len(words) > 1:
        values["last_name"] = words[-1].capitalize()
    return values


def _invented(name: str) -> dict[str, str]:
    if name == "email":
        return {"email": "invented.person@example.net"}
    if name == "phone":
        return {"phone": "+1 808 555 0199"}
    if name in ("first_name", "last_name", "full_name"):
        return {"first_name": "Zebulon", "last_name": "Quartermaine", "company": "Invented Holdings"}
    if name == "company":
        return {"company": "Invented Holdings"}
    if name == "title":
        return {"title": "Chief Invention Officer"}
    if name == "country":
        return {"country": "AQ"}
    return {}


# --- queries -------------------------------------------------------------------------------------------

_TODAY = re.compile(r"Today is (\d{4}-\d{2}-\d{2})")
_STATUSES = ("disqualified", "qualified", "contacted", "new")
_SOURCES = {
    "website": ("website", "web site", "web form", "site"),
    "webhook": ("webhook", "crm"),
    "upload": ("upload", "spreadsheet", "file"),
    "phone": ("phone call", "calls", "call center"),
}
_QUERY_COUNTRIES = {
    "germany": "DE", "brazil": "BR", "france": "FR", "spain": "ES", "portugal": "PT", "italy": "IT",
    "canada": "CA", "mexico": "MX", "the uk": "GB", "the united kingdom": "GB", "the us": "US", "the usa": "US",
}  # fmt: skip


def _query(body: dict[str, Any]) -> dict[str, Any]:
    found = _TODAY.search(_message(body, "system"))
    today = date.fromisoformat(found.group(1)) if found else date.today()
    question = str(_user_json(body).get("question") or _message(body, "user"))
    lower = question.lower()
    filters: list[dict[str, str]] = []

    def add(name: str, op: str, value: str) -> None:
        filters.append({"field": name, "op": op, "value": value})

    for status in _STATUSES:
        if re.search(rf"\b{status}\b", lower):
            add("status", "eq", status)
            break
    for source, words in _SOURCES.items():
        if any(re.search(rf"\b{word}\b", lower) for word in words):
            add("source", "eq", source)
            break
    _dates(lower, today, add)
    email = _ADDRESS.search(question)
    if email:
        add("email", "eq", email.group().lower())
    company = re.search(r"\bat ([A-Z][\w&.-]*(?: [A-Z][\w&.-]*)*)", question)
    if company and not email:
        add("company", "prefix", company.group(1))
    for country, code in _QUERY_COUNTRIES.items():
        if re.search(rf"\b(?:in|from) {country}\b", lower):
            add("country", "eq", code)
            break
    job = re.search(r"\bjob(?:[ _-]?id)?\s*[:#]?\s*([0-9a-f][\w-]{5,})", lower)
    if job:
        add("job_id", "eq", job.group(1))
    limit = re.search(r"\b(?:top|first|last|latest|newest|oldest)\s+(\d+)\b", lower) or re.search(
        r"\b(\d+)\s+(?:\w+\s+)?(?:leads|rows|results|people|contacts)\b", lower
    )
    order = "oldest" if re.search(r"\b(?:oldest|earliest)\b", lower) else "newest"
    return {"filters": filters, "limit": int(limit.group(1)) if limit else 20, "order": order}


def _dates(lower: str, today: date, add: Callable[[str, str, str], None]) -> None:
    days = {"last week": 7, "past week": 7, "this week": 7, "last month": 30, "past month": 30, "this month": 30}
    if re.search(r"\btoday\b", lower):
        add("created_at", "gte", today.isoformat())
        return
    if re.search(r"\byesterday\b", lower):
        day = (today - timedelta(days=1)).isoformat()
        add("created_at", "gte", day)
        add("created_at", "lte", day)
        return
    recent = re.search(r"\b(?:last|past) (\d+) days\b", lower)
    if recent:
        add("created_at", "gte", (today - timedelta(days=int(recent.group(1)))).isoformat())
        return
    for phrase, count in days.items():
        if phrase in lower:
            add("created_at", "gte", (today - timedelta(days=count)).isoformat())
            return
    since = re.search(r"\b(?:since|after|from) (\d{4}-\d{2}-\d{2})\b", lower)
    if since:
        add("created_at", "gte", since.group(1))
    before = re.search(r"\b(?:before|until|up to) (\d{4}-\d{2}-\d{2})\b", lower)
    if before:
        add("created_at", "lte", before.group(1))


def main() -> None:
    parser = argparse.ArgumentParser(description="Run the fake OpenAI-compatible LLM provider on 127.0.0.1.")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--api-key", default=DEFAULT_API_KEY)
    args = parser.parse_args()
    fake = FakeLlm(args.api_key, port=args.port).start()
    print(f"fake LLM at {fake.url} (LLM_BASE_URL), key {args.api_key!r} (LLM_API_KEY); Ctrl-C stops it", flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        fake.stop()


if __name__ == "__main__":
    main()
