"""The agent's side of the WebSocket API: a session object (tests, the bench) and the terminal client.

`leadflow agent --token T` connects, goes online, shows the assigned email with its lead and the
time left, and takes a disposition by key: `p` Positive Reply, `n` Neutral Reply, `x` Not a lead;
`o` online, `a` away, `f` offline, `q` quit. Keys are read line by line from standard input, so
the client can be driven by a script (`printf 'p\\nq\\n' | leadflow agent ...`).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, TextIO
from urllib.parse import quote

from websockets.asyncio.client import ClientConnection, connect

KEYS = {"p": "Positive Reply", "n": "Neutral Reply", "x": "Not a lead"}
STATUS_KEYS = {"o": "online", "a": "away", "f": "offline"}


class AgentSession:
    """One WebSocket connection of an agent, with a small inbox so that tests can wait for a type."""

    def __init__(self, url: str, token: str) -> None:
        self.url = f"{url}?token={quote(token)}"
        self.ws: ClientConnection | None = None
        self.inbox: list[dict[str, Any]] = []

    async def __aenter__(self) -> AgentSession:
        self.ws = await connect(self.url, open_timeout=10, ping_interval=None)
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def close(self) -> None:
        if self.ws is not None:
            await self.ws.close()

    async def send(self, action: str, **fields: Any) -> None:
        assert self.ws is not None
        await self.ws.send(json.dumps({"action": action, **fields}))

    async def send_raw(self, text: str) -> None:
        assert self.ws is not None
        await self.ws.send(text)

    async def recv(self, timeout: float = 10.0) -> dict[str, Any]:
        if self.inbox:
            return self.inbox.pop(0)
        assert self.ws is not None
        raw = await asyncio.wait_for(self.ws.recv(), timeout)
        message: dict[str, Any] = json.loads(raw)
        return message

    async def expect(self, kind: str, timeout: float = 10.0, **match: Any) -> dict[str, Any]:
        """The next message of type `kind` (and with the `match` fields); others stay in the inbox."""
        deadline = time.monotonic() + timeout
        for i, message in enumerate(self.inbox):
            if message.get("type") == kind and all(message.get(k) == v for k, v in match.items()):
                return self.inbox.pop(i)
        assert self.ws is not None
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(f"no {kind!r} message within {timeout} s; got {self.inbox}")
            message = json.loads(await asyncio.wait_for(self.ws.recv(), left))
            if message.get("type") == kind and all(message.get(k) == v for k, v in match.items()):
                return dict(message)
            self.inbox.append(message)


# ---------------------------------------------------------------------- the terminal client


def seconds_left(expires_at: str | None, now: Callable[[], datetime] = lambda: datetime.now(UTC)) -> int | None:
    if not expires_at:
        return None
    return max(0, int((datetime.fromisoformat(expires_at) - now()).total_seconds() + 0.5))


def describe(email: dict[str, Any]) -> str:
    lead = email.get("lead") or {}
    name = " ".join(str(lead[k]) for k in ("first_name", "last_name") if lead.get(k)) or "-"
    lines = [
        f"  email    {email['email_id']}  received {email.get('received_at')}",
        f"  from     {email.get('sender')}",
        f"  lead     {name}  {lead.get('company') or ''}  {lead.get('phone') or ''}".rstrip(),
        f"  subject  {email.get('subject') or '-'}",
    ]
    body = str(email.get("body") or "").strip()
    if body:
        lines.append("  " + body[:500].replace("\n", "\n  "))
    return "\n".join(lines)


class TerminalAgent:
    def __init__(self, url: str, token: str, out: TextIO, *, keys: asyncio.Queue[str | None]) -> None:
        self.session = AgentSession(url, token)
        self.out = out
        self.keys = keys
        self.current: dict[str, Any] | None = None
        self.expires_at: str | None = None

    def say(self, text: str) -> None:
        self.out.write(text + "\n")
        self.out.flush()

    def show(self, message: dict[str, Any]) -> None:
        kind = message.get("type")
        if kind == "assigned":
            self._hold(message["email"], message.get("expires_at"))
        elif kind == "status":
            self.say(f"status: {message['status']}" + (f" ({message['message']})" if message.get("message") else ""))
            if message.get("email"):
                self._hold(message["email"], message.get("expires_at"))
            else:
                self.current = None
        elif kind == "dispositioned":
            self.say(f"recorded: {message['disposition']} for {message['email_id']}")
            self.current = None
            if message.get("assigned"):
                self.show(message["assigned"])
            else:
                self.say("waiting for the next email ...")
        elif kind == "expired":
            self.current = None
            self.say(f"EXPIRED: {message['message']}")
            self.say("press o to go online again")
        elif kind == "error":
            self.say(f"error: {message['message']}")
        elif kind == "pong":
            pass
        else:
            self.say(json.dumps(message))

    def _hold(self, email: dict[str, Any], expires_at: str | None) -> None:
        if self.current and self.current.get("email_id") == email["email_id"]:
            return
        self.current, self.expires_at = email, expires_at
        self.say("ASSIGNED\n" + describe(email))
        left = seconds_left(expires_at)
        self.say(f"  {left} s to act: p Positive Reply, n Neutral Reply, x Not a lead" if left is not None else "")

    async def _countdown(self) -> None:
        last = None
        while True:
            await asyncio.sleep(1)
            if self.current is None:
                continue
            left = seconds_left(self.expires_at)
            # every 10 s, and each of the last 5 s
            if left is not None and left != last and (left % 10 == 0 or left <= 5):
                self.say(f"  expires in {left} s")
                last = left

    async def _read(self) -> None:
        while True:
            message = await self.session.recv(timeout=3600)
            self.show(message)

    async def run(self) -> int:
        async with self.session:
            self.say(f"connected to {self.session.url.split('?')[0]}; going online (q to quit)")
            await self.session.send("setStatus", status="online")
            reader = asyncio.create_task(self._read())
            ticker = asyncio.create_task(self._countdown())
            try:
                while True:
                    key = await self.keys.get()
                    if key is None or key == "q":
                        return 0
                    if key in KEYS:
                        if self.current is None:
                            self.say("waiting for an email to disposition ...")
                            for _ in range(600):  # a scripted key may come before its email
                                await asyncio.sleep(0.05)
                                if self.current is not None:
                                    break
                            else:
                                continue
                        assert self.current is not None
                        await self.session.send("disposition", email_id=self.current["email_id"], disposition=KEYS[key])
                    elif key in STATUS_KEYS:
                        await self.session.send("setStatus", status=STATUS_KEYS[key])
                    elif key:
                        self.say("keys: p n x (disposition), o a f (online, away, offline), q (quit)")
            finally:
                reader.cancel()
                ticker.cancel()
                for task in (reader, ticker):
                    with contextlib.suppress(asyncio.CancelledError, Exception):
                        await task


def run_terminal(url: str, token: str, stdin: TextIO = sys.stdin, out: TextIO = sys.stdout) -> int:
    async def main() -> int:
        keys: asyncio.Queue[str | None] = asyncio.Queue()
        loop = asyncio.get_running_loop()

        def pump() -> None:
            for line in stdin:
                loop.call_soon_threadsafe(keys.put_nowait, line.strip().lower()[:1])
            loop.call_soon_threadsafe(keys.put_nowait, None)

        loop.run_in_executor(None, pump)
        return await TerminalAgent(url, token, out, keys=keys).run()

    try:
        return asyncio.run(main())
    except OSError as exc:
        out.write(f"error: cannot connect: {exc}\n")
        return 1
