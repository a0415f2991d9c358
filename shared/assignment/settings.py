"""The assignment functions' environment, read once, and the engine built from it."""

from __future__ import annotations

from functools import cache

from shared.assignment.claiming import NO_CLAIMS, EngineClaims
from shared.assignment.engine import AssignmentEngine, Publish
from shared.assignment.presence import Presence
from shared.assignment.push import ApiGatewayPusher
from shared.assignment.repository import AssignmentRepository
from shared.assignment.timers import SqsTimers
from shared.core.events import publish
from shared.core.models import EmailDispositioned
from shared.core.settings import _Env, load

EVENT_SOURCE = "leadflow.assignment"
DISPOSITIONED = "email.dispositioned"


class UsersEnv(_Env):
    USERS_TABLE: str


class EmailsEnv(_Env):
    EMAILS_TABLE: str


class EngineEnv(UsersEnv, EmailsEnv):
    EXPIRY_QUEUE_URL: str
    ASSIGNMENT_TIMEOUT_S: int
    WEBSOCKET_ENDPOINT: str


class ConnectionsEnv(UsersEnv):
    EXPIRY_QUEUE_URL: str
    #: how long an agent without a connection keeps status and held email (the stage's `agent_grace_s`)
    AGENT_GRACE_S: int
    ASSIGNMENT_TIMEOUT_S: int


class MessagesEnv(EngineEnv):
    EVENT_BUS: str


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


@cache
def presence() -> Presence:
    env = load(ConnectionsEnv)
    return Presence(
        repo=AssignmentRepository(env.USERS_TABLE, emails_table=""),
        timers=SqsTimers(env.EXPIRY_QUEUE_URL, env.ASSIGNMENT_TIMEOUT_S),
        grace_s=env.AGENT_GRACE_S,
    )
