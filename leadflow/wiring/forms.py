"""Web-form leads and SMS conversations: the form webhook, durable forwarding, dealer/customer texting.

Wiring of that part of the system (all in the ingestion domain, so it owns its tables and queue);
`leadflow.wiring` assembles it with the other domains.

- `forms`: `POST /leads` (integration token; Idempotency-Key; open-lead rules), `PUT /locations/...`
  (a dealer location's phone number), `GET /leads/{id}/messages`, `POST /leads/{id}/close`, `GET /admin/inflight`.
- `form-forwards` queue -> `forward`: each step of a form lead (store it, send it to the marketing
  platform, text the customer and the dealer) is one message; a failed step is re-sent to the same
  queue with a growing DelaySeconds; the step's state is on the form lead's record.
- `twilio-sms`: `POST /twilio/sms`, public (Twilio signs the request instead of sending a token).
"""

from __future__ import annotations

from leadflow.wiring.model import (
    POWERTOOLS_ENV,
    SCOPES_ENV,
    TWILIO_ENV,
    Bucket,
    Bus,
    EnvRef,
    EventRule,
    Function,
    Grant,
    Index,
    Literal_,
    Queue,
    QueueUrl,
    Route,
    Secret,
    Setting,
    SqsSource,
    Table,
    TableName,
    Topic,
)

QUEUES: tuple[Queue, ...] = (Queue("form-forwards", "ingestion"),)

TABLES: tuple[Table, ...] = (
    # pk/sk: "idem#<key>" (first answers, TTL), "loc#<dealer>#<location>" (phone), "open#<phone>#<dealer>#<location>"
    # (the open web-to-text lead), "w2t#<id>" (the web-to-text lead with its forward steps).
    # `inflight` is set only while a forward step is unfinished (a sparse index: no Scan for the admin view);
    # `lead_id` (the stored Lead) finds a person's web-to-text leads.
    Table(
        "form-leads",
        "ingestion",
        pk="pk",
        sk="sk",
        indexes=(Index("inflight", pk="inflight", sk="updated_at"), Index("by_lead", pk="lead_id", sk="created_at")),
        ttl_attribute="expires_at",
    ),
    # pk/sk: "conv#<id>" + "meta" | "msg#<time>#<sid>" | "sid#<MessageSid>"; "route#<pool number>#<party>" + "route".
    # `open` is set while the conversation has open leads (sparse index for the admin view).
    Table("conversations", "ingestion", pk="pk", sk="sk", indexes=(Index("open", pk="open", sk="updated_at"),)),
)

TOPICS: tuple[Topic, ...] = ()
RULES: tuple[EventRule, ...] = ()

SECRETS: tuple[Secret, ...] = (
    Secret(
        "twilio",
        "ingestion",
        "Twilio account SID and auth token (REST API and webhook signatures)",
        fields=("account_sid", "auth_token"),
    ),
)

FORWARD_TIMEOUT_S = 30

_FORMS_ENV: dict[str, EnvRef] = {
    "FORM_LEADS_TABLE": TableName("form-leads"),
    "CONVERSATIONS_TABLE": TableName("conversations"),
    "FORM_FORWARDS_QUEUE_URL": QueueUrl("form-forwards"),
    "SMS_NUMBER_POOL": Setting("sms_number_pool"),
    "DEFAULT_COUNTRY": Setting("default_country"),
}

BUCKETS: tuple[Bucket, ...] = ()

BUSES: tuple[Bus, ...] = ()

FUNCTIONS: tuple[Function, ...] = (
    Function(
        "forms",
        "ingestion",
        "lambdas.forms.forms.handler.handler",
        "Takes web-form leads (idempotent, open-lead rules), location numbers, threads and the in-flight view",
        env={**POWERTOOLS_ENV, **SCOPES_ENV, **_FORMS_ENV},
        triggers=(
            Route("POST", "/leads", roles=("admin", "integration")),
            # a location's number decides where customers' texts go: a leaked integration token
            # must not be able to redirect them; threads and closing are an operator's work
            Route("PUT", "/locations/{dealer_id}/{location_id}", roles=("admin",)),
            Route("GET", "/leads/{lead_id}/messages", roles=("admin",)),
            Route("POST", "/leads/{lead_id}/close", roles=("admin",)),
            Route("GET", "/admin/inflight", roles=("admin",)),
        ),
        grants=(
            Grant("table", "form-leads", "read_write"),
            Grant("table", "conversations", "read_write"),
            Grant("queue", "form-forwards", "send"),
        ),
        timeout_s=29,
        memory_mb=512,
    ),
    Function(
        "forward",
        "ingestion",
        "lambdas.forms.forward.handler.handler",
        "Forwards a form lead step by step (store, marketing platform, SMS), idempotent, with backoff",
        env={
            **POWERTOOLS_ENV,
            **_FORMS_ENV,
            "LEAD_BATCHES_QUEUE_URL": QueueUrl("lead-batches"),
            "MARKETING_URL": Setting("marketing_url"),
            **TWILIO_ENV,
            "FORWARD_BACKOFF_BASE_S": Setting("forward_backoff_base_s"),
            "FORWARD_MAX_ATTEMPTS": Setting("forward_max_attempts"),
            "FORWARD_LEASE_S": Literal_(str(FORWARD_TIMEOUT_S + 10)),
        },
        triggers=(SqsSource("form-forwards", batch_size=10, max_batching_window_s=0, max_concurrency=5),),
        grants=(
            Grant("table", "form-leads", "read_write"),
            Grant("table", "conversations", "read_write"),
            Grant("queue", "form-forwards", "consume"),
            Grant("queue", "form-forwards", "send"),
            Grant("queue", "lead-batches", "send"),
            Grant("secret", "twilio", "read"),
        ),
        timeout_s=FORWARD_TIMEOUT_S,
        memory_mb=512,
    ),
    Function(
        "twilio-sms",
        "ingestion",
        "lambdas.forms.twilio_sms.handler.handler",
        "Inbound SMS from Twilio (signature checked): stored on the conversation and relayed to the other party",
        env={
            **POWERTOOLS_ENV,
            **_FORMS_ENV,
            **TWILIO_ENV,
        },
        triggers=(Route("POST", "/twilio/sms", auth="none"),),
        grants=(
            Grant("table", "form-leads", "read_write"),
            Grant("table", "conversations", "read_write"),
            Grant("secret", "twilio", "read"),
        ),
        timeout_s=15,
        memory_mb=512,
    ),
)
