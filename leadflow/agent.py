"""The agent's side of the WebSocket API: a session object (tests, the bench) and the terminal client.

`leadflow agent --token T` connects, goes online, shows the assigned email with its lead and the
time left, and takes a disposition by key: `p` Positive Reply, `n` Neutral Reply, `x` Not a lead;
`o` online, `a` away, `f` offline, `q` quit. Keys are read line by line from standard input, so
the client can be driven by a script (`printf 'p\\nq\\n' | leadflow agent ...`).

API Gateway closes a connection after 10 minutes without a message and every connection after
2 hours. The terminal client (`ReconnectingSession`) therefore sends a `ping` action message well
inside the idle limit, and when its connection closes it reconnects with exponential backoff and
full jitter and sends `resume`: within the stage's grace (30 s by default) the agent is back with
their status and the email they hold, its expiry unchanged.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import random
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TextIO
from urllib.parse import quote

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

from leadflow import cli_errors

KEYS = {"p": "Positive Reply", "n": "Neutral Reply", "x": "Not a lead"}
STATUS_KEYS = {"o": "online", "a": "away", "f": "offline"}
#: a `ping` action message this often. API Gateway's idle timer (10 min) counts messages only:
#: "AWS API Gateway does not support WebSocket protocol level ping/pong ... API Gateway considers an
#: idle connection to be one where no messages have been sent on the socket" (andyrichardson/
#: subscriptionless#3; also hotsock.io/docs/connections/keep-alive: "If no messages are sent between
#: the server and client for a 10-minute period, API Gateway closes the connection"). So the
#: websockets library's ping frames stay off, and the heartbeat is a message, at under half the limit.
HEARTBEAT_S = 240.0


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


# ---------------------------------------------------------------------- a connection that comes back


@dataclass(frozen=True)
class Backoff:
    """Exponential backoff with full jitter: a random wait in [0, min(cap, base * 2**attempt)].

    The jitter spreads the agents a gateway restart closed at once; the cap keeps every wait well
    inside the stage's grace (30 s), so a reachable agent is back before it ends.
    """

    base_s: float = 0.5
    cap_s: float = 8.0

    def delay(self, attempt: int, rng: random.Random | None = None) -> float:
        ceiling = min(self.cap_s, self.base_s * 2 ** min(attempt, 30))
        return (rng or random).uniform(0, ceiling)


class Refused(cli_errors.Refused):
    """The gateway refused the token (401/403): reconnecting would not help."""


class ReconnectingSession:
    """An agent's connection that outlives API Gateway's limits: heartbeat, reconnect, resume.

    Messages from every connection go to one inbox. `states` records what a user is shown:
    `connected`, `reconnecting` (with the wait), `refused`.
    """

    def __init__(
        self,
        url: str,
        token: str,
        *,
        heartbeat_s: float = HEARTBEAT_S,
        backoff: Backoff | None = None,
        on_state: Callable[[str, float | None], None] | None = None,
        max_attempts: int = 1000,
    ) -> None:
        self.url = f"{url}?token={quote(token)}"
        self.heartbeat_s = heartbeat_s
        self.backoff = backoff or Backoff()
        self.on_state = on_state
        self.max_attempts = max_attempts
        self.ws: ClientConnection | None = None
        self.inbox: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self.held: list[dict[str, Any]] = []
        self.states: list[str] = []
        self.reconnects = 0
        self.pings = 0
        self._connected = asyncio.Event()
        self._closing = False
        self._runner: asyncio.Task[None] | None = None
        self._failure: BaseException | None = None

    def _state(self, kind: str, wait_s: float | None = None) -> None:
        self.states.append(kind)
        if self.on_state:
            self.on_state(kind, wait_s)

    async def start(self, timeout: float = 10.0) -> ReconnectingSession:
        """Connect (the first time, a refusal or an unreachable gateway raises)."""
        self.ws = await connect(self.url, open_timeout=timeout, ping_interval=None)
        await self._opened(self.ws)
        self._runner = asyncio.create_task(self._run(self.ws))
        return self

    async def _opened(self, ws: ClientConnection) -> None:
        # resume first: the server tells who we are now (status, the email still held)
        await ws.send(json.dumps({"action": "resume"}))
        self._connected.set()
        self._state("connected")

    async def _run(self, ws: ClientConnection | None) -> None:
        attempt = 0
        try:
            while not self._closing:
                if ws is None:
                    if attempt >= self.max_attempts:
                        raise ConnectionError(f"no connection after {attempt} attempts")
                    wait = self.backoff.delay(attempt)
                    attempt += 1
                    self._state("reconnecting", wait)
                    await asyncio.sleep(wait)
                    try:
                        ws = await connect(self.url, open_timeout=10, ping_interval=None)
                    except InvalidStatus as exc:
                        if exc.response.status_code in (401, 403):
                            self._state("refused")
                            raise Refused(f"the gateway refused the token ({exc.response.status_code})") from exc
                        continue
                    except (OSError, TimeoutError):
                        continue
                    self.ws = ws
                    self.reconnects += 1
                    attempt = 0
                    await self._opened(ws)
                await self._read(ws)
                self._connected.clear()
                ws = None
        except BaseException as exc:  # the reader is gone: whoever waits must hear why
            self._failure = exc
            self._connected.clear()
            raise

    async def _read(self, ws: ClientConnection) -> None:
        heartbeat = asyncio.create_task(self._heartbeat(ws))
        try:
            async for raw in ws:
                try:
                    message = json.loads(raw)
                except ValueError:
                    continue
                if isinstance(message, dict) and message.get("type") != "pong":
                    self.inbox.put_nowait(message)
        except ConnectionClosed:
            pass
        finally:
            heartbeat.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await heartbeat

    async def _heartbeat(self, ws: ClientConnection) -> None:
        while True:
            await asyncio.sleep(self.heartbeat_s)
            with contextlib.suppress(ConnectionClosed):
                await ws.send(json.dumps({"action": "ping"}))
                self.pings += 1

    async def send(self, action: str, timeout: float = 30.0, **fields: Any) -> None:
        """Send once connected; a message that meets a closing connection goes again on the next one."""
        deadline = time.monotonic() + timeout
        while True:
            self._raise_if_failed()
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(f"not connected within {timeout} s to send {action!r}")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._connected.wait(), min(left, 0.5))
            ws = self.ws
            if not self._connected.is_set() or ws is None:
                continue
            try:
                await ws.send(json.dumps({"action": action, **fields}))
                return
            except ConnectionClosed:
                self._connected.clear()

    def _raise_if_failed(self) -> None:
        if self._failure is not None:
            raise ConnectionError(f"the connection cannot come back: {self._failure}") from self._failure

    async def recv(self, timeout: float = 10.0) -> dict[str, Any]:
        if self.held:
            return self.held.pop(0)
        deadline = time.monotonic() + timeout
        while True:
            self._raise_if_failed()
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(f"no message within {timeout} s")
            with contextlib.suppress(TimeoutError):
                return await asyncio.wait_for(self.inbox.get(), min(left, 0.5))

    async def expect(self, kind: str, timeout: float = 10.0, **match: Any) -> dict[str, Any]:
        """The next message of type `kind` (and with the `match` fields), across reconnects."""
        deadline = time.monotonic() + timeout
        for i, message in enumerate(self.held):
            if message.get("type") == kind and all(message.get(k) == v for k, v in match.items()):
                return self.held.pop(i)
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(f"no {kind!r} message within {timeout} s; got {self.held}")
            self._raise_if_failed()
            try:
                message = await asyncio.wait_for(self.inbox.get(), min(left, 0.5))
            except TimeoutError:
                continue
            if message.get("type") == kind and all(message.get(k) == v for k, v in match.items()):
                return message
            self.held.append(message)

    def drop(self) -> None:
        """Cut the TCP connection without a close frame, as a network failure does (tests, demos)."""
        if self.ws is not None:
            self.ws.transport.abort()

    async def close(self) -> None:
        self._closing = True
        if self.ws is not None:
            await self.ws.close()
        if self._runner is not None:
            self._runner.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._runner

    async def __aenter__(self) -> ReconnectingSession:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.close()


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
    def __init__(
        self,
        url: str,
        token: str,
        out: TextIO,
        *,
        keys: asyncio.Queue[str | None],
        heartbeat_s: float = HEARTBEAT_S,
        backoff: Backoff | None = None,
    ) -> None:
        self.session = ReconnectingSession(url, token, heartbeat_s=heartbeat_s, backoff=backoff, on_state=self._link)
        self.out = out
        self.keys = keys
        self.current: dict[str, Any] | None = None
        self.expires_at: str | None = None

    def _link(self, kind: str, wait_s: float | None) -> None:
        if kind == "reconnecting":
            self.say(f"connection lost: reconnecting in {wait_s or 0:.1f} s ...")
        elif kind == "connected" and self.session.reconnects:
            self.say("reconnected")
        elif kind == "refused":
            self.say("error: the gateway refused the token; sign in again")

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
            try:
                self.show(await self.session.recv(timeout=3600))
            except TimeoutError:
                continue
            except ConnectionError as exc:  # it cannot come back (refused, or out of attempts): stop
                self.say(f"error: {exc}")
                self.keys.put_nowait(None)
                return

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


def run_terminal(
    url: str,
    token: str,
    stdin: TextIO = sys.stdin,
    out: TextIO = sys.stdout,
    *,
    heartbeat_s: float = HEARTBEAT_S,
    backoff: Backoff | None = None,
) -> int:
    async def main() -> int:
        keys: asyncio.Queue[str | None] = asyncio.Queue()
        loop = asyncio.get_running_loop()

        def pump() -> None:
            for line in stdin:
                loop.call_soon_threadsafe(keys.put_nowait, line.strip().lower()[:1])
            loop.call_soon_threadsafe(keys.put_nowait, None)

        loop.run_in_executor(None, pump)
        return await TerminalAgent(url, token, out, keys=keys, heartbeat_s=heartbeat_s, backoff=backoff).run()

    # a refused token, an unreachable gateway: the CLI turns these into one line and an exit code
    return asyncio.run(main())
