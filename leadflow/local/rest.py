"""A real HTTP server on 127.0.0.1 that behaves as the API Gateway REST API of the stacks.

It serves `/{stage}/...` like the deployed API, runs the TOKEN authorizer (401 when the header
is missing or the token unknown, with the same result cache), builds Lambda proxy events with
the authorizer's context, and turns proxy responses back into HTTP. As with `binaryMediaTypes:
*/*`, request bodies reach handlers base64-encoded.

It enforces API Gateway's and Lambda's limits (`leadflow.local.limits`, AWS's values by default),
answering as a deployed API was seen to answer:
- a request body over 10 MB: 413, `HTTP content length exceeded 10485760 bytes.` (text), no function runs;
- a proxy event over Lambda's 6 MB invocation payload (the body base64-encoded in it): 413
  `{"message": "Request Too Long"}`, no function runs;
- an integration that has not answered within 29 s: 504 `{"message": "Endpoint request timed out"}`
  (the function runs on, as on AWS);
- a function that fails (an error, its own timeout, a response over Lambda's 6 MB): 502
  `{"message": "Internal server error"}`.
- past the method's throttle (a token bucket, `leadflow.local.throttle`): 429
  `{"message":"Too Many Requests"}` before the authorizer or the function runs.
"""

from __future__ import annotations

import base64
import json
import re
import threading
import time
import uuid
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from leadflow.local import limits as local_limits
from leadflow.local.lambda_runtime import Invoker, event_bytes
from leadflow.local.throttle import TOO_MANY_REQUESTS, TokenBucket
from shared.core.cors import CORS
from shared.core.scopes import policy_allows

#: API Gateway's own limit on a request payload
MAX_REQUEST_BYTES = local_limits.REST_PAYLOAD_BYTES
#: Lambda's limit on a synchronous invocation's payload: the proxy event, its body base64-encoded
MAX_EVENT_BYTES = local_limits.LAMBDA_SYNC_REQUEST_BYTES
#: a refused body is read (and dropped) up to this size, so that the client reads the 413 instead of
#: a connection reset; a larger one is cut off with the connection
_DRAIN_BYTES = 8 * MAX_REQUEST_BYTES
_DRAIN_CHUNK = 1024 * 1024
#: as the stacks' preflights and gateway responses answer, from the one CORS declaration
CORS_HEADERS = {
    "Access-Control-Allow-Origin": CORS.allow_origin,
    "Access-Control-Allow-Headers": ",".join(CORS.allow_headers),
    "Access-Control-Allow-Methods": "GET,POST,PUT,PATCH,DELETE,OPTIONS",
    "Access-Control-Max-Age": str(CORS.max_age_s),
}


@dataclass(frozen=True)
class LocalRoute:
    method: str
    path: str  # /jobs/{job_id}
    invoker: Invoker
    #: "none": no authorizer runs (a public method such as Twilio's webhook)
    auth: str = "token"
    #: the method's throttle (the stage's limits or the route's own); None: not throttled
    bucket: TokenBucket | None = None

    @property
    def pattern(self) -> re.Pattern[str]:
        regex = re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/]+)", re.escape(self.path))
        return re.compile(f"^{regex}$")


class _Server(ThreadingHTTPServer):
    #: API Gateway takes many connections at once; socketserver's listen backlog of 5 resets a burst
    request_queue_size = 128


class RestGateway:
    def __init__(
        self,
        *,
        routes: list[LocalRoute],
        authorizer: Invoker,
        stage: str,
        account: str,
        region: str,
        cache_ttl_s: int,
        port: int = 0,
        integration_timeout_s: float | None = None,
    ) -> None:
        self.routes = routes
        #: API Gateway stops waiting for the integration after this (AWS: 29 s)
        self.integration_timeout_s = integration_timeout_s or local_limits.rest_integration_timeout_s()
        self.authorizer = authorizer
        self.stage = stage
        self.account = account
        self.region = region
        self.cache_ttl_s = cache_ttl_s
        self._cache: dict[str, tuple[float, dict[str, Any]]] = {}
        self._cache_lock = threading.Lock()
        gateway = self

        class _Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True  # head and body are two writes: no wait for the ACK between

            def log_message(self, format: str, *args: Any) -> None:  # quiet: the handlers log
                return

            def _any(self) -> None:
                gateway.handle(self)

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_OPTIONS = _any

        self.server = _Server(("127.0.0.1", port), _Handler)
        self.server.daemon_threads = True
        self.port = int(self.server.server_address[1])
        self.url = f"http://127.0.0.1:{self.port}/{stage}"
        self._thread = threading.Thread(target=self.server.serve_forever, name="rest-gateway", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    # ------------------------------------------------------------------ request handling

    @staticmethod
    def _send(req: BaseHTTPRequestHandler, status: int, body: bytes, headers: dict[str, str]) -> None:
        req.send_response(status)
        for k, v in {**CORS_HEADERS, **headers}.items():
            req.send_header(k, v)
        req.send_header("Content-Length", str(len(body)))
        req.end_headers()
        if req.command != "HEAD":
            req.wfile.write(body)

    def _json(self, req: BaseHTTPRequestHandler, status: int, payload: dict[str, Any]) -> None:
        self._send(req, status, json.dumps(payload).encode(), {"Content-Type": "application/json"})

    def handle(self, req: BaseHTTPRequestHandler) -> None:
        url = urlsplit(req.path)
        prefix = f"/{self.stage}"
        length = int(req.headers.get("Content-Length") or 0)
        if length > MAX_REQUEST_BYTES:
            # API Gateway's REQUEST_TOO_LARGE (413, not customizable, and not JSON); no function runs
            self._drain(req, length)
            text = f"HTTP content length exceeded {MAX_REQUEST_BYTES} bytes."
            # said in a header, not only done: a client that kept the connection for its next request
            # would find it closed ("server disconnected")
            self._send(req, 413, text.encode(), {"Content-Type": "text; charset=utf-8", "Connection": "close"})
            return
        body = req.rfile.read(length) if length else b""
        if req.command == "OPTIONS":
            self._send(req, 204, b"", {})
            return
        if not (url.path == prefix or url.path.startswith(prefix + "/")):
            self._json(req, 404, {"message": f"Not Found: the API lives under /{self.stage}"})
            return
        path = url.path[len(prefix) :] or "/"
        match = None
        for route in self.routes:
            m = route.pattern.match(path)
            if m and route.method == req.command:
                match = (route, m.groupdict())
                break
        if match is None:
            self._json(req, 404, {"message": "Not Found"})
            return
        route, params = match
        if route.bucket is not None and not route.bucket.take():
            self._json(req, 429, TOO_MANY_REQUESTS)
            return
        if route.auth == "none":
            self._reply_to(req, route, path, params, url.query, body, {})
            return
        header = req.headers.get("Authorization")
        if not header:
            self._json(req, 401, {"message": "Unauthorized"})
            return
        # as on AWS, the methodArn carries the path as called (`GET/jobs/j_123`), not the resource
        # template: the cached policy must match it with IAM's wildcards
        method_arn = f"arn:aws:execute-api:{self.region}:{self.account}:local/{self.stage}/{req.command}{path}"
        policy = self._authorize(header, method_arn)
        if policy is None:
            self._json(req, 401, {"message": "Unauthorized"})
            return
        if not policy_allows(policy.get("policyDocument", {}).get("Statement", []), method_arn):
            self._json(req, 403, {"message": "User is not authorized to access this resource"})
            return
        self._reply_to(req, route, path, params, url.query, body, policy)

    def _reply_to(
        self,
        req: BaseHTTPRequestHandler,
        route: LocalRoute,
        path: str,
        params: dict[str, str],
        query: str,
        body: bytes,
        policy: dict[str, Any],
    ) -> None:
        event = self._event(req, route, path, params, query, body, policy)
        if event_bytes(event) > MAX_EVENT_BYTES:
            # Lambda refuses the invocation (RequestEntityTooLargeException); API Gateway answers 413
            self._json(req, 413, {"message": "Request Too Long"})
            return
        outcome: dict[str, Any] = {}
        done = threading.Event()

        def integrate() -> None:
            try:
                outcome["response"] = route.invoker(event)
            except Exception as exc:  # a function error, its own timeout, a response over 6 MB
                outcome["error"] = exc
            finally:
                done.set()

        threading.Thread(target=integrate, name=f"integration {route.method} {route.path}", daemon=True).start()
        if not done.wait(self.integration_timeout_s):
            # API Gateway's INTEGRATION_TIMEOUT; the function goes on to its end (or its own timeout)
            self._json(req, 504, {"message": "Endpoint request timed out"})
            return
        if "error" in outcome:
            self._json(req, 502, {"message": "Internal server error"})
            return
        self._reply(req, outcome["response"])

    @staticmethod
    def _drain(req: BaseHTTPRequestHandler, length: int) -> None:
        left = min(length, _DRAIN_BYTES)
        while left > 0:
            chunk = req.rfile.read(min(left, _DRAIN_CHUNK))
            if not chunk:
                return
            left -= len(chunk)

    def set_cache_ttl(self, seconds: int) -> None:
        """A new authorizer cache TTL (tests shorten it); entries cached before keep their own expiry."""
        self.cache_ttl_s = seconds

    def _authorize(self, header: str, method_arn: str) -> dict[str, Any] | None:
        now = time.monotonic()
        with self._cache_lock:
            hit = self._cache.get(header)
            if hit and hit[0] > now:
                return hit[1]
        event = {"type": "TOKEN", "authorizationToken": header, "methodArn": method_arn}
        try:
            policy: dict[str, Any] = self.authorizer(event)
        except Exception:
            return None
        with self._cache_lock:
            self._cache[header] = (now + self.cache_ttl_s, policy)
        return policy

    def _event(
        self,
        req: BaseHTTPRequestHandler,
        route: LocalRoute,
        path: str,
        params: dict[str, str],
        query: str,
        body: bytes,
        policy: dict[str, Any],
    ) -> dict[str, Any]:
        headers: dict[str, str] = {}
        multi_headers: dict[str, list[str]] = {}
        for k, v in req.headers.items():
            headers[k] = v
            multi_headers.setdefault(k, []).append(v)
        multi_query = parse_qs(query, keep_blank_values=True)
        now = time.time()
        return {
            "resource": route.path,
            "path": path,
            "httpMethod": req.command,
            "headers": headers,
            "multiValueHeaders": multi_headers,
            "queryStringParameters": {k: v[-1] for k, v in multi_query.items()} or None,
            "multiValueQueryStringParameters": multi_query or None,
            "pathParameters": params or None,
            "stageVariables": None,
            "requestContext": {
                "resourceId": "local",
                "resourcePath": route.path,
                "httpMethod": req.command,
                "requestId": str(uuid.uuid4()),
                "extendedRequestId": str(uuid.uuid4()),
                "requestTime": time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(now)),
                "requestTimeEpoch": int(now * 1000),
                "path": f"/{self.stage}{path}",
                "accountId": self.account,
                "protocol": "HTTP/1.1",
                "stage": self.stage,
                "domainPrefix": "127",
                "domainName": req.headers.get("Host", "127.0.0.1"),
                "apiId": "local",
                "identity": {"sourceIp": req.client_address[0], "userAgent": req.headers.get("User-Agent")},
                "authorizer": {"principalId": policy.get("principalId"), **(policy.get("context") or {})},
            },
            "body": base64.b64encode(body).decode() if body else None,
            "isBase64Encoded": bool(body),
        }

    def _reply(self, req: BaseHTTPRequestHandler, response: dict[str, Any]) -> None:
        status = int(response.get("statusCode", 200))
        raw = response.get("body") or ""
        data = base64.b64decode(raw) if response.get("isBase64Encoded") else str(raw).encode()
        headers = {k: str(v) for k, v in (response.get("headers") or {}).items()}
        for k, values in (response.get("multiValueHeaders") or {}).items():
            headers[k] = ", ".join(str(v) for v in values)
        self._send(req, status, data, headers)
