"""One notice to people: Slack first, SES email when Slack fails, each channel at most once."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from shared.core import metric_names
from shared.core.models import DeliveryRecord
from shared.core.observability import logger
from shared.notification import metrics
from shared.notification.deliveries import Claim, ClaimResult, DeliveryStore, State, delivery_key
from shared.notification.email import EmailFailed, SesMailer
from shared.notification.notices import Notice
from shared.notification.slack import SlackClient, blocks

CHANNELS = ("slack", "email")


class DeliveryRetry(Exception):
    """Not delivered now (both channels failed, or another invocation is on it): try the message again."""


@dataclass(frozen=True)
class Delivered:
    channel: str  # "slack", "email", "already" (earlier), "uncertain" (outcome unknown, not repeated)
    detail: str = ""


def delivered_before(records: Mapping[tuple[str, str], DeliveryRecord], notice: Notice) -> bool:
    """True when one of the notice's channels already carried it (or it went into a digest)."""
    for channel in (*CHANNELS, "digest"):
        record = records.get((notice.key, delivery_key(notice.kind, channel)))
        if record is not None and record.state in (State.SENT, State.DIGESTED):
            return True
    return False


class Notifier:
    def __init__(
        self,
        store: DeliveryStore,
        slack: SlackClient,
        mailer: SesMailer,
        *,
        webhook_url: Callable[[], str],
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.store = store
        self.slack = slack
        self.mailer = mailer
        self.webhook_url = webhook_url
        self.clock = clock

    def deliver(
        self,
        notice: Notice,
        *,
        remaining_s: Callable[[], float],
        known: Mapping[tuple[str, str], DeliveryRecord] | None = None,
        claim: ClaimResult | None = None,
    ) -> Delivered:
        """Deliver one notice. `known` (its records, read beforehand) and `claim` (its Slack record,
        claimed beforehand with others in one call) save calls when many notices go at once."""
        if known is None:
            known = self.store.get_many([(notice.key, delivery_key(notice.kind, c)) for c in (*CHANNELS, "digest")])
        if delivered_before(known, notice):
            return Delivered("already")
        slack_sk = delivery_key(notice.kind, "slack")
        if claim is None:
            claim = self.store.claim(notice.key, slack_sk, now=self.clock())
        if claim.outcome == Claim.DONE:
            return Delivered("already")
        if claim.outcome == Claim.IN_FLIGHT:
            raise DeliveryRetry(f"{notice.key} {notice.kind}: another invocation is posting it to Slack")
        if claim.outcome == Claim.CLAIMED:
            metrics.count(metric_names.SLACK_ATTEMPTS)
            result = self.slack.post(
                self.webhook_url(),
                blocks(notice),
                remaining_s=remaining_s,
                headers={"X-Leadflow-Notice": f"{notice.key}/{notice.kind}"},
            )
            if result.ok:
                self.store.finish(notice.key, slack_sk, claim.attempt_id, State.SENT, status=result.status)
                metrics.count(metric_names.SLACK_DELIVERED)
                self._latency(notice)
                return Delivered("slack")
            state = State.UNCERTAIN if result.uncertain else State.FAILED
            self.store.finish(notice.key, slack_sk, claim.attempt_id, state, status=result.status, detail=result.detail)
            reason = result.detail
        elif claim.outcome == Claim.ABANDONED:
            # the invocation that claimed it ended without an outcome: it may have posted
            reason = "an earlier attempt ended without an outcome"
            self.store.mark(notice.key, slack_sk, State.UNCERTAIN, only_if=State.SENDING, detail=reason)
        else:  # UNCERTAIN
            reason = claim.record.detail or "an earlier attempt's outcome is unknown"
        logger.info("slack failed, falling back to email", notice=notice.key, kind=notice.kind, reason=reason)
        return self._email(notice, reason)

    def _email(self, notice: Notice, slack_reason: str) -> Delivered:
        email_sk = delivery_key(notice.kind, "email")
        claim = self.store.claim(notice.key, email_sk, now=self.clock())
        if claim.outcome == Claim.DONE:
            return Delivered("already")
        if claim.outcome == Claim.IN_FLIGHT:
            raise DeliveryRetry(f"{notice.key} {notice.kind}: another invocation is emailing it")
        if claim.outcome in (Claim.ABANDONED, Claim.UNCERTAIN):
            detail = "an earlier email attempt ended without an outcome; not sent again"
            self.store.mark(notice.key, email_sk, State.UNCERTAIN, only_if=State.SENDING, detail=detail)
            logger.warning("notice outcome unknown", notice=notice.key, kind=notice.kind)
            return Delivered("uncertain", detail)
        metrics.count(metric_names.SLACK_FALLBACKS)
        try:
            message_id = self.mailer.send(notice)
        except EmailFailed as exc:
            self.store.finish(notice.key, email_sk, claim.attempt_id, State.FAILED, detail=str(exc)[:500])
            raise DeliveryRetry(f"Slack: {slack_reason}; email: {exc}") from exc
        self.store.finish(notice.key, email_sk, claim.attempt_id, State.SENT, detail=f"SES {message_id}")
        metrics.count(metric_names.EMAIL_SENT)
        self._latency(notice)
        return Delivered("email", slack_reason)

    def _latency(self, notice: Notice) -> None:
        if notice.event_time is not None:
            metrics.latency_ms(max(0.0, (self.clock() - notice.event_time) * 1000))
