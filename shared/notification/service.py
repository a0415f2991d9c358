"""The notify step: one message from the notifications queue becomes notices, digests, or nothing.

Messages are EventBridge events (`lead.enriched`, `email.dispositioned`) or this domain's own
delayed digest messages. Leads already delivered (or digested) are left out before the burst gate
counts them, so a redelivered event neither posts twice nor inflates the window.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from decimal import Decimal

from shared.core import metric_names
from shared.core.dynamo import batch_put
from shared.core.models import DigestDue, EmailDispositionedEvent, LeadEnriched, LeadEnrichedEvent
from shared.core.observability import logger
from shared.notification import messages, metrics, notices
from shared.notification.burst import BurstGate
from shared.notification.deliveries import State, delivery_key
from shared.notification.notifier import CHANNELS, Delivered, Notifier, delivered_before

POSITIVE = "Positive Reply"
#: notices of one message go out in parallel (I/O bound: Slack and DynamoDB)
PARALLEL_NOTICES = 8


@dataclass
class NotifyService:
    notifier: Notifier
    gate: BurstGate
    list_url: str
    clock: Callable[[], float] = time.time
    _pool: ThreadPoolExecutor = field(default_factory=lambda: ThreadPoolExecutor(PARALLEL_NOTICES))

    def handle(self, body: str, *, remaining_s: Callable[[], float]) -> list[Delivered]:
        message = messages.parse(body, DigestDue)
        if isinstance(message, DigestDue):
            return [self._digest(message, remaining_s)]
        if isinstance(message, LeadEnrichedEvent):
            return self._new_leads(message.detail, notices.event_epoch(message.time), remaining_s)
        if isinstance(message, EmailDispositionedEvent):
            if message.detail.disposition != POSITIVE:
                return []
            notice = notices.qualified_lead(message.detail, event_time=notices.event_epoch(message.time))
            return [self.notifier.deliver(notice, remaining_s=remaining_s)]
        logger.info("message ignored", detail_type=message.detail_type if message is not None else None)
        return []

    def _new_leads(self, detail: LeadEnriched, when: float | None, remaining_s: Callable[[], float]) -> list[Delivered]:
        source = detail.source or "upload"
        candidates = [notices.new_lead(lead, source=source, event_time=when) for lead in detail.leads]
        if not candidates:
            return []
        keys = [(n.key, delivery_key(n.kind, c)) for n in candidates for c in (*CHANNELS, "digest")]
        known = self.notifier.store.get_many(keys)
        pending = [n for n in candidates if not delivered_before(known, n)]
        admission = self.gate.admit(len(pending), source, now=self.clock())
        one_by_one, digested = pending[: admission.individual], pending[admission.individual :]
        # the notices leave first (their Slack records claimed beforehand, several at once); the
        # digest's records are written while they are on their way
        claims = self.notifier.store.claim_many(
            [n.key for n in one_by_one], delivery_key("new", "slack"), now=self.clock()
        )
        futures = [
            self._pool.submit(self.notifier.deliver, n, remaining_s=remaining_s, known=known, claim=claims[n.key])
            for n in one_by_one
        ]
        if digested:
            self._hold_for_digest(digested, admission.window_start)
        # every notice is tried before one failure fails the message (the others are then skipped on retry)
        results, errors = [], []
        for future in futures:
            try:
                results.append(future.result())
            except Exception as exc:
                errors.append(exc)
        if errors:
            raise errors[0]
        return results

    def _hold_for_digest(self, digested: list[notices.Notice], window_start: float) -> None:
        digest_key = f"digest#{int(window_start)}"
        now = Decimal(str(round(self.clock(), 3)))
        batch_put(
            (
                self.notifier.store.table,
                {
                    "lead_id": n.key,
                    "delivery": delivery_key(n.kind, "digest"),
                    "state": State.DIGESTED.value,
                    "digest": digest_key,
                    "first_at": now,
                    "updated_at": now,
                },
            )
            for n in digested
        )
        logger.info("leads held for the digest", count=len(digested), digest=digest_key)

    def _digest(self, message: DigestDue, remaining_s: Callable[[], float]) -> Delivered:
        start, window_s = message.window_start, message.window_s
        window = self.gate.window(start)
        notice = notices.digest(
            start,
            window_s,
            window.total,
            window.sources,
            list_url=self.list_url,
            individual=min(window.total, self.gate.threshold),
        )
        delivered = self.notifier.deliver(notice, remaining_s=remaining_s)
        if delivered.channel in ("slack", "email"):
            metrics.count(metric_names.DIGESTS)
        logger.info("digest", window_start=start, leads=window.total, channel=delivered.channel)
        return delivered
