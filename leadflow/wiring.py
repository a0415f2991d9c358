"""The one source of truth for wiring: which resources exist, which function runs on which
trigger, with which environment and which permissions.

The CDK stacks (`stacks/`) and the local runtime (`leadflow/local/`) both read this module; a
test proves that the synthesized templates and the local runtime agree. Nothing here imports
CDK or boto3, so the local runtime and the CLI stay light.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Domain = Literal["ingestion", "enrichment", "assignment", "notification"]
DOMAINS: tuple[Domain, ...] = ("ingestion", "enrichment", "assignment", "notification")
Access = Literal["read", "write", "read_write", "send", "consume", "publish"]


# ---------------------------------------------------------------- resources


@dataclass(frozen=True)
class Queue:
    key: str
    domain: Domain
    #: receives before a message moves to the dead-letter queue `{key}-dlq`
    max_receive_count: int = 3
    retention_days: int = 14


@dataclass(frozen=True)
class Index:
    name: str
    pk: str
    sk: str | None = None


@dataclass(frozen=True)
class Table:
    key: str
    domain: Domain
    pk: str
    sk: str | None = None
    indexes: tuple[Index, ...] = ()
    ttl_attribute: str | None = None


@dataclass(frozen=True)
class QueueNotification:
    """S3 ObjectCreated events under `prefixes` go to `queue` (not straight to a function)."""

    queue: str
    prefixes: tuple[str, ...]


@dataclass(frozen=True)
class Bucket:
    key: str
    domain: Domain
    notifications: tuple[QueueNotification, ...] = ()
    #: browsers and the CLI POST presigned forms straight to the bucket
    cors_post: bool = False


@dataclass(frozen=True)
class Topic:
    key: str
    domain: Domain


@dataclass(frozen=True)
class Secret:
    """A Secrets Manager secret holding a JSON object: `fields` start empty (an operator fills them
    in), `generated` (if any) is a random value made at creation (locally: at provisioning)."""

    key: str
    domain: Domain
    description: str
    fields: tuple[str, ...] = ()
    generated: str | None = None


@dataclass(frozen=True)
class Bus:
    """An EventBridge bus: domains announce what happened on it (`lead.enriched`, ...)."""

    key: str
    domain: Domain


@dataclass(frozen=True)
class EventRule:
    """Events of `detail_types` on `bus` go to `queue`. The rule belongs to the consuming domain."""

    key: str
    domain: Domain
    bus: str
    detail_types: tuple[str, ...]
    queue: str


# ---------------------------------------------------------------- environment references


@dataclass(frozen=True)
class TableName:
    table: str


@dataclass(frozen=True)
class QueueUrl:
    queue: str


@dataclass(frozen=True)
class BucketName:
    bucket: str


@dataclass(frozen=True)
class TopicArn:
    topic: str


@dataclass(frozen=True)
class BusName:
    bus: str


@dataclass(frozen=True)
class SecretArn:
    secret: str


@dataclass(frozen=True)
class Setting:
    """A `StageConfig` attribute, passed as text."""

    attribute: str


@dataclass(frozen=True)
class Literal_:
    value: str


@dataclass(frozen=True)
class WebSocketEndpoint:
    """The WebSocket API's management endpoint for `@connections` (`https://{api}.execute-api.../{stage}`)."""


EnvRef = TableName | QueueUrl | BucketName | TopicArn | BusName | SecretArn | Setting | Literal_ | WebSocketEndpoint


# ---------------------------------------------------------------- triggers and grants


@dataclass(frozen=True)
class Route:
    """A REST API route (API Gateway REST, Lambda proxy integration, behind the authorizer)."""

    method: Literal["GET", "POST", "PUT", "PATCH", "DELETE"]
    path: str
    #: "none": a public method (the caller signs its requests instead, e.g. Twilio's webhooks)
    auth: Literal["token", "none"] = "token"


@dataclass(frozen=True)
class SqsSource:
    queue: str
    batch_size: int = 10
    max_batching_window_s: int = 0
    max_concurrency: int | None = None


@dataclass(frozen=True)
class RestAuthorizer:
    """The function is the REST API's token authorizer (identity source: Authorization header)."""

    cache_ttl_s: int = 60


@dataclass(frozen=True)
class ConnectInvoke:
    """Amazon Connect contact flows may invoke the function (and, with an instance, one flow does)."""


@dataclass(frozen=True)
class WebSocketRoute:
    """A route of the WebSocket API: `$connect`, `$disconnect`, `$default` or an `action` value.

    With `reply`, what the function returns is sent back to the calling connection (a route response)."""

    route_key: str
    reply: bool = False


@dataclass(frozen=True)
class WebSocketAuthorizer:
    """The function is the WebSocket API's REQUEST authorizer on `$connect` (identity: a query string parameter)."""

    query_parameter: str = "token"


Trigger = Route | SqsSource | RestAuthorizer | ConnectInvoke | WebSocketRoute | WebSocketAuthorizer


@dataclass(frozen=True)
class Grant:
    kind: Literal["table", "queue", "bucket", "topic", "bus", "secret"]
    key: str
    access: Access
    #: for buckets: the key prefix the grant is limited to
    prefix: str = "*"


# ---------------------------------------------------------------- functions


@dataclass(frozen=True)
class Function:
    key: str
    domain: Domain
    handler: str  # dotted path from the repo root: lambdas.<fn>.handler.handler
    description: str
    env: dict[str, EnvRef] = field(default_factory=dict)
    triggers: tuple[Trigger, ...] = ()
    grants: tuple[Grant, ...] = ()
    timeout_s: int = 30
    memory_mb: int = 512

    @property
    def directory(self) -> str:
        """The folder under the repo root holding the handler package."""
        return "/".join(self.handler.split(".")[:2])

    @property
    def routes(self) -> tuple[Route, ...]:
        return tuple(t for t in self.triggers if isinstance(t, Route))

    @property
    def sqs_sources(self) -> tuple[SqsSource, ...]:
        return tuple(t for t in self.triggers if isinstance(t, SqsSource))


# ---------------------------------------------------------------- the system

QUEUES: tuple[Queue, ...] = (
    Queue("upload-events", "ingestion"),
    Queue("lead-batches", "enrichment"),
)

TABLES: tuple[Table, ...] = (
    # a job record (sk "job") and its rejected rows (sk "rej#...") share a partition
    Table("jobs", "ingestion", pk="job_id", sk="sk", ttl_attribute="expires_at"),
    Table("tokens", "ingestion", pk="token_hash"),
    # the reader's filters each have an index (newest first by created_at, or prefix order), so no
    # request path scans; "kind" is always "lead" on lead items
    Table(
        "leads",
        "enrichment",
        pk="lead_id",
        indexes=(
            Index("by_job", pk="job_id", sk="created_at"),
            Index("by_status", pk="status", sk="created_at"),
            Index("by_source", pk="source", sk="created_at"),
            Index("by_created", pk="kind", sk="created_at"),
            Index("by_email", pk="kind", sk="email_key"),
            Index("by_name", pk="kind", sk="name_key"),
            Index("by_company", pk="kind", sk="company_key"),
        ),
    ),
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

BUCKETS: tuple[Bucket, ...] = (
    # enriched/{job}/ is the system of record for analytics; exports/ holds large CSV exports
    Bucket("data", "enrichment"),
    Bucket(
        "uploads",
        "ingestion",
        notifications=(QueueNotification("upload-events", ("uploads/", "raw/")),),
        cors_post=True,
    ),
)

TOPICS: tuple[Topic, ...] = (Topic("alarms", "notification"),)

SECRETS: tuple[Secret, ...] = ()

#: the event contract (detail-type -> detail), one source "leadflow.<domain>":
#: - lead.enriched      {"job_id": str | None, "source": str, "leads": [Lead JSON, ...],
#:                        "rows": [{"lead_id", "_worksheet", "row", "attributes"}, ...]}  one event per stored batch;
#:                        `rows` has every accepted row (duplicates of one lead included) with its own cells
#: - email.dispositioned {"email_id", "lead_id", "disposition", "agent"}                  from assignment
BUSES: tuple[Bus, ...] = (Bus("events", "enrichment"),)
EVENT_SOURCE_PREFIX = "leadflow."
#: consumers add their rules here (the rule lives in the consuming domain's stack)
RULES: tuple[EventRule, ...] = ()

_POWERTOOLS: dict[str, EnvRef] = {"LOG_LEVEL": Literal_("INFO"), "STAGE": Setting("stage")}

_LLM: dict[str, EnvRef] = {
    "DEFAULT_COUNTRY": Setting("default_country"),
    "LLM_BASE_URL": Setting("llm_base_url"),
    "LLM_MODEL": Setting("llm_model"),
    "LLM_SECRET_ARN": Setting("llm_secret_arn"),
}

FUNCTIONS: tuple[Function, ...] = (
    Function(
        "authorizer",
        "ingestion",
        "lambdas.authorizer.handler.handler",
        "Checks bearer tokens (stored hashed) and passes the role and user on",
        env={**_POWERTOOLS, "TOKENS_TABLE": TableName("tokens")},
        triggers=(RestAuthorizer(),),
        grants=(Grant("table", "tokens", "read"),),
        timeout_s=5,
        memory_mb=256,
    ),
    Function(
        "uploads",
        "ingestion",
        "lambdas.uploads.handler.handler",
        "Takes a direct upload or hands out a presigned POST; creates the job",
        env={
            **_POWERTOOLS,
            "JOBS_TABLE": TableName("jobs"),
            "UPLOADS_BUCKET": BucketName("uploads"),
            "MAX_DIRECT_UPLOAD_BYTES": Setting("max_direct_upload_bytes"),
            "MAX_PRESIGNED_UPLOAD_BYTES": Setting("max_presigned_upload_bytes"),
        },
        triggers=(Route("POST", "/uploads"), Route("POST", "/uploads/presign")),
        grants=(
            Grant("table", "jobs", "read_write"),
            Grant("bucket", "uploads", "write", prefix="uploads/*"),
        ),
        timeout_s=29,
    ),
    Function(
        "jobs",
        "ingestion",
        "lambdas.jobs.handler.handler",
        "Lists the newest jobs, shows a job with its rejected rows, or cancels it",
        env={**_POWERTOOLS, "JOBS_TABLE": TableName("jobs")},
        triggers=(Route("GET", "/jobs"), Route("GET", "/jobs/{job_id}"), Route("DELETE", "/jobs/{job_id}")),
        grants=(Grant("table", "jobs", "read_write"),),
        memory_mb=256,
    ),
    Function(
        "tokens",
        "ingestion",
        "lambdas.tokens.handler.handler",
        "Creates API tokens (admin only); the token is shown once and stored hashed",
        env={**_POWERTOOLS, "TOKENS_TABLE": TableName("tokens")},
        triggers=(Route("POST", "/tokens"),),
        grants=(Grant("table", "tokens", "write"),),
        memory_mb=256,
    ),
    Function(
        "splitter",
        "ingestion",
        "lambdas.splitter.handler.handler",
        "Reads an uploaded file (every worksheet) and sends its rows in byte-sized batches",
        env={
            **_POWERTOOLS,
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
    Function(
        "store-leads",
        "enrichment",
        "lambdas.store_leads.handler.handler",
        "Stores a batch of leads (BatchWriteItem) and counts it on its job, once",
        env={
            **_POWERTOOLS,
            "JOBS_TABLE": TableName("jobs"),
            "LEADS_TABLE": TableName("leads"),
            "EVENT_BUS": BusName("events"),
            "DATA_BUCKET": BucketName("data"),
            **_LLM,
        },
        triggers=(SqsSource("lead-batches", batch_size=10, max_batching_window_s=1, max_concurrency=5),),
        grants=(
            Grant("table", "jobs", "read_write"),
            Grant("table", "leads", "read_write"),
            Grant("queue", "lead-batches", "consume"),
            Grant("bus", "events", "publish"),
            Grant("bucket", "data", "write", prefix="enriched/*"),
        ),
        timeout_s=300,  # room for a slow LLM provider (retries with backoff) before the rules take over
        memory_mb=1024,
    ),
    Function(
        "leads-api",
        "enrichment",
        "lambdas.leads_api.handler.handler",
        "Lists, shows and exports leads (indexes, never a Scan) and answers questions about them",
        env={
            **_POWERTOOLS,
            **_LLM,
            "LEADS_TABLE": TableName("leads"),
            "DATA_BUCKET": BucketName("data"),
            # a lead shows its deliveries (read only, the notification domain owns the table)
            "DELIVERIES_TABLE": TableName("deliveries"),
        },
        triggers=(
            Route("GET", "/leads"),
            Route("GET", "/leads/export"),
            Route("GET", "/leads/{lead_id}"),
            Route("POST", "/chat"),
        ),
        grants=(
            Grant("table", "leads", "read"),
            Grant("table", "deliveries", "read"),
            Grant("bucket", "data", "read_write", prefix="exports/*"),
        ),
        timeout_s=29,
        memory_mb=1024,
    ),
    Function(
        "connect-vanity",
        "ingestion",
        "lambdas.connect_vanity.handler.handler",
        "Amazon Connect: the caller's best vanity numbers, stored with the call; the caller becomes a lead",
        env={
            **_POWERTOOLS,
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
        "lambdas.callers.handler.handler",
        "The last callers with their vanity numbers (a Query on the time-ordered index)",
        env={**_POWERTOOLS, "CALLS_TABLE": TableName("calls")},
        triggers=(Route("GET", "/callers"),),
        grants=(Grant("table", "calls", "read"),),
        memory_mb=256,
    ),
)


# The assignment and notification domains declare theirs in their own modules (imported here, after
# every type above exists), so each domain's wiring reads as one piece.
from leadflow import wiring_assignment, wiring_forms, wiring_notification  # noqa: E402

_PARTS = (wiring_assignment, wiring_notification, wiring_forms)
for _part in _PARTS:
    QUEUES += _part.QUEUES
    TABLES += _part.TABLES
    TOPICS += _part.TOPICS
    RULES += _part.RULES
    FUNCTIONS += _part.FUNCTIONS
SECRETS += wiring_notification.SECRETS
SECRETS += wiring_forms.SECRETS


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
