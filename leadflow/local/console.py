"""The browser console's static files on 127.0.0.1, as CloudFront serves them from S3 when deployed.

A tiny HTTP server, separate from the REST gateway (which serves only the API under `/{stage}`):
GET or HEAD of a file in `web/`, `/` for `index.html`, and `config.json` generated from the running
runtime's URLs, the same keys the assignment stack deploys next to the page; `config.rest.json`, which
the ingestion stack deploys with its REST URL, is served too (the page reads it only when config.json
names no REST URL, so locally it is never needed, but it is there as it is deployed). Only files inside
`web/` are served; the security headers match the deployed response headers policy. The page may
also connect to `extra_origins`: locally the S3 endpoint that presigned upload forms are posted to.
"""

from __future__ import annotations

import json
import mimetypes
import threading
from collections.abc import Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

#: the console's files, next to the package in the source tree
WEB_ROOT = Path(__file__).resolve().parents[2] / "web"
CONFIG_FILE = "config.json"
REST_CONFIG_FILE = "config.rest.json"
TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".json": "application/json",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".ico": "image/x-icon",
}


def console_config(rest_url: str | None, websocket_url: str | None) -> dict[str, Any]:
    """`config.json`: where the page finds the APIs (the stack writes the same keys)."""
    return {"restUrl": rest_url, "websocketUrl": websocket_url}


def security_headers(connect_src: str) -> dict[str, str]:
    return {
        "Content-Security-Policy": (
            "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
            f"connect-src 'self' {connect_src}; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
        ),
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "no-referrer",
        "X-Frame-Options": "DENY",
    }


class ConsoleServer:
    def __init__(
        self,
        config: Mapping[str, Any],
        *,
        root: Path = WEB_ROOT,
        port: int = 0,
        extra_origins: tuple[str, ...] = (),
    ) -> None:
        self.root = root.resolve()
        self.config_body = json.dumps(dict(config)).encode()
        self.rest_config_body = json.dumps({"restUrl": config.get("restUrl")}).encode()
        urls = [urlsplit(u) for u in [*config.values(), *extra_origins] if isinstance(u, str) and u]
        origins = " ".join(f"{u.scheme}://{u.netloc}" for u in urls)
        self.headers = {**security_headers(origins), "Cache-Control": "no-store"}
        console = self

        class _Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True  # head and body are two writes: no wait for the ACK between

            def log_message(self, format: str, *args: Any) -> None:
                return

            def do_GET(self) -> None:
                console.handle(self)

            do_HEAD = do_GET

        self.server = ThreadingHTTPServer(("127.0.0.1", port), _Handler)
        self.server.daemon_threads = True
        self.port = int(self.server.server_address[1])
        self.url = f"http://127.0.0.1:{self.port}/"
        self._thread = threading.Thread(target=self.server.serve_forever, name="console", daemon=True)

    def start(self) -> ConsoleServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def file_for(self, url_path: str) -> Path | None:
        name = unquote(urlsplit(url_path).path).lstrip("/") or "index.html"
        path = (self.root / name).resolve()
        if not path.is_relative_to(self.root) or not path.is_file() or path.name.startswith("."):
            return None
        return path

    def handle(self, req: BaseHTTPRequestHandler) -> None:
        name = unquote(urlsplit(req.path).path).lstrip("/")
        if name in (CONFIG_FILE, REST_CONFIG_FILE):
            body = self.config_body if name == CONFIG_FILE else self.rest_config_body
            self._send(req, 200, body, "application/json")
            return
        path = self.file_for(req.path)
        if path is None:
            self._send(req, 404, b"not found\n", "text/plain; charset=utf-8")
            return
        kind = TYPES.get(path.suffix) or mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        self._send(req, 200, path.read_bytes(), kind)

    def _send(self, req: BaseHTTPRequestHandler, status: int, body: bytes, kind: str) -> None:
        req.send_response(status)
        for k, v in {**self.headers, "Content-Type": kind}.items():
            req.send_header(k, v)
        req.send_header("Content-Length", str(len(body)))
        req.end_headers()
        if req.command != "HEAD":
            req.wfile.write(body)
