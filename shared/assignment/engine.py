"""The assignment engine: the oldest waiting email to the longest-idle online agent, on events only.

It runs when emails become Pending (intake), when an agent turns online, when an agent is freed
by a disposition, and when an assignment expires; nothing polls and nothing is re-queued. Each
pairing's two changes are committed together (see `AssignmentRepository.try_assign_pairs`; a run
commits the pairs it makes at once in one transaction) under conditions that settle every race:
a cancelled one names what was no longer as read (the email, the agent or both), and the engine
goes on with the other candidates it already read; it reads again only when those run out, a
bounded number of times. Every run continues until no email waits or no agent is free, so the last
run to commit leaves nothing pairable.

Concurrent picks in one process can be kept from racing each other for the head of the line by a
claim strategy (`claims`, `shared.assignment.claiming`): each pick claims its candidates first and
tries those no other pick of the process is committing before those one is, so it takes the oldest
email (longest idle agent) left to it. A Lambda instance handles one event at a time and claims
nothing (the default); the local runtime, which runs many at once, gives its own. Picks in other
processes (other Lambda instances) are settled by the transactions, as above.

The timer for an assignment is sent once its transaction committed (a lost attempt sends none),
before the push; when it cannot be sent, the assignment is undone (`release`), so an email never
stays held without a timer because SQS refused. The window left is a function dying between the
commit and the send: the agent holds the email until they disposition it, and sees it again in
their status when they reconnect.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from aws_lambda_powertools.metrics import MetricUnit, single_metric

from shared.assignment.claiming import NO_CLAIMS, EngineClaims
from shared.assignment.push import Pusher
from shared.assignment.repository import (
    AssignmentRepository,
    DisposeOutcome,
    NextEmail,
    Pair,
    idle_key,
)
from shared.assignment.timers import Timers
from shared.core import metric_names
from shared.core.clock import iso
from shared.core.errors import BadInput
from shared.core.models import (
    Assigned,
    Dispositioned,
    Email,
    EmailRecord,
    EmailStatus,
    ErrorReply,
    Expired,
    GraceTimer,
    StatusReply,
    Timer,
    User,
    UserStatus,
    utc_now,
)
from shared.core.observability import logger, metrics

if TYPE_CHECKING:  # the event's model is built at the first disposition it announces, not at the cold start
    from shared.core.models import EmailDispositioned

DISPOSITIONS = (EmailStatus.POSITIVE, EmailStatus.NEUTRAL, EmailStatus.NOT_A_LEAD)
SETTABLE = (UserStatus.ONLINE, UserStatus.AWAY, UserStatus.OFFLINE)
#: puts an email.dispositioned event on the bus
Publish = Callable[["EmailDispositioned"], None]


def new_attempt() -> str:
    return uuid.uuid4().hex


def _ms_between(start: str | None, end: str) -> float | None:
    if not start:
        return None
    return (datetime.fromisoformat(end) - datetime.fromisoformat(start)).total_seconds() * 1000


@dataclass(frozen=True)
class Assignment:
    #: the email as read from the line, before this assignment
    email: EmailRecord
    user_id: str
    attempt: str
    assigned_at: str
    expires_at: str

    def message(self, timeout_s: int) -> Assigned:
        email = self.email.public().model_copy(update={"assigned_to": self.user_id, "assigned_at": self.assigned_at})
        return Assigned(
            email=email,
            attempt=self.attempt,
            assigned_at=self.assigned_at,
            expires_at=self.expires_at,
            timeout_s=timeout_s,
        )


@dataclass
class AssignmentEngine:
    repo: AssignmentRepository
    pusher: Pusher
    timers: Timers
    timeout_s: int
    publish: Publish | None = None
    now: Callable[[], datetime] = utc_now
    #: agents read per round of `run` (and as many emails, plus spares), paired in one transaction
    #: (at most 50: two items a pair, 100 items a transaction)
    batch: int = 25
    #: candidates a disposition tries for the agent's next email before it frees the agent instead
    next_tries: int = 3
    #: lost transactions tolerated in one run before it stops; each is another pick's commit, so the
    #: line moves, and the winners carry on
    max_conflicts: int = 32
    #: keep what this instance assigned in `log` (tests); a Lambda instance keeps nothing
    keep_log: bool = False
    log: list[Assignment] = field(default_factory=list, repr=False)
    #: how concurrent picks of this process keep off each other's candidates (none on Lambda)
    claims: EngineClaims = NO_CLAIMS

    # ------------------------------------------------------------------ pairing

    def _window(self) -> tuple[str, str]:
        stamp = self.now()
        return iso(stamp), iso(stamp + timedelta(seconds=self.timeout_s))

    def run(self) -> list[Assignment]:
        """Pair waiting emails with free agents until one side runs out.

        A round reads up to `batch` free agents (longest idle first) and as many of the oldest
        waiting emails plus spares, and pairs them in order, all the round's pairs in one
        transaction (each pair's conditions as if alone). A cancelled transaction names the lost
        pairs and which side of each was taken: that side leaves the round, a taken email is
        replaced by the next spare, and the rest pair up again in order. Timers go in one batch
        for the round's winners, then the pushes.
        """
        done: list[Assignment] = []
        conflicts = 0
        while conflicts <= self.max_conflicts:
            won: list[tuple[Assignment, list[str]]] = []
            with self.claims.agents.hold() as agent_claims, self.claims.emails.hold() as email_claims:
                # agents another run of this process is pairing are left to it; if it lets one go
                # unpaired, it looks at the line again (`released_skipped` below)
                agents_read = self.claims.agents.clock()
                found = self.repo.idle_agents(self.batch + self.claims.agents.margin())
                agents = agent_claims.claim(found, agents_read, self.batch, skip_claimed=True)
                emails: list[EmailRecord] = []
                if agents:
                    emails_read = self.claims.emails.clock()
                    spares = self.repo.oldest_waiting(len(agents) + self.claims.emails.margin() + 2)
                    emails = email_claims.claim(spares, emails_read, len(agents))
                    spares = [e for e in spares if all(e is not mine for mine in emails)]
                if not emails:
                    agent_claims.release_all()
                    if agent_claims.released_skipped:
                        conflicts += 1
                        continue
                    break
                now, expires = self._window()
                # in order: the oldest email to the longest idle agent, the round's pairs in one
                # transaction; a lost pair says which side was taken: that side leaves the line and
                # the rest pair up again, in order, for the next transaction
                while agents and conflicts <= self.max_conflicts:
                    if len(emails) < len(agents):
                        more = email_claims.claim(spares, emails_read, len(agents) - len(emails))
                        spares = [e for e in spares if all(e is not m for m in more)]
                        emails += more
                        if not emails:
                            break
                    count = min(len(agents), len(emails))
                    pairs = [
                        Pair(email.email_id, agent.user_id, new_attempt(), email.lead_id)
                        for agent, email in zip(agents[:count], emails[:count], strict=True)
                    ]
                    outcome = self.repo.try_assign_pairs(pairs, now, expires)
                    lost = [(i, c) for i, c in enumerate(outcome) if c is not None]
                    if not lost:
                        for agent, email, pair in zip(agents[:count], emails[:count], pairs, strict=True):
                            agent_claims.settle(agent, committed=True)
                            email_claims.settle(email, committed=True)
                            won.append(
                                (
                                    Assignment(email, agent.user_id, pair.attempt, now, expires),
                                    agent.connections,
                                )
                            )
                        del agents[:count], emails[:count]
                        continue
                    conflicts += len(lost)
                    gone_agents: set[int] = set()
                    gone_emails: set[int] = set()
                    for i, conflict in lost:
                        logger.debug(
                            "assignment lost a race",
                            email_id=pairs[i].email_id,
                            email_taken=conflict.email_taken,
                            agent_taken=conflict.agent_taken,
                        )
                        if conflict.agent_taken:
                            agent_claims.settle(agents[i], committed=False)
                            gone_agents.add(i)
                        if conflict.email_taken:
                            email_claims.settle(emails[i], committed=False)
                            gone_emails.add(i)
                    agents = [a for i, a in enumerate(agents) if i not in gone_agents]
                    emails = [e for i, e in enumerate(emails) if i not in gone_emails]
                agent_claims.release_all()
            if agent_claims.released_skipped and not won:
                conflicts += 1
            self._arm([a for a, _ in won])
            for assignment, connections in won:
                if self._deliver(assignment, connections):
                    done.append(assignment)
        return done

    def _arm(self, assignments: Sequence[Assignment]) -> None:
        """The timers of committed assignments; if SQS refuses, the assignments are undone first."""
        if not assignments:
            return
        try:
            self.timers.schedule(
                [Timer(email_id=a.email.email_id, user_id=a.user_id, attempt=a.attempt) for a in assignments]
            )
        except Exception:
            logger.exception("assignment timers could not be sent; the assignments are undone")
            for a in assignments:
                self.repo.release(a.email.email_id, a.user_id, a.attempt, iso(self.now()))
            raise

    def _deliver(self, assignment: Assignment, connections: list[str], *, skip: str | None = None) -> bool:
        """Push to every connection of the agent; nobody reachable means the email goes straight back."""
        if self.keep_log:
            self.log.append(assignment)
        latency = _ms_between(assignment.email.pending_since, assignment.assigned_at)
        if latency is not None:
            metrics.add_metric(
                name=metric_names.ASSIGNMENT_LATENCY, unit=MetricUnit.Milliseconds, value=max(0.0, latency)
            )
        logger.info(
            "email assigned",
            email_id=assignment.email.email_id,
            agent=assignment.user_id,
            attempt=assignment.attempt,
        )
        delivered = 1 if skip else 0
        message = assignment.message(self.timeout_s)
        for connection in connections:
            if connection == skip:
                continue
            if self.pusher.send(connection, message):
                delivered += 1
            else:
                self.repo.remove_connection(assignment.user_id, connection, iso(self.now()))
        if delivered:
            return True
        logger.info("agent unreachable; email goes back", agent=assignment.user_id)
        self.repo.take_back(
            assignment.email.email_id, assignment.user_id, assignment.attempt, UserStatus.OFFLINE, iso(self.now())
        )
        return False

    # ------------------------------------------------------------------ agents

    def connect(self, user_id: str, connection_id: str) -> None:
        self.repo.add_connection(user_id, connection_id, iso(self.now()))

    def disconnect(self, user_id: str, connection_id: str) -> None:
        self.repo.remove_connection(user_id, connection_id, iso(self.now()))

    def resume(self, user_id: str, connection_id: str) -> StatusReply:
        """A client (re)connected: the agent's state, and an online agent back in the line of free agents.

        The grace kept the status and the held email (with its expiry) but took the agent out of the
        line; coming back online puts them in again at their old place (`last_assigned_at`).
        """
        user = self.repo.get_user(user_id)
        if user is None or connection_id not in user.connections:
            user = self.repo.add_connection(user_id, connection_id, iso(self.now()))
        if user.status in (UserStatus.ONLINE, UserStatus.BUSY):
            return self.set_status(user_id, UserStatus.ONLINE.value, connection_id)
        return self.state(user_id)

    def end_grace(self, timer: GraceTimer) -> bool:
        """The agent did not come back within the grace: offline, and a held email back at its place."""
        user = self.repo.get_user(timer.user_id)
        if user is None or user.grace != timer.grace or user.connections:
            return False
        held = user.current_email_id
        if held:
            done = self.repo.take_back(
                held,
                timer.user_id,
                str(user.current_attempt),
                UserStatus.OFFLINE,
                iso(self.now()),
                grace=timer.grace,
            )
        else:
            done = self.repo.end_grace(timer.user_id, timer.grace)
        if done:
            logger.info("agent did not come back; offline", agent=timer.user_id, email_id=held)
            metrics.add_metric(name=metric_names.AGENT_GRACE_ENDED, unit=MetricUnit.Count, value=1)
        return done

    def state(self, user_id: str, *, note: str | None = None) -> StatusReply:
        """The agent's status and current email, as a `status` message."""
        user = self.repo.get_user(user_id) or User(user_id=user_id, status=UserStatus.OFFLINE)
        return self._status_message(user, note=note)

    def _status_message(self, user: User, *, email: Email | None = None, note: str | None = None) -> StatusReply:
        current = user.current_email_id
        if email is None and current:
            email = self.repo.get_email(current)
        return StatusReply(
            status=user.status,
            email=email.public() if email else None,
            expires_at=email.expires_at if email else None,
            timeout_s=self.timeout_s,
            attempt=user.current_attempt if email and user.current_attempt else None,
            message=note or None,
        )

    def set_status(self, user_id: str, wanted: str, connection_id: str) -> StatusReply:
        try:
            status = UserStatus(wanted)
        except ValueError:
            status = None
        if status not in SETTABLE:
            raise BadInput(f"status must be one of {', '.join(s.value for s in SETTABLE)}; got {wanted!r}")
        assert status is not None
        user = self.repo.get_user(user_id)
        if user is None or connection_id not in user.connections:
            # the $connect record is missing (e.g. a table restored): take the connection in again
            user = self.repo.add_connection(user_id, connection_id, iso(self.now()))
        current = user.current_email_id
        if status is UserStatus.ONLINE:
            if current:
                self.repo.mark_busy(user_id, current)
                return self.state(user_id, note="you still hold this email")
            last = user.last_assigned_at or iso(self.now())
            if not self.repo.make_available(user_id, idle_key(last, user_id)):
                return self.state(user_id)
            mine = [a for a in self.run() if a.user_id == user_id]
            if mine:
                busy = user.model_copy(
                    update={
                        "status": UserStatus.BUSY,
                        "current_email_id": mine[0].email.email_id,
                        "current_attempt": mine[0].attempt,
                    }
                )
                email = mine[0].email.model_copy(update={"assigned_to": user_id, "expires_at": mine[0].expires_at})
                return self._status_message(busy, email=email)
            return self._status_message(user.model_copy(update={"status": UserStatus.ONLINE}))
        # away or offline: an email in hand goes back to the line, at its place
        if not current and self.repo.make_unavailable(user_id, status):
            return self._status_message(User(user_id=user_id, status=status))
        fresh = self.repo.get_user(user_id)
        held = fresh.current_email_id if fresh else None
        attempt = str(fresh.current_attempt if fresh else None)
        if held and self.repo.take_back(held, user_id, attempt, status, iso(self.now())):
            self.run()
            return self._status_message(
                User(user_id=user_id, status=status), note="the email you held went back to the queue"
            )
        return self.state(user_id)

    # ------------------------------------------------------------------ dispositions

    def dispose(self, user_id: str, email_id: str, wanted: str, connection_id: str) -> Dispositioned | ErrorReply:
        try:
            disposition = EmailStatus(wanted)
        except ValueError:
            disposition = None
        if disposition not in DISPOSITIONS:
            raise BadInput(f"disposition must be one of {', '.join(d.value for d in DISPOSITIONS)}; got {wanted!r}")
        assert disposition is not None
        user = self.repo.get_user(user_id)
        if user is None or user.current_email_id != email_id:
            return self._refusal(user_id, email_id)
        # Free again with emails waiting: every other online agent is busy (else the engine would
        # have paired them), so this agent is the longest idle; the next email goes in the same
        # transaction. A race with an agent just turning online is settled by the conditions.
        assigned: Assignment | None = None
        with self.claims.emails.hold() as claims:
            found: list[EmailRecord] = []
            read_at = self.claims.emails.clock()
            if user.status is UserStatus.BUSY:
                found = self.repo.oldest_waiting(self.claims.emails.margin() + self.next_tries + 1)
                # the email itself may be back in line (its timer fired meanwhile): never pair it with itself
                found = [c for c in found if c.email_id != email_id]
            now, expires = self._window()
            tries = 0
            while True:
                # the oldest no concurrent pick of this process is taking; a lost one tries the next
                candidate = None
                if tries < self.next_tries:
                    chosen = claims.claim(found, read_at)
                    if chosen:
                        candidate = chosen[0]
                        found = found[next(i for i, c in enumerate(found) if c is candidate) + 1 :]
                        tries += 1
                next_email = None
                if candidate is not None:
                    next_email = NextEmail(candidate.email_id, new_attempt(), expires, candidate.lead_id)
                outcome = self.repo.dispose(
                    user=user, email_id=email_id, disposition=disposition, now=now, next_email=next_email
                )
                if candidate is not None:
                    claims.settle(candidate, committed=outcome is DisposeOutcome.DONE)
                if outcome is DisposeOutcome.REFUSED:
                    return self._refusal(user_id, email_id)
                if outcome is DisposeOutcome.DONE:
                    if candidate is not None and next_email is not None:
                        assigned = Assignment(candidate, user_id, next_email.attempt, now, expires)
                    break
        if assigned is not None:
            try:
                self._arm([assigned])
            except Exception:  # undone: the disposition stands, the agent is free and the engine runs
                assigned = None
        held_ms = _ms_between(user.current_assigned_at, now)
        if held_ms is not None:
            metrics.add_metric(
                name=metric_names.TIME_TO_DISPOSITION, unit=MetricUnit.Milliseconds, value=max(0.0, held_ms)
            )
        logger.info("email dispositioned", email_id=email_id, agent=user_id, disposition=disposition.value)
        if self.publish is not None:
            from shared.core.models import EmailDispositioned

            self.publish(
                EmailDispositioned(
                    email_id=email_id, lead_id=user.current_lead_id, disposition=disposition.value, agent=user_id
                )
            )
        if assigned is None:
            self.run()
            return Dispositioned(email_id=email_id, disposition=disposition)
        # the caller gets it in the reply; the agent's other connections by push
        others = [c for c in user.connections if c != connection_id]
        self._deliver(assigned, [connection_id, *others], skip=connection_id)
        return Dispositioned(email_id=email_id, disposition=disposition, assigned=assigned.message(self.timeout_s))

    def _refusal(self, user_id: str, email_id: str) -> ErrorReply:
        email = self.repo.get_email(email_id)
        if email is None:
            message = f"there is no email {email_id}"
        elif email.status is not EmailStatus.PENDING:
            message = f"email {email_id} was already dispositioned as {email.status.value!r}"
        elif email.assigned_to != user_id:
            message = (
                f"email {email_id} is not yours any more: the time to act ran out, it went back to the queue "
                "and you were set offline; go online to get the next email"
                if email.assigned_to is None or email.expiries
                else f"email {email_id} is assigned to another agent"
            )
        else:
            message = f"email {email_id} changed while you answered; try again"
        logger.info("disposition refused", email_id=email_id, agent=user_id, reason=message)
        return ErrorReply(action="disposition", email_id=email_id, message=message)

    # ------------------------------------------------------------------ expiry

    def still_held(self, timers: Sequence[Timer]) -> list[Timer]:
        """Those of `timers` whose assignment still holds its email (one read for up to 100 timers)."""
        held = self.repo.held_attempts(t.email_id for t in timers)
        return [t for t in timers if held.get(t.email_id) == (t.user_id, t.attempt)]

    def expire(self, timer: Timer) -> bool:
        """Take the email back if this very assignment still holds it; the agent goes offline."""
        if not self.repo.take_back(timer.email_id, timer.user_id, timer.attempt, UserStatus.OFFLINE, iso(self.now())):
            return False
        logger.info("assignment expired", email_id=timer.email_id, agent=timer.user_id)
        metrics.add_metric(name=metric_names.ASSIGNMENT_EXPIRED, unit=MetricUnit.Count, value=1)
        self._count_expiry(timer.user_id)
        user = self.repo.get_user(timer.user_id)
        message = Expired(
            email_id=timer.email_id,
            status=UserStatus.OFFLINE,
            message=f"you did not act within {self.timeout_s} s: the email went back to the queue "
            "and you are now offline",
        )
        for connection in user.connections if user else []:
            if not self.pusher.send(connection, message):
                self.repo.remove_connection(timer.user_id, connection, iso(self.now()))
        return True

    @staticmethod
    def _count_expiry(user_id: str) -> None:
        with single_metric(
            name=metric_names.EXPIRIES_PER_AGENT, unit=MetricUnit.Count, value=1, namespace=metric_names.NAMESPACE
        ) as metric:
            metric.add_dimension(name="agent", value=user_id)
