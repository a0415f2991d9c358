"""Assignment: agents on a WebSocket, the oldest pending email to the longest-idle online agent.

Wiring of the assignment domain; `leadflow.wiring` assembles it with the other domains.

Two sparse indexes carry the engine's two picks, so neither is ever a Scan:
- emails `queue`: only Pending emails that nobody holds have the attribute `queue`; the sort key
  `queue_key` is `received_at#email_id`, so the first item is the oldest email waiting. An email
  taken back gets `queue` again with the same `queue_key`: it keeps its place in line.
- users `available`: only online agents holding nothing have `available`; the sort key `idle_key`
  is `last_assigned_at#user_id`, so the first item is the agent who has waited longest.
"""

from __future__ import annotations

from leadflow.wiring.model import (
    POWERTOOLS_ENV,
    REST_TIMEOUT_S,
    SCOPES_ENV,
    Bucket,
    Bus,
    BusName,
    EnvRef,
    EventRule,
    Function,
    Grant,
    Index,
    Queue,
    QueueUrl,
    RoleName,
    Route,
    Secret,
    Setting,
    SqsSource,
    Table,
    TableName,
    Topic,
    WebSocketAuthorizer,
    WebSocketEndpoint,
    WebSocketRoute,
)

QUEUES: tuple[Queue, ...] = (
    # lead.enriched events: leads whose rows carry a message become Emails
    Queue("assignment-intake", "assignment"),
    # one delayed message per assignment (DelaySeconds = the stage's assignment timeout), and one per
    # agent left without a connection (DelaySeconds = the stage's grace)
    Queue("assignment-expiry", "assignment"),
)
TABLES: tuple[Table, ...] = (
    Table(
        "users",
        "assignment",
        pk="user_id",
        indexes=(Index("available", pk="available", sk="idle_key"), Index("agents", pk="kind", sk="user_id")),
    ),
    Table(
        "emails",
        "assignment",
        pk="email_id",
        # `queue`: waiting for an agent; `open`: every Pending email (held or not), for the admin's view
        indexes=(Index("queue", pk="queue", sk="queue_key"), Index("open", pk="open", sk="queue_key")),
    ),
)
TOPICS: tuple[Topic, ...] = ()
RULES: tuple[EventRule, ...] = (
    EventRule(
        "assignment-leads", "assignment", bus="events", detail_types=("lead.enriched",), queue="assignment-intake"
    ),
    # a revoked token's open WebSocket connections are closed (DeleteConnection) by assign-intake
    EventRule(
        "assignment-tokens", "assignment", bus="events", detail_types=("token.revoked",), queue="assignment-intake"
    ),
)

#: who may hold an agent's connection and use its routes: agents, and admins (who may do everything)
_AGENTS: tuple[RoleName, ...] = ("admin", "agent")

#: what every function that runs the engine needs
_ENGINE: dict[str, EnvRef] = {
    **POWERTOOLS_ENV,
    "USERS_TABLE": TableName("users"),
    "EMAILS_TABLE": TableName("emails"),
    "EXPIRY_QUEUE_URL": QueueUrl("assignment-expiry"),
    "ASSIGNMENT_TIMEOUT_S": Setting("assignment_timeout_s"),
    "WEBSOCKET_ENDPOINT": WebSocketEndpoint(),
}
_ENGINE_GRANTS: tuple[Grant, ...] = (
    Grant("table", "users", "read_write"),
    Grant("table", "emails", "read_write"),
    Grant("queue", "assignment-expiry", "send"),
)

BUCKETS: tuple[Bucket, ...] = ()

SECRETS: tuple[Secret, ...] = ()

BUSES: tuple[Bus, ...] = ()

FUNCTIONS: tuple[Function, ...] = (
    Function(
        "ws-authorizer",
        "assignment",
        "lambdas.assignment.ws_authorizer.handler.handler",
        "WebSocket $connect: checks the token in the query string; agents and admins get in; the "
        "connection is recorded on the token (a revocation closes it)",
        env={**POWERTOOLS_ENV, **SCOPES_ENV, "TOKENS_TABLE": TableName("tokens")},
        triggers=(WebSocketAuthorizer(query_parameter="token"),),
        grants=(Grant("table", "tokens", "read_write"),),
        timeout_s=5,
        memory_mb=256,
    ),
    Function(
        "ws-connections",
        "assignment",
        "lambdas.assignment.ws_connections.handler.handler",
        "WebSocket $connect/$disconnect: the agent's connections; with none left a grace, then offline",
        env={
            "USERS_TABLE": TableName("users"),
            **POWERTOOLS_ENV,
            **SCOPES_ENV,
            "EXPIRY_QUEUE_URL": QueueUrl("assignment-expiry"),
            "AGENT_GRACE_S": Setting("agent_grace_s"),
            "ASSIGNMENT_TIMEOUT_S": Setting("assignment_timeout_s"),
        },
        triggers=(WebSocketRoute("$connect", roles=_AGENTS), WebSocketRoute("$disconnect", roles=_AGENTS)),
        grants=(Grant("table", "users", "read_write"), Grant("queue", "assignment-expiry", "send")),
        timeout_s=10,
        memory_mb=256,
    ),
    Function(
        "ws-messages",
        "assignment",
        "lambdas.assignment.ws_messages.handler.handler",
        "WebSocket messages (setStatus, disposition, resume, ping): answers the caller, runs the assignment engine",
        # closes the connection of a token that expired while it was open
        env={
            **_ENGINE,
            **SCOPES_ENV,
            "EVENT_BUS": BusName("events"),
            "WEBSOCKET_ENDPOINT": WebSocketEndpoint(close=True),
        },
        triggers=(
            WebSocketRoute("setStatus", reply=True, roles=_AGENTS),
            WebSocketRoute("disposition", reply=True, roles=_AGENTS),
            WebSocketRoute("resume", reply=True, roles=_AGENTS),
            WebSocketRoute("ping", reply=True, roles=_AGENTS),
            WebSocketRoute("$default", reply=True, roles=_AGENTS),
        ),
        grants=(*_ENGINE_GRANTS, Grant("bus", "events", "publish")),
        timeout_s=15,
        memory_mb=512,
    ),
    Function(
        "assign-intake",
        "assignment",
        "lambdas.assignment.assign_intake.handler.handler",
        "lead.enriched events: a lead whose row carries a message becomes a Pending email; then assigns. "
        "token.revoked events: the token's WebSocket connections are closed",
        # closes a revoked token's connections
        env={**_ENGINE, "WEBSOCKET_ENDPOINT": WebSocketEndpoint(close=True)},
        triggers=(SqsSource("assignment-intake", batch_size=10),),
        grants=(*_ENGINE_GRANTS, Grant("queue", "assignment-intake", "consume")),
        timeout_s=60,
    ),
    Function(
        "assign-expiry",
        "assignment",
        "lambdas.assignment.assign_expiry.handler.handler",
        "Assignment and grace timers: an email still held by the same attempt (or by an agent who did not "
        "come back) goes back in line; agent offline",
        env=_ENGINE,
        triggers=(SqsSource("assignment-expiry", batch_size=10),),
        grants=(*_ENGINE_GRANTS, Grant("queue", "assignment-expiry", "consume")),
        timeout_s=60,
    ),
    Function(
        "emails",
        "assignment",
        "lambdas.assignment.emails.handler.handler",
        "GET /emails?status=Pending: the queue in received order, with who holds each (admin)",
        env={**POWERTOOLS_ENV, **SCOPES_ENV, "EMAILS_TABLE": TableName("emails")},
        triggers=(Route("GET", "/emails", roles=("admin",)),),
        grants=(Grant("table", "emails", "read"),),
        memory_mb=256,
        timeout_s=REST_TIMEOUT_S,
    ),
    Function(
        "agents",
        "assignment",
        "lambdas.assignment.agents.handler.handler",
        "GET /agents: every agent with status, connections and current email (admin)",
        env={**POWERTOOLS_ENV, **SCOPES_ENV, "USERS_TABLE": TableName("users")},
        triggers=(Route("GET", "/agents", roles=("admin",)),),
        grants=(Grant("table", "users", "read"),),
        memory_mb=256,
        timeout_s=REST_TIMEOUT_S,
    ),
)
