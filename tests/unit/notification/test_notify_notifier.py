"""The delivery protocol with fakes: Slack first, email on failure, never twice on one channel,
and what a crash between the claim and the outcome leads to."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest

from shared.core.models import DeliveryRecord, EventLead
from shared.notification.deliveries import Claim, ClaimResult, DeliveryStore, State
from shared.notification.email import EmailFailed
from shared.notification.notices import Notice, new_lead
from shared.notification.notifier import Delivered, DeliveryRetry, Notifier
from shared.notification.slack import SlackMessage, SlackResult


class Crash(BaseException):
    """The execution environment dies (not an Exception: nothing catches it)."""


@dataclass
class FakeStore:
    """DeliveryStore's conditions, in memory."""

    lease_s: int = 40
    table: str = "deliveries"
    items: dict[tuple[str, str], DeliveryRecord] = field(default_factory=dict)
    counter: int = 0

    def get_many(self, keys: list[tuple[str, str]]) -> dict[tuple[str, str], DeliveryRecord]:
        return {k: self.items[k].model_copy() for k in keys if k in self.items}

    def claim(self, pk: str, sk: str, *, now: float | None = None, takeover: bool = False) -> ClaimResult:
        now = now or 0.0
        record = self.items.get((pk, sk))
        free = record is None or record.state == State.FAILED
        if takeover and record and record.state == State.SENDING and (record.lease_until or 0) < now:
            free = True
        if not free:
            assert record is not None
            return ClaimResult(DeliveryStore._held(record, now), "", record.model_copy())
        self.counter += 1
        attempt = f"a{self.counter}"
        new = (record or DeliveryRecord(lead_id=pk, delivery=sk)).model_copy(
            update={"state": State.SENDING, "attempt_id": attempt, "lease_until": now + self.lease_s}
        )
        new.attempts += 1
        self.items[(pk, sk)] = new
        return ClaimResult(Claim.CLAIMED, attempt, new.model_copy())

    def finish(self, pk: str, sk: str, attempt_id: str, state: State, **fields: Any) -> bool:
        record = self.items[(pk, sk)]
        if record.attempt_id != attempt_id:
            return False
        given = {k: v for k, v in fields.items() if v is not None}
        self.items[(pk, sk)] = record.model_copy(update={"state": state, "lease_until": None, **given})
        return True

    def mark(self, pk: str, sk: str, state: State, *, only_if: State | None = None, **fields: Any) -> bool:
        record = self.items.get((pk, sk)) or DeliveryRecord(lead_id=pk, delivery=sk)
        if only_if is not None and record.state != only_if:
            return False
        self.items[(pk, sk)] = record.model_copy(update={"state": state, **fields})
        return True

    def state(self, notice: Notice, channel: str) -> str | None:
        record = self.items.get((notice.key, f"{notice.kind}#{channel}"))
        return None if record is None else str(record.state)


@dataclass
class FakeSlack:
    answers: list[SlackResult] = field(default_factory=list)
    posts: list[SlackMessage] = field(default_factory=list)
    crash_after_post: bool = False

    def post(self, url: str, payload: SlackMessage, **_: Any) -> SlackResult:
        self.posts.append(payload)
        if self.crash_after_post:
            raise Crash
        return self.answers.pop(0) if self.answers else SlackResult(True, 200)


@dataclass
class FakeMailer:
    down: bool = False
    sent: list[Notice] = field(default_factory=list)

    def send(self, notice: Notice) -> str:
        if self.down:
            raise EmailFailed("SES: MessageRejected")
        self.sent.append(notice)
        return f"m{len(self.sent)}"


@dataclass
class Clock:
    now: float = 1_000.0

    def __call__(self) -> float:
        return self.now


def notifier(store: FakeStore, slack: FakeSlack, mailer: FakeMailer, clock: Clock) -> Notifier:
    return Notifier(store, slack, mailer, webhook_url=lambda: "http://slack", clock=clock)  # type: ignore[arg-type]


NOTICE = new_lead(EventLead(lead_id="L1", first_name="Ada", email="ada@example.com"), source="webform", event_time=None)


def deliver(n: Notifier) -> Delivered:
    return n.deliver(NOTICE, remaining_s=lambda: 30.0)


@pytest.fixture
def parts() -> tuple[FakeStore, FakeSlack, FakeMailer, Clock]:
    return FakeStore(), FakeSlack(), FakeMailer(), Clock()


def test_slack_delivers_and_a_redelivery_posts_nothing(parts: Any) -> None:
    store, slack, mailer, clock = parts
    n = notifier(store, slack, mailer, clock)
    assert deliver(n).channel == "slack"
    assert deliver(n).channel == "already"
    assert len(slack.posts) == 1 and mailer.sent == []
    assert store.state(NOTICE, "slack") == "sent"


@pytest.mark.parametrize(
    "answer",
    [SlackResult(False, 500, "HTTP 500"), SlackResult(False, 429, "rate limited"), SlackResult(False, None, "t", True)],
    ids=["500", "429", "timeout"],
)
def test_slack_failing_sends_one_email_and_redeliveries_send_nothing(parts: Any, answer: SlackResult) -> None:
    store, slack, mailer, clock = parts
    slack.answers.append(answer)
    n = notifier(store, slack, mailer, clock)
    assert deliver(n).channel == "email"
    # a redelivered event finds the email sent: no Slack post, no second email
    assert deliver(n).channel == "already"
    assert len(mailer.sent) == 1 and len(slack.posts) == 1
    assert store.state(NOTICE, "slack") == ("uncertain" if answer.uncertain else "failed")


def test_both_channels_down_asks_for_a_retry_then_slack_again(parts: Any) -> None:
    store, slack, mailer, clock = parts
    slack.answers += [SlackResult(False, 500, "HTTP 500")]
    mailer.down = True
    n = notifier(store, slack, mailer, clock)
    with pytest.raises(DeliveryRetry, match="Slack: HTTP 500; email: SES"):
        deliver(n)
    assert store.state(NOTICE, "email") == "failed"
    # Slack recovers: the retry posts (a definite failure may be tried again)
    assert deliver(n).channel == "slack"
    assert len(slack.posts) == 2 and mailer.sent == []


def test_a_crash_after_posting_never_posts_to_slack_again(parts: Any) -> None:
    store, slack, mailer, clock = parts
    slack.crash_after_post = True
    with pytest.raises(Crash):
        deliver(notifier(store, slack, mailer, clock))
    slack.crash_after_post = False
    # Within the lease the claim is live: the message must come back later
    with pytest.raises(DeliveryRetry, match="another invocation"):
        deliver(notifier(store, slack, mailer, clock))
    # After the lease the outcome is unknown: Slack is not asked again; the email goes instead
    clock.now += store.lease_s + 1
    assert deliver(notifier(store, slack, mailer, clock)).channel == "email"
    assert len(slack.posts) == 1 and len(mailer.sent) == 1
    assert store.state(NOTICE, "slack") == "uncertain"


def test_a_crash_while_emailing_never_emails_twice_and_slack_gets_another_chance(parts: Any) -> None:
    store, slack, mailer, clock = parts
    slack.answers.append(SlackResult(False, 500, "HTTP 500"))

    class CrashingMailer(FakeMailer):
        def send(self, notice: Notice) -> str:
            super().send(notice)
            raise Crash

    crashing = CrashingMailer()
    with pytest.raises(Crash):
        deliver(notifier(store, slack, crashing, clock))
    clock.now += store.lease_s + 1
    # Slack failed for certain, so it may be asked again; the email (outcome unknown) is never repeated
    assert deliver(notifier(store, slack, mailer, clock)).channel == "slack"
    assert len(crashing.sent) == 1 and mailer.sent == []
    assert store.state(NOTICE, "email") == "sending"
    # with Slack down for good, the notice ends uncertain rather than emailed twice
    store.items[(NOTICE.key, "new#slack")].state = State.FAILED
    slack.answers.append(SlackResult(False, 500, "HTTP 500"))
    assert deliver(notifier(store, slack, mailer, clock)).channel == "uncertain"
    assert mailer.sent == [] and store.state(NOTICE, "email") == "uncertain"


def test_a_notice_already_in_a_digest_is_not_posted(parts: Any) -> None:
    store, slack, mailer, clock = parts
    store.items[(NOTICE.key, "new#digest")] = DeliveryRecord(lead_id="L1", delivery="new#digest", state=State.DIGESTED)
    assert deliver(notifier(store, slack, mailer, clock)).channel == "already"
    assert slack.posts == []
