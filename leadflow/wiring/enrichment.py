"""Enrichment: the store step (standardize, dedupe, store, announce) and the leads API (list, export, ask)."""

from __future__ import annotations

from leadflow.wiring.model import (
    LLM_ENV,
    POWERTOOLS_ENV,
    SCOPES_ENV,
    Bucket,
    BucketName,
    Bus,
    BusName,
    EventRule,
    Expiry,
    Function,
    Grant,
    Index,
    Queue,
    Route,
    Secret,
    SqsSource,
    Table,
    TableName,
    Throttle,
    Topic,
)

#: an export reads up to every lead matching the filters and may write a CSV to S3: occasional work,
#: not a listing to poll
EXPORT_THROTTLE = Throttle(rate=2, burst=10)

QUEUES: tuple[Queue, ...] = (Queue("lead-batches", "enrichment"),)

TABLES: tuple[Table, ...] = (
    # the reader's filters each have an index (newest first by created_at, or prefix order), so no
    # request path scans; "kind" is always "lead" on lead items. Each index holding a lead is one more
    # write unit on every write of it: all leads by time is by_status read one status at a time
    # (`shared.enrichment.lead_reader`), not an index of its own
    Table(
        "leads",
        "enrichment",
        pk="lead_id",
        indexes=(
            Index("by_job", pk="job_id", sk="created_at"),
            Index("by_status", pk="status", sk="created_at"),
            Index("by_source", pk="source", sk="created_at"),
            Index("by_email", pk="kind", sk="email_key"),
            Index("by_name", pk="kind", sk="name_key"),
            Index("by_company", pk="kind", sk="company_key"),
        ),
    ),
)

BUCKETS: tuple[Bucket, ...] = (
    # enriched/{job}/ is the system of record for analytics; exports/ holds large CSV exports
    Bucket(
        "data",
        "enrichment",
        cors_get=True,
        expiries=(
            Expiry("enriched/", "enriched_retention_days"),
            Expiry("exports/", "export_retention_days"),
        ),
    ),
)

TOPICS: tuple[Topic, ...] = ()

SECRETS: tuple[Secret, ...] = ()

#: the event contract (detail-type -> detail), one source "leadflow.<domain>":
#: - lead.enriched      {"job_id": str | None, "source": str, "leads": [Lead JSON, ...],
#:                        "rows": [{"lead_id", "_worksheet", "row", "attributes"}, ...]}  one event per stored batch;
#:                        `rows` has every accepted row (duplicates of one lead included) with its own cells
#: - email.dispositioned {"email_id", "lead_id", "disposition", "agent"}                  from assignment
#: consumers declare their rules in their own domain module (the rule lives in the consuming stack)
BUSES: tuple[Bus, ...] = (Bus("events", "enrichment"),)

RULES: tuple[EventRule, ...] = ()

FUNCTIONS: tuple[Function, ...] = (
    Function(
        "store-leads",
        "enrichment",
        "lambdas.enrichment.store_leads.handler.handler",
        "Stores a batch of leads (BatchWriteItem) and counts it on its job, once",
        env={
            **POWERTOOLS_ENV,
            "JOBS_TABLE": TableName("jobs"),
            "LEADS_TABLE": TableName("leads"),
            "EVENT_BUS": BusName("events"),
            "DATA_BUCKET": BucketName("data"),
            **LLM_ENV,
        },
        triggers=(SqsSource("lead-batches", batch_size=10, max_batching_window_s=1, max_concurrency=5),),
        grants=(
            Grant("table", "jobs", "read_write"),
            Grant("table", "leads", "read_write"),
            Grant("queue", "lead-batches", "consume"),
            Grant("bus", "events", "publish"),
            Grant("bucket", "data", "write", prefix="enriched/*"),
            # the LLM provider's key (no grant while the stage names none: rules only)
            Grant("external_secret", "llm_secret_arn", "read"),
        ),
        timeout_s=300,  # room for a slow LLM provider (retries with backoff) before the rules take over
        memory_mb=1024,
    ),
    Function(
        "leads-api",
        "enrichment",
        "lambdas.enrichment.leads_api.handler.handler",
        "Lists, shows and exports leads (indexes, never a Scan) and answers questions about them",
        env={
            **POWERTOOLS_ENV,
            **SCOPES_ENV,
            **LLM_ENV,
            "LEADS_TABLE": TableName("leads"),
            "DATA_BUCKET": BucketName("data"),
            # a lead shows its deliveries (read only, the notification domain owns the table)
            "DELIVERIES_TABLE": TableName("deliveries"),
        },
        triggers=(
            # reading leads is an export by another name: admins only (an agent gets the lead of the
            # email it holds with the assignment, over its WebSocket)
            Route("GET", "/leads", roles=("admin",)),
            Route("GET", "/leads/export", roles=("admin",), throttle=EXPORT_THROTTLE),
            Route("GET", "/leads/{lead_id}", roles=("admin",)),
            Route("POST", "/chat", roles=("admin",)),
        ),
        grants=(
            Grant("table", "leads", "read"),
            Grant("table", "deliveries", "read"),
            Grant("bucket", "data", "read_write", prefix="exports/*"),
            Grant("external_secret", "llm_secret_arn", "read"),
        ),
        timeout_s=29,
        memory_mb=1024,
    ),
)
