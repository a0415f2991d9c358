"""The durable downstream sync: each lead POSTed as JSON to the configured CRM endpoint, once.

- Signed: `X-Leadflow-Signature: t=<unix time>,v1=<hex HMAC-SHA256(key, "<t>." + body)>` (the
  timestamp lets the receiver refuse replays); the key is in Secrets Manager.
- Idempotent: `Idempotency-Key: lead-<lead id>` is the same on every attempt, and a delivery record
  (`sync#downstream`) written around the call skips leads already accepted.
- In time: each POST's timeout fits the function's time left, and a receiver that hangs opens its
  circuit (`shared.core.budget`), so the other leads of the batch back off at once instead of
  each waiting out a timeout; the batch ends before Lambda's timeout would return it whole.
- Durable: leads that fail are re-sent to the queue as one retry message, delayed by an exponential
  backoff (base * 2^(attempt-1), capped) over hours. SQS delays a message by at most 900 s, so a
  longer wait is several hops of a message carrying `not_before`. After the last attempt the
  message fails, and SQS's redrive moves it to the dead-letter queue (whose alarm pages someone).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import math
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from shared.core import metric_names
from shared.core.aws import client
from shared.core.budget import CircuitOpen, call_timeout, through_circuit
from shared.core.observability import logger
from shared.notification import metrics
from shared.notification.deliveries import Claim, DeliveryStore, State

if TYPE_CHECKING:
    import httpx

SIGNATURE_HEADER = "X-Leadflow-Signature"
IDEMPOTENCY_HEADER = "Idempotency-Key"
SYNC = "sync#downstream"
MAX_HOP_S = 900
RETRY_KIND = "retry"
PARALLEL_POSTS = 4
REQUEST_TIMEOUT_S = 10.0


def sign(key: str, body: bytes, timestamp: int) -> str:
    digest = hmac.new(key.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def verify(key: str, body: bytes, header: str, *, now: float | None = None, tolerance_s: int = 300) -> bool:
    """What a receiver does: the signature matches and its timestamp is recent."""
    parts = dict(p.split("=", 1) for p in header.split(",") if "=" in p)
    try:
        timestamp = int(parts["t"])
    except (KeyError, ValueError):
        return False
    now = time.time() if now is None else now
    if abs(now - timestamp) > tolerance_s:
        return False
    expected = sign(key, body, timestamp).split("v1=", 1)[1]
    return hmac.compare_digest(expected, parts.get("v1", ""))


def idempotency_key(lead_id: str) -> str:
    return f"lead-{lead_id}"


def backoff_s(attempt: int, *, base_s: int, max_s: int) -> int:
    """The wait after failed attempt `attempt` (1-based)."""
    return int(min(max_s, base_s * 2 ** (attempt - 1)))


@dataclass(frozen=True)
class SyncResult:
    sent: int = 0
    skipped: int = 0
    retrying: int = 0
    next_attempt_in_s: int | None = None


class GaveUp(Exception):
    """The last attempt failed: the message must fail so that SQS dead-letters it."""


@dataclass
class DownstreamSync:
    store: DeliveryStore
    endpoint: Callable[[], dict[str, Any]]  # {"url", "signing_key"} from Secrets Manager
    queue_url: str
    base_s: int
    max_s: int
    max_attempts: int
    clock: Callable[[], float] = time.time
    #: the cap of one POST (less when the function has less time left)
    request_timeout_s: float = REQUEST_TIMEOUT_S
    #: after a POST hangs, how long the others fail at once (and back off) before one is tried again
    circuit_reset_s: float = 30.0
    _http: httpx.Client | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _pool: ThreadPoolExecutor = field(default_factory=lambda: ThreadPoolExecutor(PARALLEL_POSTS))

    @property
    def http(self) -> httpx.Client:
        with self._lock:
            if self._http is None:
                import httpx  # here, not at the top: only a request needs it, not the cold start

                self._http = httpx.Client(timeout=REQUEST_TIMEOUT_S)
            return self._http

    def handle(self, body: str, *, remaining_s: Callable[[], float] | None = None) -> SyncResult:
        message: dict[str, Any] = json.loads(body)
        now = self.clock()
        if message.get("kind") == RETRY_KIND:
            leads = list(message["leads"])
            attempt = int(message["attempt"])
            not_before = float(message["not_before"])
            if now < not_before - 1:
                # still waiting: one more hop of at most 900 s
                self._send(leads, attempt, not_before)
                return SyncResult(retrying=len(leads), next_attempt_in_s=math.ceil(not_before - now))
        else:
            leads = list((message.get("detail") or {}).get("leads", []))
            attempt = 1
        if not leads:
            return SyncResult()
        target = self.endpoint()
        if not target.get("url"):
            logger.warning("downstream sync has no endpoint configured; leads not forwarded", leads=len(leads))
            return SyncResult(skipped=len(leads))
        known = self.store.get_many([(str(lead["lead_id"]), SYNC) for lead in leads])
        pending = [lead for lead in leads if known.get((str(lead["lead_id"]), SYNC), {}).get("state") != State.SENT]
        # claims and outcomes: one conditional write per record, several at once, around the posts
        claims = self.store.claim_many([str(lead["lead_id"]) for lead in pending], SYNC, now=now, takeover=True)
        mine = [lead for lead in pending if claims[str(lead["lead_id"])].outcome == Claim.CLAIMED]
        done = sum(1 for lead in pending if claims[str(lead["lead_id"])].outcome == Claim.DONE)
        # held by another invocation: retried below, and skipped then if it was sent meanwhile
        failed = [lead for lead in pending if claims[str(lead["lead_id"])].outcome not in (Claim.CLAIMED, Claim.DONE)]
        posted = list(self._pool.map(lambda lead: self._post(lead, target, attempt, remaining_s), mine))
        self.store.finish_many(
            SYNC,
            [
                (str(lead["lead_id"]), claims[str(lead["lead_id"])].attempt_id, outcome[0], outcome[1])
                for lead, outcome in zip(mine, posted, strict=True)
            ],
        )
        failed += [lead for lead, outcome in zip(mine, posted, strict=True) if outcome[0] != State.SENT]
        sent = sum(1 for state, _ in posted if state == State.SENT)
        metrics.count(metric_names.DOWNSTREAM_SENT, sent)
        result = SyncResult(sent=sent, skipped=len(leads) - len(pending) + done)
        if not failed:
            return result
        if attempt >= self.max_attempts:
            for lead in failed:
                self.store.mark(str(lead["lead_id"]), SYNC, State.FAILED, detail="gave up: to the dead-letter queue")
            raise GaveUp(f"{len(failed)} leads still failing after {attempt} attempts")
        wait = backoff_s(attempt, base_s=self.base_s, max_s=self.max_s)
        self._send(failed, attempt + 1, now + wait)
        metrics.count(metric_names.DOWNSTREAM_RETRIES, len(failed))
        logger.info("downstream retry scheduled", leads=len(failed), attempt=attempt + 1, in_s=wait)
        return SyncResult(result.sent, result.skipped, len(failed), wait)

    def _send(self, leads: list[dict[str, Any]], attempt: int, not_before: float) -> None:
        delay = min(MAX_HOP_S, max(0, math.ceil(not_before - self.clock())))
        body = {"kind": RETRY_KIND, "leads": leads, "attempt": attempt, "not_before": not_before}
        client("sqs").send_message(QueueUrl=self.queue_url, MessageBody=json.dumps(body), DelaySeconds=delay)

    def _post(
        self, lead: dict[str, Any], target: dict[str, Any], attempt: int, remaining_s: Callable[[], float] | None
    ) -> tuple[State, dict[str, Any]]:
        """One signed POST: the state to record and its fields."""
        timeout = call_timeout(self.request_timeout_s, remaining_s)
        if timeout is None:
            return State.FAILED, {"detail": "no time left in this invocation: retried after the backoff"}
        import httpx  # here, not at the top: only a request needs it, not the cold start

        lead_id = str(lead["lead_id"])
        body = json.dumps({"event": "lead.enriched", "lead": lead}, separators=(",", ":"), sort_keys=True).encode()
        headers = {
            "Content-Type": "application/json",
            IDEMPOTENCY_HEADER: idempotency_key(lead_id),
            SIGNATURE_HEADER: sign(str(target["signing_key"]), body, int(self.clock())),
            "X-Leadflow-Attempt": str(attempt),
        }
        url = str(target["url"])
        try:
            response = through_circuit(
                f"downstream {url}",
                self.circuit_reset_s,
                lambda: self.http.post(url, content=body, headers=headers, timeout=timeout),
            )
        except CircuitOpen as exc:
            return State.FAILED, {"detail": str(exc)[:300]}
        except httpx.HTTPError as exc:
            return State.FAILED, {"detail": f"{type(exc).__name__}: {exc}"[:300]}
        if 200 <= response.status_code < 300:
            return State.SENT, {"status": response.status_code}
        return State.FAILED, {
            "status": response.status_code,
            "detail": f"HTTP {response.status_code}: {response.text[:200]}",
        }
