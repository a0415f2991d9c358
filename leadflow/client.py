"""A small client of the Leadflow REST API, used by the CLI, the demo and the tests.

It finds the API and token from arguments, then `LEADFLOW_API` / `LEADFLOW_TOKEN`, then the
`.leadflow/local.json` that `leadflow dev` writes.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

LOCAL_STATE = Path(".leadflow") / "local.json"
FINAL = {"completed", "failed", "cancelled"}
#: direct uploads up to this size; larger files go through a presigned POST
DIRECT_LIMIT = 4 * 1024 * 1024


#: the header an answer carries when its JSON is a link to the real answer in S3 (`shared.core.responses`)
LINK_HEADER = "X-Body-Link"
#: fetching a linked answer (several MB) may take longer than one API call
LINK_TIMEOUT_S = 300.0

#: seconds to wait for the API to connect or answer one request, unless `--timeout` / LEADFLOW_TIMEOUT say otherwise
DEFAULT_TIMEOUT = 30.0


class ApiError(Exception):
    """The API answered with an error status (`status`), or could not be asked at all (`status` 0)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(f"{status}: {message}")
        self.status = status
        self.message = message


class MissingApi(ApiError):
    """No API URL given, in the environment, or from a running `leadflow dev`."""

    def __init__(self, message: str) -> None:
        super().__init__(0, message)


class MissingToken(ApiError):
    """No bearer token given, in the environment, or from a running `leadflow dev`."""

    def __init__(self, message: str) -> None:
        super().__init__(0, message)


@dataclass
class Connection:
    api: str
    token: str | None


def resolve_connection(api: str | None = None, token: str | None = None) -> Connection:
    state: dict[str, Any] = {}
    if LOCAL_STATE.exists():
        state = json.loads(LOCAL_STATE.read_text())
    api = api or os.environ.get("LEADFLOW_API") or state.get("rest_url")
    token = token or os.environ.get("LEADFLOW_TOKEN") or state.get("admin_token")
    if not api:
        raise MissingApi("no API: start `leadflow dev`, or pass --api URL / set LEADFLOW_API")
    return Connection(api.rstrip("/"), token)


def open_client(api: str | None, token: str | None, *, timeout: float = DEFAULT_TIMEOUT) -> LeadflowClient:
    """A client for the resolved API; refuses early when there is no token to send."""
    conn = resolve_connection(api, token)
    if not conn.token:
        raise MissingToken("no token: pass --token, set LEADFLOW_TOKEN, or run `leadflow dev` for a local one")
    return LeadflowClient(conn.api, conn.token, timeout=timeout)


class LeadflowClient:
    def __init__(self, api: str, token: str | None, *, timeout: float = DEFAULT_TIMEOUT) -> None:
        self.api = api.rstrip("/")
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        self.http = httpx.Client(base_url=self.api, headers=headers, timeout=timeout)

    def close(self) -> None:
        self.http.close()

    def _check(self, response: httpx.Response) -> Any:
        if response.status_code >= 400:
            try:
                body = response.json()
            except ValueError:
                body = None
            message = body.get("message") if isinstance(body, dict) else None
            raise ApiError(response.status_code, str(message or response.text[:300] or response.reason_phrase))
        if not response.content:
            return None
        try:
            data = response.json()
        except ValueError:
            # e.g. --api pointing at some other web server
            raise ApiError(response.status_code, f"{response.url} answered, but not with JSON") from None
        if response.headers.get(LINK_HEADER) == "1" and isinstance(data, dict) and "body_url" in data:
            return self._follow(data)
        return data

    def _follow(self, link: dict[str, Any]) -> Any:
        """An answer too large for Lambda waits in S3: fetch it (a presigned GET, so without the token)."""
        try:
            response = httpx.get(link["body_url"], timeout=max(self.http.timeout.read or 0, LINK_TIMEOUT_S))
        except httpx.HTTPError as exc:
            raise ApiError(0, f"the answer was too large to send and its link could not be fetched: {exc}") from None
        if response.status_code >= 400:
            raise ApiError(
                response.status_code,
                f"the answer was too large to send and its link failed (expires {link.get('expires_at')})",
            )
        try:
            return response.json()
        except ValueError:
            raise ApiError(response.status_code, "the linked answer is not JSON") from None

    def upload(self, path: Path, *, direct_limit: int = DIRECT_LIMIT) -> dict[str, Any]:
        """Upload a file directly when small, through a presigned POST when large; returns the job."""
        size = path.stat().st_size
        if size <= direct_limit:
            with path.open("rb") as f:
                response = self.http.post("/uploads", params={"filename": path.name}, content=f.read())
            if response.status_code != 413:
                result: dict[str, Any] = self._check(response)
                return result
        presigned = self._check(self.http.post("/uploads/presign", json={"filename": path.name, "size": size}))
        upload = presigned["upload"]
        with path.open("rb") as f:
            files = {"file": (path.name, f, upload["fields"].get("Content-Type", "application/octet-stream"))}
            response = httpx.post(upload["url"], data=upload["fields"], files=files, timeout=600.0)
        if response.status_code >= 300:
            raise ApiError(response.status_code, f"the storage refused the upload: {response.text[:300]}")
        job: dict[str, Any] = self.job(presigned["job_id"])
        return job

    def job(self, job_id: str) -> dict[str, Any]:
        result: dict[str, Any] = self._check(self.http.get(f"/jobs/{job_id}"))
        return result

    def cancel(self, job_id: str) -> dict[str, Any]:
        result: dict[str, Any] = self._check(self.http.delete(f"/jobs/{job_id}"))
        return result

    def create_token(self, role: str, user: str | None) -> dict[str, Any]:
        body: dict[str, Any] = {"role": role}
        if user:
            body["user"] = user
        result: dict[str, Any] = self._check(self.http.post("/tokens", json=body))
        return result

    def leads(self, **filters: Any) -> dict[str, Any]:
        params = {k: v for k, v in filters.items() if v is not None}
        result: dict[str, Any] = self._check(self.http.get("/leads", params=params))
        return result

    def lead(self, lead_id: str) -> dict[str, Any]:
        result: dict[str, Any] = self._check(self.http.get(f"/leads/{lead_id}"))
        return result

    def export(self, **filters: Any) -> bytes:
        """The CSV bytes, fetched from the presigned link when the export was large."""
        params = {k: v for k, v in filters.items() if v is not None}
        response = self.http.get("/leads/export", params=params)
        if response.status_code >= 400:
            self._check(response)
        if response.headers.get("content-type", "").startswith("application/json"):
            link = response.json()["url"]
            download = httpx.get(link, timeout=600.0)
            download.raise_for_status()
            return download.content
        return response.content

    def ask(self, question: str) -> dict[str, Any]:
        result: dict[str, Any] = self._check(self.http.post("/chat", json={"question": question}))
        return result

    def callers(self, limit: int = 5) -> list[dict[str, Any]]:
        result: dict[str, Any] = self._check(self.http.get("/callers", params={"limit": limit}))
        callers: list[dict[str, Any]] = result["callers"]
        return callers

    def wait(
        self,
        job_id: str,
        *,
        timeout_s: float = 600.0,
        interval_s: float = 0.3,
        on_progress: Callable[[dict[str, Any]], None] | None = None,
    ) -> dict[str, Any]:
        deadline = time.monotonic() + timeout_s
        while True:
            job = self.job(job_id)
            if on_progress:
                on_progress(job)
            if job["status"] in FINAL:
                return job
            if time.monotonic() > deadline:
                raise TimeoutError(f"job {job_id} still {job['status']} after {timeout_s:g} s")
            time.sleep(interval_s)
