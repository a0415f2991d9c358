"""The assignment engine: the oldest waiting email to the longest-idle online agent, on events only.

It runs when emails become Pending (intake), when an agent turns online, when an agent is freed
by a disposition, and when an assignment expires; nothing polls and nothing is re-queued. Each
pairing is one transaction (see `AssignmentRepository.assign`); a cancelled one means another run
won, so the engine picks again from fresh reads, a bounded number of times. Every run continues
until no email waits or no agent is free, so the last run to commit leaves nothing pairable.

The timer for an assignment is sent before its transaction: if the function dies between the two,
the email still comes back; a timer whose transaction never committed finds nothing and does nothing.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit, single_metric

from shared.assignment.intake import iso, public_email
from shared.assignment.push import Pusher
from shared.assignment.repository import AssignmentRepository, DisposeOutcome, NextEmail, idle_key
from shared.assignment.timers import Timer, Timers
from shared.errors import BadInput
from shared.models import EmailStatus, UserStatus, utc_now
from shared.observability import logger, metrics

DISPOSITIONS = (EmailStatus.POSITIVE, EmailStatus.NEUTRAL, EmailStatus.NOT_A_LEAD)
SETTABLE = (UserStatus.ONLINE, UserStatus.AWAY, UserStatus.OFFLINE)
Publish = Callable[[dict[str, Any]], None]


def new_attempt() -> str:
    return uuid.uuid4().hex


def _ms_between(start: str | None, end: str) -> float | None:
    if not start:
        return None
    return (datetime.fromisoformat(end) - datetime.fromisoformat(start)).total_seconds() * 1000


@dataclass(frozen=True)
class Assignment:
    email: dict[str, Any]
    user_id: str
    attempt: str
    assigned_at: str
    expires_at: str

    def message(self, timeout_s: int) -> dict[str, Any]:
        return {
            "type": "assigned",
            "email": {**public_email(self.email), "assigned_to": self.user_id, "assigned_at": self.assigned_at},
            "attempt": self.attempt,
            "assigned_at": self.assigned_at,
            "expires_at": self.expires_at,
            "timeout_s": timeout_s,
        }


@dataclass
class AssignmentEngine:
    repo: AssignmentRepository
    pusher: Pusher
    timers: Timers
    timeout_s: int
    publish: Publish | None = None
    now: Callable[[], datetime] = utc_now
    #: emails and agents read per round
    batch: int = 10
    #: lost transactions tolerated in one run before it stops (the winners carry on)
    max_conflicts: int = 8
    #: keep what this instance assigned in `log` (tests); a Lambda instance keeps nothing
    keep_log: bool = False
    log: list[Assignment] = field(default_factory=list, repr=False)

    # ------------------------------------------------------------------ pairing

    def run(self) -> list[Assignment]:
        """Pair waiting emails with free agents until one side runs out."""
        done: list[Assignment] = []
        conflicts = 0
        while conflicts <= self.max_conflicts:
            agents = self.repo.idle_agents(self.batch)
            if not agents:
                break
            emails = self.repo.oldest_waiting(len(agents))
            if not emails:
                break
            stamp = self.now()
            now, expires = iso(stamp), iso(stamp + timedelta(seconds=self.timeout_s))
            plans = [(email, agent, new_attempt()) for email, agent in zip(emails, agents, strict=False)]
            self.timers.schedule([Timer(e["email_id"], a["user_id"], attempt) for e, a, attempt in plans])
            for email, agent, attempt in plans:
                if not self.repo.assign(
                    email["email_id"], agent["user_id"], attempt, now, expires, email.get("lead_id")
                ):
                    conflicts += 1
                    logger.debug("assignment lost a race; picking again", email_id=email["email_id"])
                    break
                assignment = Assignment(email, agent["user_id"], attempt, now, expires)
                if self._deliver(assignment, agent.get("connections") or []):
                    done.append(assignment)
        return done

    def _deliver(self, assignment: Assignment, connections: list[str], *, skip: str | None = None) -> bool:
        """Push to every connection of the agent; nobody reachable means the email goes straight back."""
        if self.keep_log:
            self.log.append(assignment)
        latency = _ms_between(assignment.email.get("pending_since"), assignment.assigned_at)
        if latency is not None:
            metrics.add_metric(name="PendingToAssignedMs", unit=MetricUnit.Milliseconds, value=max(0.0, latency))
        logger.info(
            "email assigned",
            email_id=assignment.email["email_id"],
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
            assignment.email["email_id"], assignment.user_id, assignment.attempt, UserStatus.OFFLINE, iso(self.now())
        )
        return False

    # ------------------------------------------------------------------ agents

    def connect(self, user_id: str, connection_id: str) -> None:
        self.repo.add_connection(user_id, connection_id, iso(self.now()))

    def disconnect(self, user_id: str, connection_id: str) -> None:
        self.repo.remove_connection(user_id, connection_id, iso(self.now()))

    def state(self, user_id: str, *, note: str | None = None) -> dict[str, Any]:
        """The agent's status and current email, as a `status` message."""
        user = self.repo.get_user(user_id) or {"user_id": user_id, "status": UserStatus.OFFLINE.value}
        return self._status_message(user, note=note)

    def _status_message(
        self, user: Mapping[str, Any], *, email: Mapping[str, Any] | None = None, note: str | None = None
    ) -> dict[str, Any]:
        current = user.get("current_email_id")
        if email is None and current:
            email = self.repo.get_email(str(current))
        message: dict[str, Any] = {
            "type": "status",
            "status": user.get("status", UserStatus.OFFLINE.value),
            "email": public_email(email) if email else None,
            "expires_at": email.get("expires_at") if email else None,
            "timeout_s": self.timeout_s,
        }
        if email and user.get("current_attempt"):
            message["attempt"] = user["current_attempt"]
        if note:
            message["message"] = note
        return message

    def set_status(self, user_id: str, wanted: str, connection_id: str) -> dict[str, Any]:
        try:
            status = UserStatus(wanted)
        except ValueError:
            status = None
        if status not in SETTABLE:
            raise BadInput(f"status must be one of {', '.join(s.value for s in SETTABLE)}; got {wanted!r}")
        assert status is not None
        user = self.repo.get_user(user_id)
        if user is None or connection_id not in (user.get("connections") or []):
            # the $connect record is missing (e.g. a table restored): take the connection in again
            user = self.repo.add_connection(user_id, connection_id, iso(self.now()))
        current = user.get("current_email_id")
        if status is UserStatus.ONLINE:
            if current:
                self.repo.mark_busy(user_id, str(current))
                return self.state(user_id, note="you still hold this email")
            last = str(user.get("last_assigned_at") or iso(self.now()))
            if not self.repo.make_available(user_id, idle_key(last, user_id)):
                return self.state(user_id)
            mine = [a for a in self.run() if a.user_id == user_id]
            if mine:
                busy = {
                    **user,
                    "status": UserStatus.BUSY.value,
                    "current_email_id": mine[0].email["email_id"],
                    "current_attempt": mine[0].attempt,
                }
                email = {**mine[0].email, "assigned_to": user_id, "expires_at": mine[0].expires_at}
                return self._status_message(busy, email=email)
            return self._status_message({**user, "status": UserStatus.ONLINE.value})
        # away or offline: an email in hand goes back to the line, at its place
        if not current and self.repo.make_unavailable(user_id, status):
            return self._status_message({"status": status.value})
        fresh = self.repo.get_user(user_id) or {}
        held = fresh.get("current_email_id")
        attempt = str(fresh.get("current_attempt"))
        if held and self.repo.take_back(str(held), user_id, attempt, status, iso(self.now())):
            self.run()
            return self._status_message({"status": status.value}, note="the email you held went back to the queue")
        return self.state(user_id)

    # ------------------------------------------------------------------ dispositions

    def dispose(self, user_id: str, email_id: str, wanted: str, connection_id: str) -> dict[str, Any]:
        try:
            disposition = EmailStatus(wanted)
        except ValueError:
            disposition = None
        if disposition not in DISPOSITIONS:
            raise BadInput(f"disposition must be one of {', '.join(d.value for d in DISPOSITIONS)}; got {wanted!r}")
        assert disposition is not None
        user = self.repo.get_user(user_id)
        if not user or user.get("current_email_id") != email_id:
            return self._refusal(user_id, email_id)
        # Free again with emails waiting: every other online agent is busy (else the engine would
        # have paired them), so this agent is the longest idle; the next email goes in the same
        # transaction. A race with an agent just turning online is settled by the conditions.
        candidates = self.repo.oldest_waiting(2) if user.get("status") == UserStatus.BUSY.value else []
        # the email itself may be back in line (its timer fired meanwhile): never pair it with itself
        candidates = [c for c in candidates if c["email_id"] != email_id]
        stamp = self.now()
        now, expires = iso(stamp), iso(stamp + timedelta(seconds=self.timeout_s))
        assigned: Assignment | None = None
        for candidate in [*candidates, None]:
            next_email = None
            if candidate is not None:
                next_email = NextEmail(candidate["email_id"], new_attempt(), expires, candidate.get("lead_id"))
                self.timers.schedule([Timer(next_email.email_id, user_id, next_email.attempt)])
            outcome = self.repo.dispose(
                user=user, email_id=email_id, disposition=disposition, now=now, next_email=next_email
            )
            if outcome is DisposeOutcome.REFUSED:
                return self._refusal(user_id, email_id)
            if outcome is DisposeOutcome.DONE:
                if candidate is not None and next_email is not None:
                    assigned = Assignment(candidate, user_id, next_email.attempt, now, expires)
                break
        held_ms = _ms_between(str(user.get("current_assigned_at") or ""), now)
        if held_ms is not None:
            metrics.add_metric(name="TimeToDispositionMs", unit=MetricUnit.Milliseconds, value=max(0.0, held_ms))
        logger.info("email dispositioned", email_id=email_id, agent=user_id, disposition=disposition.value)
        if self.publish is not None:
            self.publish(
                {
                    "email_id": email_id,
                    "lead_id": user.get("current_lead_id"),
                    "disposition": disposition.value,
                    "agent": user_id,
                }
            )
        reply: dict[str, Any] = {"type": "dispositioned", "email_id": email_id, "disposition": disposition.value}
        if assigned is not None:
            # the caller gets it in the reply; the agent's other connections by push
            others = [c for c in (user.get("connections") or []) if c != connection_id]
            self._deliver(assigned, [connection_id, *others], skip=connection_id)
            reply["assigned"] = assigned.message(self.timeout_s)
        else:
            self.run()
        return reply

    def _refusal(self, user_id: str, email_id: str) -> dict[str, Any]:
        email = self.repo.get_email(email_id)
        if email is None:
            message = f"there is no email {email_id}"
        elif email.get("status") != EmailStatus.PENDING.value:
            message = f"email {email_id} was already dispositioned as {email['status']!r}"
        elif email.get("assigned_to") != user_id:
            message = (
                f"email {email_id} is not yours any more: the time to act ran out, it went back to the queue "
                "and you were set offline; go online to get the next email"
                if email.get("assigned_to") is None or email.get("expiries")
                else f"email {email_id} is assigned to another agent"
            )
        else:
            message = f"email {email_id} changed while you answered; try again"
        logger.info("disposition refused", email_id=email_id, agent=user_id, reason=message)
        return {"type": "error", "action": "disposition", "email_id": email_id, "message": message}

    # ------------------------------------------------------------------ expiry

    def expire(self, timer: Timer) -> bool:
        """Take the email back if this very assignment still holds it; the agent goes offline."""
        if not self.repo.take_back(timer.email_id, timer.user_id, timer.attempt, UserStatus.OFFLINE, iso(self.now())):
            return False
        logger.info("assignment expired", email_id=timer.email_id, agent=timer.user_id)
        metrics.add_metric(name="AssignmentExpired", unit=MetricUnit.Count, value=1)  # the name the alarm watches
        self._count_expiry(timer.user_id)
        user = self.repo.get_user(timer.user_id) or {}
        message = {
            "type": "expired",
            "email_id": timer.email_id,
            "status": UserStatus.OFFLINE.value,
            "message": f"you did not act within {self.timeout_s} s: the email went back to the queue "
            "and you are now offline",
        }
        for connection in user.get("connections") or []:
            if not self.pusher.send(connection, message):
                self.repo.remove_connection(timer.user_id, connection, iso(self.now()))
        return True

    @staticmethod
    def _count_expiry(user_id: str) -> None:
        with single_metric(name="ExpiriesPerAgent", unit=MetricUnit.Count, value=1, namespace="Leadflow") as metric:
            metric.add_dimension(name="agent", value=user_id)
