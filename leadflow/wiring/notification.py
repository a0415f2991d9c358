"""Notification: Slack first, SES as fallback, a durable downstream sync, alarms that reach people.

Wiring of the notification domain; `leadflow.wiring` assembles it with the other domains.

- `lead-notices` rule: `lead.enriched` and `email.dispositioned` -> queue `notifications` -> `notify`
  (Slack, SES fallback, burst digests; the digest is a delayed message on the same queue).
- `lead-sync` rule: `lead.enriched` -> queue `downstream-sync` -> `downstream-sync` (signed POST per
  lead; retries are re-sent to the same queue with growing delays; the last failure dead-letters).
- `deliveries` table: one record per (lead, notice, channel), written around every call.
"""

from __future__ import annotations

from leadflow.wiring.model import (
    OUTBOUND_ENV,
    POWERTOOLS_ENV,
    REST_TIMEOUT_S,
    SCOPES_ENV,
    Bucket,
    Bus,
    EventRule,
    Function,
    Grant,
    Literal_,
    Queue,
    QueueUrl,
    Route,
    Secret,
    SecretArn,
    Setting,
    SqsSource,
    Table,
    TableName,
    Topic,
)

QUEUES: tuple[Queue, ...] = (
    Queue("notifications", "notification"),
    Queue("downstream-sync", "notification"),
)

TABLES: tuple[Table, ...] = (
    # pk: the lead id (or "digest#<window>"); sk: "<notice>#<channel>", e.g. "new#slack", "sync#downstream";
    # burst counters ("burst#<window>") expire by TTL
    Table("deliveries", "notification", pk="lead_id", sk="delivery", ttl_attribute="expires_at"),
)

#: every alarm of every stack publishes here
TOPICS: tuple[Topic, ...] = (Topic("alarms", "notification"),)

SECRETS: tuple[Secret, ...] = (
    Secret("slack-webhook", "notification", "Slack incoming-webhook URL for lead notices", fields=("url",)),
    Secret(
        "downstream",
        "notification",
        "Downstream CRM endpoint and the HMAC-SHA256 key its requests are signed with",
        fields=("url",),
        generated="signing_key",
    ),
)

RULES: tuple[EventRule, ...] = (
    EventRule("lead-notices", "notification", "events", ("lead.enriched", "email.dispositioned"), "notifications"),
    EventRule("lead-sync", "notification", "events", ("lead.enriched",), "downstream-sync"),
)

NOTIFY_TIMEOUT_S = 30
DOWNSTREAM_TIMEOUT_S = 60

BUCKETS: tuple[Bucket, ...] = ()

BUSES: tuple[Bus, ...] = ()

FUNCTIONS: tuple[Function, ...] = (
    Function(
        "notify",
        "notification",
        "lambdas.notification.notify.handler.handler",
        "Announces new and qualified leads on Slack, by SES email when Slack fails; bursts become digests",
        env={
            **POWERTOOLS_ENV,
            "DELIVERIES_TABLE": TableName("deliveries"),
            "NOTIFICATIONS_QUEUE_URL": QueueUrl("notifications"),
            "SLACK_SECRET_ARN": SecretArn("slack-webhook"),
            "SLACK_TIMEOUT_S": Setting("slack_timeout_s"),
            "NOTIFY_SENDER": Setting("notify_sender"),
            "NOTIFY_RECIPIENTS": Setting("notify_recipients"),
            "NOTIFY_BURST_THRESHOLD": Setting("notify_burst_threshold"),
            "NOTIFY_BURST_WINDOW_S": Setting("notify_burst_window_s"),
            "NOTIFY_LIST_URL": Setting("notify_list_url"),
            # a claim older than this belongs to an invocation that died
            "NOTIFY_LEASE_S": Literal_(str(NOTIFY_TIMEOUT_S + 10)),
        },
        # no batching window: a notice leaves as soon as it arrives (the seed waited 10 minutes)
        triggers=(SqsSource("notifications", batch_size=10, max_batching_window_s=0),),
        grants=(
            Grant("table", "deliveries", "read_write"),
            Grant("queue", "notifications", "consume"),
            Grant("queue", "notifications", "send"),
            Grant("secret", "slack-webhook", "read"),
            Grant("email", "notify_sender", "send"),
        ),
        timeout_s=NOTIFY_TIMEOUT_S,
        memory_mb=512,
    ),
    Function(
        "downstream-sync",
        "notification",
        "lambdas.notification.downstream_sync.handler.handler",
        "Forwards each lead to the downstream CRM, signed and idempotent, retrying with backoff over hours",
        env={
            **POWERTOOLS_ENV,
            "DELIVERIES_TABLE": TableName("deliveries"),
            "DOWNSTREAM_QUEUE_URL": QueueUrl("downstream-sync"),
            "DOWNSTREAM_SECRET_ARN": SecretArn("downstream"),
            "DOWNSTREAM_BACKOFF_BASE_S": Setting("downstream_backoff_base_s"),
            "DOWNSTREAM_BACKOFF_MAX_S": Setting("downstream_backoff_max_s"),
            "DOWNSTREAM_MAX_ATTEMPTS": Setting("downstream_max_attempts"),
            **OUTBOUND_ENV,
            "DOWNSTREAM_LEASE_S": Literal_(str(DOWNSTREAM_TIMEOUT_S + 10)),
        },
        triggers=(SqsSource("downstream-sync", batch_size=10, max_batching_window_s=0, max_concurrency=5),),
        grants=(
            Grant("table", "deliveries", "read_write"),
            Grant("queue", "downstream-sync", "consume"),
            Grant("queue", "downstream-sync", "send"),
            Grant("secret", "downstream", "read"),
        ),
        timeout_s=DOWNSTREAM_TIMEOUT_S,
        memory_mb=512,
    ),
    Function(
        "deliveries",
        "notification",
        "lambdas.notification.deliveries.handler.handler",
        "Shows a lead's deliveries (Slack, email, digest, downstream) with their state and attempts",
        env={**POWERTOOLS_ENV, **SCOPES_ENV, "DELIVERIES_TABLE": TableName("deliveries")},
        triggers=(Route("GET", "/deliveries", roles=("admin",)),),
        grants=(Grant("table", "deliveries", "read"),),
        memory_mb=256,
        timeout_s=REST_TIMEOUT_S,
    ),
)
