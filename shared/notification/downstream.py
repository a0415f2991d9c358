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
from typing import TYPE_CHECKING, Any, Literal

from shared.core import metric_names
from shared.core.aws import client
from shared.core.budget import CircuitOpen, call_timeout, through_circuit
from shared.core.models import DeliveryRecord, DownstreamEndpoint, DownstreamRetry, EventLead, LeadEnrichedEvent
from shared.core.observability import logger
from shared.notification import messages, metrics
from shared.notification.deliveries import Claim, DeliveryStore, Outcome, State

if TYPE_CHECKING:
    import httpx

SIGNATURE_HEADER = "X-Leadflow-Signature"
IDEMPOTENCY_HEADER = "Idempotency-Key"
SYNC = "sync#downstream"
MAX_HOP_S = 900
RETRY_KIND: Literal["retry"] = "retry"
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
    #: the URL and signing key, from Secrets Manager (read at each batch: an operator may rotate them)
    endpoint: Callable[[], DownstreamEndpoint]
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
        message = messages.parse(body, DownstreamRetry)
        now = self.clock()
        if isinstance(message, DownstreamRetry):
            leads = list(message.leads)
            attempt = message.attempt
            if now < message.not_before - 1:
                # still waiting: one more hop of at most 900 s
                self._send(leads, attempt, message.not_before)
                return SyncResult(retrying=len(leads), next_attempt_in_s=math.ceil(message.not_before - now))
        elif isinstance(message, LeadEnrichedEvent):
            leads = list(message.detail.leads)
            attempt = 1
        else:
            logger.info("message ignored", detail_type=message.detail_type if message is not None else None)
            return SyncResult()
        if not leads:
            return SyncResult()
        target = self.endpoint()
        if not target.url:
            logger.warning("downstream sync has no endpoint configured; leads not forwarded", leads=len(leads))
            return SyncResult(skipped=len(leads))
        if not target.signing_key:
            raise RuntimeError("the downstream secret has a url but no signing_key")
        known = self.store.get_many([(lead.lead_id, SYNC) for lead in leads])
        pending = [lead for lead in leads if not _sent(known.get((lead.lead_id, SYNC)))]
        # claims and outcomes: one conditional write per record, several at once, around the posts
        claims = self.store.claim_many([lead.lead_id for lead in pending], SYNC, now=now, takeover=True)
        mine = [lead for lead in pending if claims[lead.lead_id].outcome == Claim.CLAIMED]
        done = sum(1 for lead in pending if claims[lead.lead_id].outcome == Claim.DONE)
        # held by another invocation: retried below, and skipped then if it was sent meanwhile
        failed = [lead for lead in pending if claims[lead.lead_id].outcome not in (Claim.CLAIMED, Claim.DONE)]
        url, key = target.url, target.signing_key
        posted = list(self._pool.map(lambda lead: self._post(lead, url, key, attempt, remaining_s), mine))
        self.store.finish_many(
            SYNC,
            [
                (lead.lead_id, claims[lead.lead_id].attempt_id, outcome)
                for lead, outcome in zip(mine, posted, strict=True)
            ],
        )
        failed += [lead for lead, outcome in zip(mine, posted, strict=True) if outcome.state != State.SENT]
        sent = sum(1 for outcome in posted if outcome.state == State.SENT)
        metrics.count(metric_names.DOWNSTREAM_SENT, sent)
        result = SyncResult(sent=sent, skipped=len(leads) - len(pending) + done)
        if not failed:
            return result
        if attempt >= self.max_attempts:
            for lead in failed:
                self.store.mark(lead.lead_id, SYNC, State.FAILED, detail="gave up: to the dead-letter queue")
            raise GaveUp(f"{len(failed)} leads still failing after {attempt} attempts")
        wait = backoff_s(attempt, base_s=self.base_s, max_s=self.max_s)
        self._send(failed, attempt + 1, now + wait)
        metrics.count(metric_names.DOWNSTREAM_RETRIES, len(failed))
        logger.info("downstream retry scheduled", leads=len(failed), attempt=attempt + 1, in_s=wait)
        return SyncResult(result.sent, result.skipped, len(failed), wait)

    def _send(self, leads: list[EventLead], attempt: int, not_before: float) -> None:
        delay = min(MAX_HOP_S, max(0, math.ceil(not_before - self.clock())))
        body = DownstreamRetry(kind=RETRY_KIND, leads=leads, attempt=attempt, not_before=not_before).body()
        client("sqs").send_message(QueueUrl=self.queue_url, MessageBody=body, DelaySeconds=delay)

    def _post(
        self, lead: EventLead, url: str, signing_key: str, attempt: int, remaining_s: Callable[[], float] | None
    ) -> Outcome:
        """One signed POST, and how it ended."""
        timeout = call_timeout(self.request_timeout_s, remaining_s)
        if timeout is None:
            return Outcome(State.FAILED, detail="no time left in this invocation: retried after the backoff")
        import httpx  # here, not at the top: only a request needs it, not the cold start

        body = json.dumps({"event": "lead.enriched", "lead": _as_sent(lead)}, separators=(",", ":"), sort_keys=True)
        headers = {
            "Content-Type": "application/json",
            IDEMPOTENCY_HEADER: idempotency_key(lead.lead_id),
            SIGNATURE_HEADER: sign(signing_key, body.encode(), int(self.clock())),
            "X-Leadflow-Attempt": str(attempt),
        }
        try:
            response = through_circuit(
                f"downstream {url}",
                self.circuit_reset_s,
                lambda: self.http.post(url, content=body.encode(), headers=headers, timeout=timeout),
            )
        except CircuitOpen as exc:
            return Outcome(State.FAILED, detail=str(exc)[:300])
        except httpx.HTTPError as exc:
            return Outcome(State.FAILED, detail=f"{type(exc).__name__}: {exc}"[:300])
        if 200 <= response.status_code < 300:
            return Outcome(State.SENT, status=response.status_code)
        return Outcome(
            State.FAILED, status=response.status_code, detail=f"HTTP {response.status_code}: {response.text[:200]}"
        )


def _as_sent(lead: EventLead) -> dict[str, Any]:
    """The lead as its event carried it (the fields it came with, no defaults added), as the receiver gets it."""
    return lead.model_dump(mode="json", by_alias=True, exclude_unset=True)


def _sent(record: DeliveryRecord | None) -> bool:
    return record is not None and record.state == State.SENT
