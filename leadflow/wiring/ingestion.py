"""Ingestion: the REST API's authorizer and tokens, uploads (direct and presigned), jobs, the splitter."""

from __future__ import annotations

from leadflow.wiring.model import (
    POWERTOOLS_ENV,
    REST_TIMEOUT_S,
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
    QueueNotification,
    QueueUrl,
    RestAuthorizer,
    Route,
    Secret,
    Setting,
    SqsSource,
    Table,
    TableName,
    Throttle,
    Topic,
)

#: an upload is up to 4 MB through a function that may run 29 s; an integration sends a few files a
#: minute, far below the listing routes' polling: 10 a second, 20 at once
UPLOAD_THROTTLE = Throttle(rate=10, burst=20)

QUEUES: tuple[Queue, ...] = (Queue("upload-events", "ingestion"),)

TABLES: tuple[Table, ...] = (
    # a job record (sk "job") and its rejected rows (sk "rej#...") share a partition
    Table("jobs", "ingestion", pk="job_id", sk="sk", ttl_attribute="expires_at"),
    # a token's record by the hash of its secret; `by-id` finds it by its public id (revocation);
    # `purge_at` deletes it 30 days after it expired or was revoked (the authorizers check expiry themselves)
    Table("tokens", "ingestion", pk="token_hash", indexes=(Index("by-id", pk="token_id"),), ttl_attribute="purge_at"),
)

BUCKETS: tuple[Bucket, ...] = (
    Bucket(
        "uploads",
        "ingestion",
        notifications=(QueueNotification("upload-events", ("uploads/", "raw/")),),
        cors_post=True,
        # uploaded files are raw personal data; once split, the leads live in the leads table
        expiries=(Expiry("uploads/", "raw_upload_retention_days"), Expiry("raw/", "raw_upload_retention_days")),
    ),
)

TOPICS: tuple[Topic, ...] = ()

SECRETS: tuple[Secret, ...] = ()

BUSES: tuple[Bus, ...] = ()

RULES: tuple[EventRule, ...] = ()

FUNCTIONS: tuple[Function, ...] = (
    Function(
        "authorizer",
        "ingestion",
        "lambdas.ingestion.authorizer.handler.handler",
        "Checks bearer tokens (stored hashed; refused when expired or revoked) and passes the role and user on",
        env={**POWERTOOLS_ENV, **SCOPES_ENV, "TOKENS_TABLE": TableName("tokens")},
        triggers=(RestAuthorizer(),),
        # read_write: last used, at most once per token per 15 minutes
        grants=(Grant("table", "tokens", "read_write"),),
        timeout_s=5,
        memory_mb=256,
    ),
    Function(
        "uploads",
        "ingestion",
        "lambdas.ingestion.uploads.handler.handler",
        "Takes a direct upload or hands out a presigned POST; creates the job",
        env={
            **POWERTOOLS_ENV,
            **SCOPES_ENV,
            "JOBS_TABLE": TableName("jobs"),
            "UPLOADS_BUCKET": BucketName("uploads"),
            "MAX_DIRECT_UPLOAD_BYTES": Setting("max_direct_upload_bytes"),
            "MAX_PRESIGNED_UPLOAD_BYTES": Setting("max_presigned_upload_bytes"),
        },
        triggers=(
            Route("POST", "/uploads", roles=("admin", "integration"), throttle=UPLOAD_THROTTLE),
            Route("POST", "/uploads/presign", roles=("admin", "integration"), throttle=UPLOAD_THROTTLE),
        ),
        grants=(
            Grant("table", "jobs", "read_write"),
            Grant("bucket", "uploads", "write", prefix="uploads/*"),
        ),
        timeout_s=29,
    ),
    Function(
        "jobs",
        "ingestion",
        "lambdas.ingestion.jobs.handler.handler",
        "Lists the newest jobs, shows a job with its rejected rows, or cancels it",
        env={**POWERTOOLS_ENV, **SCOPES_ENV, "JOBS_TABLE": TableName("jobs")},
        # integration callers see and cancel only the jobs they created (the handler filters by owner)
        triggers=(
            Route("GET", "/jobs", roles=("admin", "integration")),
            Route("GET", "/jobs/{job_id}", roles=("admin", "integration")),
            Route("DELETE", "/jobs/{job_id}", roles=("admin", "integration")),
        ),
        grants=(Grant("table", "jobs", "read_write"),),
        memory_mb=256,
        timeout_s=REST_TIMEOUT_S,
    ),
    Function(
        "tokens",
        "ingestion",
        "lambdas.ingestion.tokens.handler.handler",
        "Creates (shown once, stored hashed), lists and revokes API tokens (admin only); audit events on the bus",
        env={
            **POWERTOOLS_ENV,
            **SCOPES_ENV,
            "TOKENS_TABLE": TableName("tokens"),
            "TOKEN_EXPIRY_DAYS": Setting("token_expiry_days"),
            "EVENT_BUS": BusName("events"),
        },
        triggers=(
            Route("POST", "/tokens", roles=("admin",)),
            Route("GET", "/tokens", roles=("admin",)),
            Route("DELETE", "/tokens/{token_id}", roles=("admin",)),
        ),
        grants=(Grant("table", "tokens", "read_write"), Grant("bus", "events", "publish")),
        memory_mb=256,
        timeout_s=REST_TIMEOUT_S,
    ),
    Function(
        "splitter",
        "ingestion",
        "lambdas.ingestion.splitter.handler.handler",
        "Reads an uploaded file (every worksheet) and sends its rows in byte-sized batches",
        env={
            **POWERTOOLS_ENV,
            "JOBS_TABLE": TableName("jobs"),
            "UPLOADS_BUCKET": BucketName("uploads"),
            "LEAD_BATCHES_QUEUE_URL": QueueUrl("lead-batches"),
            "MAX_PRESIGNED_UPLOAD_BYTES": Setting("max_presigned_upload_bytes"),
            "MAX_UNCOMPRESSED_BYTES": Setting("max_uncompressed_bytes"),
            "BATCH_MESSAGE_BYTES": Setting("batch_message_bytes"),
        },
        triggers=(SqsSource("upload-events", batch_size=1),),
        grants=(
            Grant("table", "jobs", "read_write"),
            Grant("bucket", "uploads", "read"),
            Grant("queue", "upload-events", "consume"),
            Grant("queue", "lead-batches", "send"),
        ),
        timeout_s=900,
        memory_mb=1769,
    ),
)
