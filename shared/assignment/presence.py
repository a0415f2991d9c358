"""An agent's connections: `$connect` adds one, `$disconnect` removes one and, for the last, starts a grace.

API Gateway closes every connection after 10 idle minutes and after 2 hours, and networks drop
them, so a closed connection is not an agent leaving. With none left, the agent keeps their status
and held email (its expiry unchanged) for the stage's grace, out of the line of free agents; a
grace timer then sets them offline and puts the email back, unless they came back first.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache

from shared.assignment.repository import AssignmentRepository
from shared.assignment.settings import ConnectionsEnv
from shared.assignment.timers import GraceTimers, SqsTimers
from shared.core.clock import iso
from shared.core.models import GraceTimer, User, utc_now
from shared.core.observability import logger
from shared.core.settings import load


@dataclass
class Presence:
    repo: AssignmentRepository
    timers: GraceTimers
    grace_s: int
    now: Callable[[], datetime] = utc_now

    def connect(self, user_id: str, connection_id: str) -> User:
        return self.repo.add_connection(user_id, connection_id, iso(self.now()))

    def disconnect(self, user_id: str, connection_id: str) -> User | None:
        stamp = self.now()
        grace = uuid.uuid4().hex
        user = self.repo.remove_connection(
            user_id, connection_id, iso(stamp), grace=grace, grace_until=iso(stamp + timedelta(seconds=self.grace_s))
        )
        if user is not None and user.grace == grace:
            # a lost timer would leave the agent out of line but not offline: let $disconnect fail loudly
            self.timers.start_grace(GraceTimer(user_id=user_id, grace=grace), self.grace_s)
            logger.info("agent without a connection; grace started", agent=user_id, grace_s=self.grace_s)
        return user


@cache
def presence() -> Presence:
    """The presence of `$connect` and `$disconnect`, built once from their settings (no engine)."""
    env = load(ConnectionsEnv)
    return Presence(
        repo=AssignmentRepository(env.USERS_TABLE, emails_table=""),
        timers=SqsTimers(env.EXPIRY_QUEUE_URL, env.ASSIGNMENT_TIMEOUT_S),
        grace_s=env.AGENT_GRACE_S,
    )
