"""The engine of the functions that assign, built once from their settings."""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING

from shared.assignment.claiming import NO_CLAIMS, EngineClaims
from shared.assignment.engine import AssignmentEngine, Publish
from shared.assignment.push import ApiGatewayPusher
from shared.assignment.repository import AssignmentRepository
from shared.assignment.settings import EngineEnv, MessagesEnv
from shared.assignment.timers import SqsTimers
from shared.core.events import publish
from shared.core.settings import load

if TYPE_CHECKING:
    from shared.core.models import EmailDispositioned

EVENT_SOURCE = "leadflow.assignment"
DISPOSITIONED = "email.dispositioned"


def _publisher(bus: str) -> Publish:
    def emit(detail: EmailDispositioned) -> None:
        publish(bus, EVENT_SOURCE, DISPOSITIONED, [detail.model_dump(mode="json")])

    return emit


#: how concurrent picks in this process keep off each other's candidates: nothing on Lambda (one
#: event at a time per instance); the local runtime, which runs many at once, sets its own
_claims: EngineClaims = NO_CLAIMS


def use_claims(claims: EngineClaims) -> None:
    """The claim strategy of every engine built from now on (call before the first handler runs)."""
    global _claims
    _claims = claims
    engine.cache_clear()


@cache
def engine(*, with_events: bool = False) -> AssignmentEngine:
    env = load(EngineEnv)
    return AssignmentEngine(
        repo=AssignmentRepository(env.USERS_TABLE, env.EMAILS_TABLE),
        pusher=ApiGatewayPusher(env.WEBSOCKET_ENDPOINT),
        timers=SqsTimers(env.EXPIRY_QUEUE_URL, env.ASSIGNMENT_TIMEOUT_S),
        timeout_s=env.ASSIGNMENT_TIMEOUT_S,
        publish=_publisher(load(MessagesEnv).EVENT_BUS) if with_events else None,
        keep_log=False,
        claims=_claims,
    )
