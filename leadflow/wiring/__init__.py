"""The one source of truth for wiring: which resources exist, which function runs on which
trigger, with which environment and which permissions.

The CDK stacks (`stacks/`) and the local runtime (`leadflow/local/`) both read this package; a
test proves that the synthesized templates and the local runtime agree. Nothing here imports
CDK or boto3, so the local runtime and the CLI stay light.

- `model`: the vocabulary (resources, environment references, triggers, grants, functions);
- one module per domain, by the same word as `lambdas/<domain>/` and `shared/<domain>/`:
  `ingestion`, `enrichment`, `phone`, `forms`, `assignment`, `notification`.

This module only assembles the parts (no part imports another, nothing is appended to).
"""

from __future__ import annotations

import json
from types import ModuleType

from leadflow.wiring import assignment, enrichment, forms, ingestion, notification, phone
from leadflow.wiring.model import *  # noqa: F403  (the vocabulary, re-exported: `wiring.Function`, ...)
from leadflow.wiring.model import (
    Bucket,
    Bus,
    EventRule,
    Function,
    Queue,
    RestAuthorizer,
    Route,
    Secret,
    Table,
    Topic,
    WebSocketAuthorizer,
    WebSocketRoute,
)

#: in this order the functions, tables and queues are declared (and synthesized)
PARTS: tuple[ModuleType, ...] = (ingestion, enrichment, phone, assignment, notification, forms)

QUEUES: tuple[Queue, ...] = tuple(q for part in PARTS for q in part.QUEUES)
TABLES: tuple[Table, ...] = tuple(t for part in PARTS for t in part.TABLES)
BUCKETS: tuple[Bucket, ...] = tuple(b for part in PARTS for b in part.BUCKETS)
TOPICS: tuple[Topic, ...] = tuple(t for part in PARTS for t in part.TOPICS)
SECRETS: tuple[Secret, ...] = tuple(s for part in PARTS for s in part.SECRETS)
BUSES: tuple[Bus, ...] = tuple(b for part in PARTS for b in part.BUSES)
RULES: tuple[EventRule, ...] = tuple(r for part in PARTS for r in part.RULES)
FUNCTIONS: tuple[Function, ...] = tuple(f for part in PARTS for f in part.FUNCTIONS)


def function(key: str) -> Function:
    return next(f for f in FUNCTIONS if f.key == key)


def queue(key: str) -> Queue:
    return next(q for q in QUEUES if q.key == key)


def table(key: str) -> Table:
    return next(t for t in TABLES if t.key == key)


def consumer_of(queue_key: str) -> Function | None:
    """The function an SQS queue feeds, if any (a queue's visibility timeout follows it)."""
    for fn in FUNCTIONS:
        if any(s.queue == queue_key for s in fn.sqs_sources):
            return fn
    return None


def visibility_timeout_s(queue_key: str) -> int:
    """Six times the consumer's timeout, as the Lambda docs advise for SQS event sources."""
    fn = consumer_of(queue_key)
    return 6 * fn.timeout_s if fn else 30


def rest_routes() -> list[tuple[Route, Function]]:
    return [(r, fn) for fn in FUNCTIONS for r in fn.routes]


def authorizer() -> Function:
    return next(f for f in FUNCTIONS if any(isinstance(t, RestAuthorizer) for t in f.triggers))


def websocket_routes() -> list[tuple[WebSocketRoute, Function]]:
    return [(t, fn) for fn in FUNCTIONS for t in fn.triggers if isinstance(t, WebSocketRoute)]


def websocket_authorizer() -> tuple[WebSocketAuthorizer, Function] | None:
    return next(((t, fn) for fn in FUNCTIONS for t in fn.triggers if isinstance(t, WebSocketAuthorizer)), None)


def route_roles() -> dict[str, tuple[str, ...]]:
    """The scope table: for every token REST route ("GET /jobs/{job_id}") and every WebSocket route
    ("$connect", "setStatus"), the roles that may call it. A route that names none is a wiring error:
    deny by default means no route is open because someone forgot to say who may call it."""
    table: dict[str, tuple[str, ...]] = {}
    for route, fn in rest_routes():
        if route.auth == "none":
            if route.roles:
                raise ValueError(f"{route.key} ({fn.key}) is public: roles would be a lie, the authorizer never runs")
            continue
        if not route.roles:
            raise ValueError(f"{route.key} ({fn.key}) names no roles: every token route says who may call it")
        table[route.key] = route.roles
    for ws, fn in websocket_routes():
        if not ws.roles:
            raise ValueError(f"WebSocket route {ws.route_key} ({fn.key}) names no roles")
        table[ws.route_key] = ws.roles
    return table


def route_roles_json() -> str:
    """The table as the ROUTE_ROLES environment value: one compact line, roles space-separated
    (Lambda allows 4 KB of environment per function; this is the same on AWS and locally)."""
    return json.dumps({k: " ".join(v) for k, v in route_roles().items()}, separators=(",", ":"), sort_keys=True)
