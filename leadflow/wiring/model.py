"""The wiring's vocabulary: resources, environment references, triggers, grants and functions.

Plain frozen dataclasses, no CDK and no boto3, so the local runtime and the CLI stay light. Each
domain module of `leadflow.wiring` declares its part of the system with these; the package
assembles the parts.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from shared.core import limits

#: the four CDK stacks; the lead sources (phone, forms) live in the ingestion stack
Domain = Literal["ingestion", "enrichment", "assignment", "notification"]
DOMAINS: tuple[Domain, ...] = ("ingestion", "enrichment", "assignment", "notification")
Access = Literal["read", "write", "read_write", "send", "consume", "publish"]
#: the token roles (`shared.core.auth.Role`, spelled out here so the wiring imports nothing of `shared`)
RoleName = Literal["admin", "agent", "integration"]
ROLE_NAMES: tuple[RoleName, ...] = ("admin", "agent", "integration")

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
class Expiry:
    """Objects under `prefix` expire after the number of days in the `StageConfig` setting `setting`."""

    prefix: str
    setting: str


@dataclass(frozen=True)
class Bucket:
    key: str
    domain: Domain
    notifications: tuple[QueueNotification, ...] = ()
    #: browsers and the CLI POST presigned forms straight to the bucket
    cors_post: bool = False
    #: browsers GET presigned links from the bucket (an answer too large for Lambda: `shared.core.responses`)
    cors_get: bool = False
    #: lifecycle expiration per key prefix (every prefix that holds personal data has one)
    expiries: tuple[Expiry, ...] = ()


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
class RouteRoles:
    """The scope table of every REST and WebSocket route as compact JSON (`wiring.route_roles_json()`):
    the authorizers and the handlers read it at run time without importing `leadflow/`."""


@dataclass(frozen=True)
class WebSocketEndpoint:
    """The WebSocket API's management endpoint for `@connections` (`https://{api}.execute-api.../{stage}`)."""


EnvRef = (
    TableName
    | QueueUrl
    | BucketName
    | TopicArn
    | BusName
    | SecretArn
    | Setting
    | Literal_
    | WebSocketEndpoint
    | RouteRoles
)


# ---------------------------------------------------------------- triggers and grants


@dataclass(frozen=True)
class Route:
    """A REST API route (API Gateway REST, Lambda proxy integration, behind the authorizer)."""

    method: Literal["GET", "POST", "PUT", "PATCH", "DELETE"]
    path: str
    #: "none": a public method (the caller signs its requests instead, e.g. Twilio's webhooks)
    auth: Literal["token", "none"] = "token"
    #: who may call it; empty on a token route is a wiring error (deny by default, never allow by omission)
    roles: tuple[RoleName, ...] = ()

    @property
    def key(self) -> str:
        """The route's key in the scope table: "GET /jobs/{job_id}"."""
        return f"{self.method} {self.path}"


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
    #: who may use it on their connection ($connect: who may open one); empty is a wiring error
    roles: tuple[RoleName, ...] = ()


@dataclass(frozen=True)
class WebSocketAuthorizer:
    """The function is the WebSocket API's REQUEST authorizer on `$connect` (identity: a query string parameter)."""

    query_parameter: str = "token"


Trigger = Route | SqsSource | RestAuthorizer | ConnectInvoke | WebSocketRoute | WebSocketAuthorizer


@dataclass(frozen=True)
class Grant:
    """A permission. `key` names a declared resource, except for the two outside the stacks:

    - "email": SendEmail as the stage's sender only (`key`: the StageConfig attribute with the address);
    - "external_secret": read a secret someone else made (`key`: the StageConfig attribute with its
      ARN); no grant at all while the stage names none.
    """

    kind: Literal["table", "queue", "bucket", "topic", "bus", "secret", "email", "external_secret"]
    key: str
    access: Access
    #: for buckets: the key prefix the grant is limited to
    prefix: str = "*"


# ---------------------------------------------------------------- functions


@dataclass(frozen=True)
class Function:
    key: str
    domain: Domain
    handler: str  # dotted path from the repo root: lambdas.<area>.<fn>.handler.handler
    description: str
    env: dict[str, EnvRef] = field(default_factory=dict)
    triggers: tuple[Trigger, ...] = ()
    grants: tuple[Grant, ...] = ()
    timeout_s: int = 30
    memory_mb: int = 512

    @property
    def directory(self) -> str:
        """The folder under the repo root holding the handler package (`lambdas/<area>/<fn>`)."""
        return "/".join(self.handler.split(".")[:-2])

    @property
    def area(self) -> str:
        """The folder word of the function's domain (`ingestion`, `phone`, `forms`, ...)."""
        return self.handler.split(".")[1]

    @property
    def routes(self) -> tuple[Route, ...]:
        return tuple(t for t in self.triggers if isinstance(t, Route))

    @property
    def sqs_sources(self) -> tuple[SqsSource, ...]:
        return tuple(t for t in self.triggers if isinstance(t, SqsSource))


def render_setting(value: object) -> str:
    """A `Setting` as environment text, the same in the cloud (stacks/references.py) and locally."""
    if value is None:
        return ""
    return ",".join(str(v) for v in value) if isinstance(value, tuple) else str(value)


# ---------------------------------------------------------------- environment every function gets

#: what Powertools reads (the log level, the stage as the service's dimension)
POWERTOOLS_ENV: dict[str, EnvRef] = {"LOG_LEVEL": Literal_("INFO"), "STAGE": Setting("stage")}

#: every function that checks a caller's role: the authorizers and the handlers behind routes
SCOPES_ENV: dict[str, EnvRef] = {"ROUTE_ROLES": RouteRoles()}

#: the LLM provider of the enrichment steps (base URL and model per stage, the key in Secrets Manager)
LLM_ENV: dict[str, EnvRef] = {
    "DEFAULT_COUNTRY": Setting("default_country"),
    "LLM_BASE_URL": Setting("llm_base_url"),
    "LLM_MODEL": Setting("llm_model"),
    "LLM_SECRET_ARN": Setting("llm_secret_arn"),
}

#: a function that calls out over HTTP (Slack, the downstream CRM, the marketing platform, Twilio):
#: each call's timeout, and how long its circuit stays open after failures
OUTBOUND_ENV: dict[str, EnvRef] = {
    "OUTBOUND_TIMEOUT_S": Setting("outbound_timeout_s"),
    "CIRCUIT_RESET_S": Setting("circuit_reset_s"),
}

#: a function that talks to Twilio: its API's base URL (the local sink when run locally) and the
#: secret holding the account's credentials, plus the outbound timeouts
TWILIO_ENV: dict[str, EnvRef] = {
    **OUTBOUND_ENV,
    "TWILIO_BASE_URL": Setting("twilio_base_url"),
    "TWILIO_SECRET_ARN": SecretArn("twilio"),
}

#: a function behind a REST route: API Gateway stops waiting after its integration timeout, so the
#: function must not run longer (the client would see a 504 while the work went on)
REST_TIMEOUT_S = limits.REST_INTEGRATION_TIMEOUT_S

#: events on the bus carry source "leadflow.<domain>"
EVENT_SOURCE_PREFIX = "leadflow."
