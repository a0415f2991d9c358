"""The assignment functions' environment (read with `shared.core.settings.load`, once per execution environment).

Only the settings classes: GET /emails and GET /agents read a table name here and build no engine
(`shared.assignment.build` builds the engine, `shared.assignment.presence` the presence)."""

from __future__ import annotations

from shared.core.settings import _Env


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
