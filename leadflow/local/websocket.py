"""A real WebSocket server on 127.0.0.1 that behaves as the API Gateway WebSocket API of the stacks.

- `ws://127.0.0.1:<port>/<stage>?token=...`: the REQUEST authorizer runs on `$connect` (401 when the
  identity source is missing or the token unknown, 403 on a Deny), then the `$connect` route; a
  non-2xx answer refuses the handshake.
- Messages are routed by `$request.body.action` (else `$default`) and reach the functions as API
  Gateway WebSocket events (`requestContext.connectionId`, `routeKey`, `eventType`, `messageId`,
  `domainName`, `stage`, `connectedAt`, `identity.sourceIp`, the authorizer's context). A route
  with a route response sends the function's `body` back to the caller.
- Closing sends `$disconnect` with `disconnectStatusCode` and `disconnectReason`.
- As on AWS, a connection that carried no message (either way) for the idle limit is closed, and
  every connection at its maximum lifetime (`leadflow.local.limits`: 10 min and 2 h unless shortened
  for tests). Protocol-level ping frames are answered but are not activity: API Gateway only counts
  messages. The gateway sends close code 1001, delivers `$disconnect`, and `@connections` answers
  410 for the connection from that moment.
- The `@connections` management API is served on its own port: POST sends, GET describes,
  DELETE closes; an unknown connection is `410 Gone` (`GoneException`), which moto never answers.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import os
import secrets
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.exceptions import ConnectionClosed
from websockets.http11 import Request, Response

from leadflow import wiring
from leadflow.config import StageConfig
from leadflow.local.limits import WS_MAX_FRAME_BYTES, WS_MAX_MESSAGE_BYTES, ConnectionLimits

Invoke = Callable[[dict[str, Any]], Any]
MAX_MESSAGE_BYTES = WS_MAX_MESSAGE_BYTES
API_ID = "local"
#: the close API Gateway is reported to send at its idle and lifetime limits (it documents the limits,
#: not the code); $disconnect carries the same code and reason
LIMIT_CLOSE_CODE = 1001
LIMIT_CLOSE_REASON = "Going away"


def local_websocket_routes(config: StageConfig) -> dict[str, tuple[str, bool]]:
    """Route key -> (function name, route response), as the local gateway serves them."""
    return {t.route_key: (config.name(fn.key), t.reply) for t, fn in wiring.websocket_routes()}


def _now_ms() -> int:
    return int(time.time() * 1000)


def _http_date(ms: int) -> str:
    return time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(ms / 1000))


def _new_connection_id() -> str:
    # API Gateway's ids are 12 base64 characters ending in '='
    return base64.b64encode(secrets.token_bytes(8)).decode()[:11] + "="


@dataclass
class _Connection:
    connection_id: str
    connected_at: int
    source_ip: str
    user_agent: str | None
    authorizer: dict[str, Any]
    socket: ServerConnection | None = None
    last_active: int = field(default_factory=_now_ms)
    #: (code, reason) when the gateway closed it (a limit), for $disconnect
    closed_by_gateway: tuple[int, str] | None = None


class WebSocketGateway:
    def __init__(
        self,
        *,
        routes: dict[str, tuple[Invoke, bool]],
        authorizer: Invoke | None,
        identity_query: str,
        stage: str,
        account: str,
        region: str,
        port: int = 0,
        workers: int = 32,
        on_error: Callable[[BaseException], None] | None = None,
        limits: ConnectionLimits | None = None,
    ) -> None:
        self.routes = routes
        self.limits = limits or ConnectionLimits()
        self._sweeper: asyncio.Task[None] | None = None
        self.authorizer = authorizer
        self.identity_query = identity_query
        self.stage = stage
        self.account = account
        self.region = region
        self.on_error = on_error
        self._connections: dict[str, _Connection] = {}
        self._pending: dict[int, _Connection] = {}  # handshake -> connection, until the socket opens
        self._lock = threading.Lock()
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="ws-invoke")
        self._loop = asyncio.new_event_loop()
        self._server: Server | None = None
        self._thread = threading.Thread(target=self._loop.run_forever, name="websocket-gateway", daemon=True)
        self._requested_port = port
        self.port = 0
        #: connections closed at each limit (idle, lifetime), for tests and the runtime's log
        self.closed_at_limit: dict[str, int] = {"idle": 0, "lifetime": 0}
        gateway = self

        class _Management(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True  # head and body are two writes: no wait for the ACK between

            def log_message(self, format: str, *args: Any) -> None:
                return

            def _any(self) -> None:
                gateway._management(self)

            do_GET = do_POST = do_DELETE = _any

        self._management_server = ThreadingHTTPServer(("127.0.0.1", 0), _Management)
        self._management_server.daemon_threads = True
        self.management_port = int(self._management_server.server_address[1])
        self._management_thread = threading.Thread(
            target=self._management_server.serve_forever, name="websocket-connections-api", daemon=True
        )

    # ------------------------------------------------------------------ lifecycle

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/{self.stage}"

    @property
    def management_endpoint(self) -> str:
        """What the functions' `apigatewaymanagementapi` client uses (`https://{domain}/{stage}` on AWS)."""
        return f"http://127.0.0.1:{self.management_port}/{self.stage}"

    def start(self) -> None:
        self._management_thread.start()
        self._thread.start()
        self._server = asyncio.run_coroutine_threadsafe(self._serve(), self._loop).result(timeout=10)
        self.port = int(self._server.sockets[0].getsockname()[1])

    def set_limits(self, limits: ConnectionLimits) -> None:
        """New idle and lifetime limits; they apply to open connections from the next sweep."""
        self.limits = limits

    async def _sweep(self) -> None:
        """Close connections past the idle or lifetime limit (the emulator's own clock, not a product poll)."""
        while True:
            limits = self.limits
            # a tenth of the shorter limit: a 1 s idle limit is enforced within 0.1 s
            await asyncio.sleep(max(0.05, min(1.0, min(limits.idle_s, limits.lifetime_s) / 10)))
            now = _now_ms()
            with self._lock:
                connections = list(self._connections.values())
            for conn in connections:
                if now - conn.connected_at >= self.limits.lifetime_s * 1000:
                    self._close_at_limit(conn, "lifetime")
                elif now - conn.last_active >= self.limits.idle_s * 1000:
                    self._close_at_limit(conn, "idle")

    def _close_at_limit(self, conn: _Connection, which: str) -> None:
        # gone for @connections at once, as on AWS: the close handshake may take a while
        with self._lock:
            if self._connections.pop(conn.connection_id, None) is None:
                return
        conn.closed_by_gateway = (LIMIT_CLOSE_CODE, LIMIT_CLOSE_REASON)
        if conn.socket is not None:
            self._loop.create_task(conn.socket.close(LIMIT_CLOSE_CODE, LIMIT_CLOSE_REASON))
        self.closed_at_limit[which] += 1

    async def _serve(self) -> Server:
        self._sweeper = asyncio.get_running_loop().create_task(self._sweep())
        return await serve(
            self._handle,
            "127.0.0.1",
            self._requested_port,
            process_request=self._process_request,
            # a message of up to 128 KB, in frames of up to 32 KB each: a larger one closes the connection (1009)
            max_size=(MAX_MESSAGE_BYTES, WS_MAX_FRAME_BYTES),
            ping_interval=None,
        )

    def stop(self) -> None:
        if self._server is not None:
            server = self._server

            async def close() -> None:
                if self._sweeper is not None:
                    self._sweeper.cancel()
                server.close(close_connections=True)
                await server.wait_closed()

            try:
                asyncio.run_coroutine_threadsafe(close(), self._loop).result(timeout=10)
            except Exception as exc:  # closing at shutdown: report, never hang
                self._report(exc)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=5)
        self._management_server.shutdown()
        self._management_server.server_close()
        self._pool.shutdown(wait=False, cancel_futures=True)

    def connection_ids(self) -> list[str]:
        with self._lock:
            return list(self._connections)

    def _report(self, exc: BaseException) -> None:
        if self.on_error:
            self.on_error(exc)

    async def _invoke(self, invoke: Invoke, event: dict[str, Any]) -> Any:
        return await self._loop.run_in_executor(self._pool, invoke, event)

    # ------------------------------------------------------------------ events

    def _request_context(self, conn: _Connection, route_key: str, event_type: str, host: str) -> dict[str, Any]:
        now = _now_ms()
        context: dict[str, Any] = {
            "routeKey": route_key,
            "eventType": event_type,
            "extendedRequestId": uuid.uuid4().hex[:16] + "=",
            "requestTime": _http_date(now),
            "messageDirection": "IN",
            "stage": self.stage,
            "connectedAt": conn.connected_at,
            "requestTimeEpoch": now,
            "identity": {"sourceIp": conn.source_ip, "userAgent": conn.user_agent},
            "requestId": uuid.uuid4().hex[:16] + "=",
            "domainName": host,
            "connectionId": conn.connection_id,
            "apiId": API_ID,
        }
        if conn.authorizer:
            context["authorizer"] = conn.authorizer
        return context

    async def _process_request(self, connection: ServerConnection, request: Request) -> Response | None:
        url = urlsplit(request.path)
        if url.path.rstrip("/") != f"/{self.stage}":
            return connection.respond(HTTPStatus.NOT_FOUND, f"Not Found: the WebSocket API lives at /{self.stage}\n")
        multi_query = parse_qs(url.query, keep_blank_values=True)
        query = {k: v[-1] for k, v in multi_query.items()}
        headers = {k: v for k, v in request.headers.raw_items()}
        multi_headers: dict[str, list[str]] = {}
        for k, v in request.headers.raw_items():
            multi_headers.setdefault(k, []).append(v)
        peer = connection.remote_address
        conn = _Connection(
            connection_id=_new_connection_id(),
            connected_at=_now_ms(),
            source_ip=str(peer[0]) if peer else "127.0.0.1",
            user_agent=request.headers.get("User-Agent"),
            authorizer={},
        )
        host = request.headers.get("Host", f"127.0.0.1:{self.port}")
        context = self._request_context(conn, "$connect", "CONNECT", host)
        if self.authorizer is not None:
            if not query.get(self.identity_query):
                return connection.respond(HTTPStatus.UNAUTHORIZED, "Unauthorized\n")
            event = {
                "type": "REQUEST",
                "methodArn": f"arn:aws:execute-api:{self.region}:{self.account}:{API_ID}/{self.stage}/$connect",
                "headers": headers,
                "multiValueHeaders": multi_headers,
                "queryStringParameters": query,
                "multiValueQueryStringParameters": multi_query,
                "stageVariables": {},
                "requestContext": context,
            }
            try:
                policy: dict[str, Any] = await self._invoke(self.authorizer, event)
            except Exception:
                return connection.respond(HTTPStatus.UNAUTHORIZED, "Unauthorized\n")
            if not _allows(policy):
                return connection.respond(HTTPStatus.FORBIDDEN, "Forbidden\n")
            conn.authorizer = {"principalId": policy.get("principalId"), **(policy.get("context") or {})}
            context["authorizer"] = conn.authorizer
        route = self.routes.get("$connect")
        if route is not None:
            event = {
                "headers": headers,
                "multiValueHeaders": multi_headers,
                "queryStringParameters": query or None,
                "multiValueQueryStringParameters": multi_query or None,
                "requestContext": context,
                "isBase64Encoded": False,
            }
            try:
                response = await self._invoke(route[0], event)
            except Exception as exc:
                self._report(exc)
                return connection.respond(HTTPStatus.INTERNAL_SERVER_ERROR, "Internal server error\n")
            status = int((response or {}).get("statusCode", 200))
            if status >= 300:
                return connection.respond(HTTPStatus(status), f"{HTTPStatus(status).phrase}\n")
        with self._lock:
            self._pending[id(connection)] = conn
        return None

    async def _handle(self, socket: ServerConnection) -> None:
        with self._lock:
            conn = self._pending.pop(id(socket))
            conn.socket = socket
            self._connections[conn.connection_id] = conn
        host = socket.request.headers.get("Host", "127.0.0.1") if socket.request else "127.0.0.1"
        try:
            async for frame in socket:
                conn.last_active = _now_ms()
                await self._message(conn, frame, host)
        except ConnectionClosed:
            pass
        finally:
            with self._lock:
                self._connections.pop(conn.connection_id, None)
            code = socket.close_code if socket.close_code is not None else 1006
            reason = socket.close_reason or ""
            if conn.closed_by_gateway is not None:
                code, reason = conn.closed_by_gateway
            route = self.routes.get("$disconnect")
            if route is not None:
                context = self._request_context(conn, "$disconnect", "DISCONNECT", host)
                context.update({"disconnectStatusCode": code, "disconnectReason": reason})
                event = {
                    "headers": {"Host": host, "X-Forwarded-For": conn.source_ip},
                    "multiValueHeaders": {"Host": [host], "X-Forwarded-For": [conn.source_ip]},
                    "requestContext": context,
                    "isBase64Encoded": False,
                }
                try:
                    await self._invoke(route[0], event)
                except Exception as exc:
                    self._report(exc)

    async def _message(self, conn: _Connection, frame: str | bytes, host: str) -> None:
        binary = isinstance(frame, bytes)
        text = base64.b64encode(frame).decode() if isinstance(frame, bytes) else frame
        action = None
        if not binary:
            try:
                parsed = json.loads(text)
                if isinstance(parsed, dict) and isinstance(parsed.get("action"), str):
                    action = parsed["action"]
            except ValueError:
                pass
        route_key = action if action in self.routes and not str(action).startswith("$") else "$default"
        route = self.routes.get(route_key)
        context = self._request_context(conn, route_key, "MESSAGE", host)
        context["messageId"] = uuid.uuid4().hex[:16] + "="
        if route is None:
            # what API Gateway answers when no route matches and there is no $default
            reply = {"message": "Forbidden", "connectionId": conn.connection_id, "requestId": context["requestId"]}
            await self._send(conn, json.dumps(reply))
            return
        event = {"requestContext": context, "body": text, "isBase64Encoded": binary}
        try:
            response = await self._invoke(route[0], event)
        except Exception as exc:
            self._report(exc)
            reply = {"message": "Internal server error", "connectionId": conn.connection_id}
            await self._send(conn, json.dumps(reply))
            return
        if route[1] and isinstance(response, dict) and response.get("body") is not None:
            body = response["body"]
            if response.get("isBase64Encoded"):
                body = base64.b64decode(body).decode()
            await self._send(conn, str(body))

    @staticmethod
    async def _send(conn: _Connection, data: str) -> None:
        if conn.socket is None:
            return
        with contextlib.suppress(ConnectionClosed):
            await conn.socket.send(data)
            conn.last_active = _now_ms()  # API Gateway's idle timer counts messages either way

    # ------------------------------------------------------------------ the @connections API

    def _management(self, req: BaseHTTPRequestHandler) -> None:
        path = urlsplit(req.path).path
        prefix = f"/{self.stage}/@connections/"
        length = int(req.headers.get("Content-Length") or 0)
        data = req.rfile.read(length) if length else b""
        if not path.startswith(prefix):
            self._answer(req, 404, {"message": "Not Found"})
            return
        connection_id = unquote(path[len(prefix) :])
        with self._lock:
            conn = self._connections.get(connection_id)
        if conn is None or conn.socket is None:
            self._answer(req, 410, {"message": None}, error="GoneException")
            return
        socket = conn.socket
        if req.command == "GET":
            self._answer(
                req,
                200,
                {
                    "connectedAt": _iso(conn.connected_at),
                    "identity": {"sourceIp": conn.source_ip, "userAgent": conn.user_agent},
                    "lastActiveAt": _iso(conn.last_active),
                },
            )
            return
        if req.command == "DELETE":
            asyncio.run_coroutine_threadsafe(socket.close(1000, "deleted through @connections"), self._loop)
            self._answer(req, 204, None)
            return
        if len(data) > MAX_MESSAGE_BYTES:
            self._answer(req, 413, {"message": "Message too long"}, error="PayloadTooLargeException")
            return
        try:
            text = data.decode()
            payload: str | bytes = text
        except UnicodeDecodeError:
            payload = data
        future = asyncio.run_coroutine_threadsafe(socket.send(payload), self._loop)
        try:
            future.result(timeout=10)
        except ConnectionClosed:
            self._answer(req, 410, {"message": None}, error="GoneException")
            return
        conn.last_active = _now_ms()
        self._answer(req, 200, None)

    @staticmethod
    def _answer(req: BaseHTTPRequestHandler, status: int, body: Any, *, error: str | None = None) -> None:
        raw = b"" if body is None else json.dumps(body).encode()
        req.send_response(status)
        req.send_header("Content-Type", "application/json")
        req.send_header("x-amzn-RequestId", str(uuid.uuid4()))
        if error:
            req.send_header("x-amzn-ErrorType", error)
        req.send_header("Content-Length", str(len(raw)))
        req.end_headers()
        req.wfile.write(raw)


def _iso(ms: int) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(ms / 1000)) + f".{ms % 1000:03d}Z"


def _allows(policy: dict[str, Any]) -> bool:
    allowed = False
    for statement in policy.get("policyDocument", {}).get("Statement", []):
        if statement.get("Effect") == "Deny":
            return False
        if statement.get("Effect") == "Allow":
            allowed = True
    return allowed


def gateway_for(
    config: StageConfig,
    invoker_for: Callable[[str], Invoke],
    *,
    account: str,
    port: int = 0,
    on_error: Callable[[BaseException], None] | None = None,
    limits: ConnectionLimits | None = None,
) -> WebSocketGateway | None:
    """The gateway for what `wiring` declares, or None when no function has a WebSocket route."""
    routes = {t.route_key: (invoker_for(fn.key), t.reply) for t, fn in wiring.websocket_routes()}
    if not routes:
        return None
    declared = wiring.websocket_authorizer()
    return WebSocketGateway(
        routes=routes,
        authorizer=invoker_for(declared[1].key) if declared else None,
        identity_query=declared[0].query_parameter if declared else "",
        stage=config.stage,
        account=account,
        region=config.region,
        port=port or int(os.environ.get("LEADFLOW_WS_PORT", "0")),
        on_error=on_error,
        limits=limits or ConnectionLimits.from_env(),
    )
