"""Slack incoming webhooks with httpx: Block Kit messages, and what counts as Slack failing.

Failing means a non-2xx answer, a timeout, or a 429 whose `Retry-After` does not fit in the time
the function has left. A timeout is reported as `uncertain`: Slack may have posted it.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal, NotRequired, TypedDict

from shared.notification.notices import Notice

if TYPE_CHECKING:
    import httpx

#: never wait for Slack past this many seconds before the function's end (the SES fallback needs time)
RESERVE_S = 5.0
MAX_RATE_LIMIT_RETRIES = 2


@dataclass(frozen=True)
class SlackResult:
    ok: bool
    status: int | None = None
    detail: str = ""
    #: the request may have been posted (a timeout): never post this notice again
    uncertain: bool = False
    attempts: int = 1


class TextObject(TypedDict):
    type: Literal["plain_text", "mrkdwn"]
    text: str
    emoji: NotRequired[bool]


class Button(TypedDict):
    type: Literal["button"]
    text: TextObject
    url: str


class Block(TypedDict):
    """A header (`text`), a section (`text` or `fields`), actions (buttons) or a context line (`elements`)."""

    type: Literal["header", "section", "actions", "context"]
    text: NotRequired[TextObject]
    fields: NotRequired[list[TextObject]]
    elements: NotRequired[list[TextObject | Button]]


class SlackMessage(TypedDict):
    """What an incoming webhook takes: the notification's plain text and the Block Kit blocks."""

    text: str
    blocks: list[Block]


def blocks(notice: Notice) -> SlackMessage:
    """The Block Kit message: a header, the lead's fields, how to reach them, and a context line."""
    fields: list[TextObject] = [
        {"type": "mrkdwn", "text": f"*{label}*\n{_escape(value)}"} for label, value in notice.fields if value
    ]
    body: list[Block] = [
        {"type": "header", "text": {"type": "plain_text", "text": notice.title[:150], "emoji": True}},
    ]
    if notice.summary:
        body.append({"type": "section", "text": {"type": "mrkdwn", "text": _escape(notice.summary)}})
    for start in range(0, len(fields), 10):  # Slack allows 10 fields per section
        body.append({"type": "section", "fields": fields[start : start + 10]})
    if notice.link:
        body.append(
            {
                "type": "actions",
                "elements": [{"type": "button", "text": {"type": "plain_text", "text": "Open"}, "url": notice.link}],
            }
        )
    body.append({"type": "context", "elements": [{"type": "mrkdwn", "text": f"{notice.kind} · `{notice.key}`"}]})
    return {"text": notice.text(), "blocks": body}


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _retry_after(response: httpx.Response) -> float:
    try:
        return max(0.0, float(response.headers.get("Retry-After", "1")))
    except ValueError:
        return 1.0


class SlackClient:
    """Posts to one webhook URL; one connection pool per execution environment."""

    def __init__(self, timeout_s: float, *, sleep: Callable[[float], None] = time.sleep) -> None:
        self.timeout_s = timeout_s
        self._sleep = sleep
        self._http: httpx.Client | None = None
        self._lock = threading.Lock()

    @property
    def http(self) -> httpx.Client:
        with self._lock:
            if self._http is None:
                import httpx  # here, not at the top: only a request needs it, not the cold start

                self._http = httpx.Client(limits=httpx.Limits(max_connections=20, max_keepalive_connections=20))
            return self._http

    def post(
        self, url: str, payload: SlackMessage, *, remaining_s: Callable[[], float], headers: dict[str, str]
    ) -> SlackResult:
        if not url:
            return SlackResult(False, detail="no Slack webhook URL configured")
        import httpx  # here, not at the top: only a request needs it, not the cold start

        attempts = 0
        while True:
            attempts += 1
            # the request itself must end with time to spare for the fallback
            timeout = min(self.timeout_s, max(0.1, remaining_s() - RESERVE_S))
            try:
                response = self.http.post(url, json=payload, headers=headers, timeout=timeout)
            except httpx.TimeoutException as exc:
                return SlackResult(
                    False, detail=f"timeout after {timeout:.1f} s ({type(exc).__name__})", uncertain=True
                )
            except httpx.TransportError as exc:
                # the connection failed before the request was sent: definitely not posted
                return SlackResult(False, detail=f"connection failed: {type(exc).__name__}", attempts=attempts)
            if 200 <= response.status_code < 300:
                return SlackResult(True, response.status_code, attempts=attempts)
            if response.status_code == 429:
                wait = _retry_after(response)
                if attempts <= MAX_RATE_LIMIT_RETRIES and wait + self.timeout_s < remaining_s() - RESERVE_S:
                    self._sleep(wait)
                    continue
                return SlackResult(
                    False, 429, detail=f"rate limited, Retry-After {wait:g} s does not fit", attempts=attempts
                )
            return SlackResult(
                False,
                response.status_code,
                detail=f"HTTP {response.status_code}: {response.text[:200]}",
                attempts=attempts,
            )
