"""Phone leads (in the ingestion stack): Amazon Connect's vanity-number function and the recent callers."""

from __future__ import annotations

from leadflow.wiring.model import (
    POWERTOOLS_ENV,
    REST_TIMEOUT_S,
    SCOPES_ENV,
    Bucket,
    Bus,
    ConnectInvoke,
    EventRule,
    Function,
    Grant,
    Index,
    Queue,
    QueueUrl,
    Route,
    Secret,
    Setting,
    Table,
    TableName,
    Topic,
)

QUEUES: tuple[Queue, ...] = ()

TABLES: tuple[Table, ...] = (
    # one item per phone call; `recent` keeps every call in time order (kind is always "call") so the
    # last callers are one Query, never a Scan
    Table(
        "calls",
        "ingestion",
        pk="contact_id",
        indexes=(Index("by_caller", pk="caller", sk="called_at"), Index("recent", pk="kind", sk="called_at")),
        ttl_attribute="expires_at",
    ),
)

BUCKETS: tuple[Bucket, ...] = ()

TOPICS: tuple[Topic, ...] = ()

SECRETS: tuple[Secret, ...] = ()

BUSES: tuple[Bus, ...] = ()

RULES: tuple[EventRule, ...] = ()

FUNCTIONS: tuple[Function, ...] = (
    Function(
        "connect-vanity",
        "ingestion",
        "lambdas.phone.connect_vanity.handler.handler",
        "Amazon Connect: the caller's best vanity numbers, stored with the call; the caller becomes a lead",
        env={
            **POWERTOOLS_ENV,
            "CALLS_TABLE": TableName("calls"),
            "LEAD_BATCHES_QUEUE_URL": QueueUrl("lead-batches"),
            "DEFAULT_COUNTRY": Setting("default_country"),
            "CALLER_WINDOW_MINUTES": Setting("caller_window_minutes"),
        },
        triggers=(ConnectInvoke(),),
        grants=(Grant("table", "calls", "read_write"), Grant("queue", "lead-batches", "send")),
        # Connect waits at most 8 s for a flow's Lambda; memory buys CPU for a quick cold start
        timeout_s=8,
        memory_mb=1024,
    ),
    Function(
        "callers",
        "ingestion",
        "lambdas.phone.callers.handler.handler",
        "The last callers with their vanity numbers (a Query on the time-ordered index)",
        env={**POWERTOOLS_ENV, **SCOPES_ENV, "CALLS_TABLE": TableName("calls")},
        # recent callers are phone numbers of people: admins only
        triggers=(Route("GET", "/callers", roles=("admin",)),),
        grants=(Grant("table", "calls", "read"),),
        memory_mb=256,
        timeout_s=REST_TIMEOUT_S,
    ),
)
