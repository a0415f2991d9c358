"""Per-stage settings, read once from `cdk.json` context and passed on as a typed object.

The CDK app and the local runtime both build their `StageConfig` here, so a stage means the
same limits in the cloud and on a laptop.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parent.parent
STAGES = ("dev", "prod")
PREFIX = "leadflow"
#: SQS's longest per-message delay (the assignment and grace timers)
SQS_MAX_DELAY_S = 900
#: the settings that are S3 lifecycle expirations, in days
RETENTION_SETTINGS = (
    "raw_upload_retention_days",
    "export_retention_days",
    "enriched_retention_days",
    "noncurrent_version_retention_days",
)


class ConfigError(ValueError):
    """The stage or its settings in cdk.json are not usable."""


@dataclass(frozen=True, kw_only=True)
class StageConfig:
    stage: str
    region: str = "us-east-1"
    account: str | None = None
    retain_data: bool = False
    log_retention_days: int = 14
    #: lifecycle expiration of the S3 copies of personal data (see README "Retention"). Raw uploads
    #: (uploads/, raw/) are only needed until the job is split and for a re-run if it went wrong;
    #: 30 days covers a month of support questions about a job, and the leads stay in the leads table.
    raw_upload_retention_days: int = 30
    #: large CSV exports are fetched through a short-lived link right after they are made; a week
    #: covers a download retried over a weekend, and any export can be made again
    export_retention_days: int = 7
    #: enriched/ is the analytics system of record (every accepted row with its own cells), so it is
    #: kept longest, but not forever: two years of history, after which the leads table remains
    enriched_retention_days: int = 730
    #: where buckets are versioned (retain_data), an overwritten or deleted object's old version is
    #: kept this long to undo a mistake, then expires: a deletion must not keep the data by another name
    noncurrent_version_retention_days: int = 30
    max_direct_upload_bytes: int = 4 * 1024 * 1024
    max_presigned_upload_bytes: int = 500 * 1024 * 1024
    max_uncompressed_bytes: int = 200 * 1024 * 1024
    batch_message_bytes: int = 64 * 1024
    alarm_emails: tuple[str, ...] = field(default_factory=tuple)
    default_country: str = "US"
    #: an Amazon Connect instance to wire the vanity-number contact flow into; None skips it
    connect_instance_arn: str | None = None
    #: a caller seen again within this window gets the stored vanity numbers without recomputing
    caller_window_minutes: int = 60
    #: an agent has this long to act on an assigned email before it goes back to the queue (SQS delay: <= 900)
    assignment_timeout_s: int = 120
    #: an agent whose last WebSocket closed keeps status and held email this long (SQS delay: <= 900);
    #: API Gateway closes idle connections after 10 min and all after 2 h, so clients reconnect
    agent_grace_s: int = 30
    #: a new API token works this many days unless `--expires` says otherwise (at most 366); short
    #: in dev, where tokens are made freely, a quarter in prod, so a forgotten token does not live on
    token_expiry_days: int = 90
    #: the stage's CloudWatch dashboard: $3 a month whether or not anyone opens it, more than a third
    #: of an idle stage; the alarms do not need it, so dev goes without (prod keeps it for on-call)
    dashboard: bool = True
    #: an HTTPS endpoint (PagerDuty) subscribed to the alarms topic besides `alarm_emails`
    alarm_https_endpoint: str | None = None
    #: synth refuses a stage whose alarms would reach nobody (prod); others only say so
    alarm_recipient_required: bool = False
    #: notification: SES sender (verified in SES) and recipients of the email fallback
    notify_sender: str = "leadflow-alerts@example.com"
    notify_recipients: tuple[str, ...] = field(default_factory=tuple)
    #: more leads than this within one burst window become one digest message
    notify_burst_threshold: int = 20
    notify_burst_window_s: int = 60
    #: Slack must answer within this; otherwise the notice goes by email
    slack_timeout_s: int = 3
    #: where a digest links to (the list of leads of the window)
    notify_list_url: str = "https://leadflow.example.com/leads"
    #: downstream sync: first retry delay, doubled per attempt up to the cap, attempts before the DLQ
    downstream_backoff_base_s: int = 30
    downstream_backoff_max_s: int = 7200
    downstream_max_attempts: int = 12
    #: every outbound request (downstream CRM, marketing, Twilio) waits at most this long, and an
    #: endpoint that hung is left alone this long (its requests back off at once meanwhile)
    outbound_timeout_s: int = 10
    circuit_reset_s: int = 30
    #: an OpenAI-compatible provider for what the rules cannot do; no secret means rules only
    llm_base_url: str = "https://api.deepseek.com"
    llm_model: str = "deepseek-chat"
    llm_secret_arn: str | None = None
    #: web-form leads: Twilio's REST API (the local runtime points it at its sink), the numbers
    #: conversations are held on (E.164), the marketing platform's lead endpoint, and forward retries
    twilio_base_url: str = "https://api.twilio.com"
    sms_number_pool: tuple[str, ...] = field(default_factory=tuple)
    marketing_url: str | None = None
    forward_backoff_base_s: int = 30
    forward_max_attempts: int = 10
    #: the public edge (README "Deploying a stage"). API Gateway's token bucket for every REST method
    #: that declares no throttle of its own (`Route.throttle` in the wiring): requests a second on
    #: average and at once. API Gateway applies it to each method separately.
    api_throttle_rate: float = 100
    api_throttle_burst: int = 200
    #: the same for every route of the agents' WebSocket API (messages, and $connect attempts)
    ws_throttle_rate: float = 100
    ws_throttle_burst: int = 200
    #: reserved concurrency by function key: a cap that keeps a flood on a public route from taking
    #: the account's concurrency from every other function, and a floor kept for that function.
    #: Reserving needs the account's concurrency quota raised first: Lambda keeps 100 unreserved,
    #: and a new account's quota can be as low as 10, where any reservation fails to deploy.
    reserved_concurrency: dict[str, int] = field(default_factory=dict)
    #: a WAF web ACL on the REST API's stage (AWS managed rules and a rate limit per client IP);
    #: a fixed monthly cost per stage ($5 and $1 a rule), so it is a stage's choice
    waf: bool = False
    #: requests one client IP may make in any 5 minutes before the web ACL blocks it (with 429): 10 a
    #: second sustained, room for several console users behind one NAT (each polls about once a second)
    waf_rate_limit: int = 3000

    def __post_init__(self) -> None:
        # both are SQS DelaySeconds on the expiry queue: a bad value would fail every assignment or $disconnect
        for setting in ("assignment_timeout_s", "agent_grace_s"):
            value = getattr(self, setting)
            if not 0 <= value <= SQS_MAX_DELAY_S:
                raise ConfigError(f"{setting} must be 0 to {SQS_MAX_DELAY_S} s (an SQS delay); got {value}")
        if not isinstance(self.token_expiry_days, int) or not 1 <= self.token_expiry_days <= 366:
            raise ConfigError(f"token_expiry_days must be 1 to 366 days; got {self.token_expiry_days!r}")
        # S3 lifecycle expirations are whole days, at least one
        for setting in RETENTION_SETTINGS:
            value = getattr(self, setting)
            if not isinstance(value, int) or value < 1:
                raise ConfigError(f"{setting} must be a whole number of days, at least 1; got {value!r}")
        self._check_edge()

    def _check_edge(self) -> None:
        for rate, burst in (("api_throttle_rate", "api_throttle_burst"), ("ws_throttle_rate", "ws_throttle_burst")):
            if not getattr(self, rate) > 0:
                raise ConfigError(f"{rate} must be above 0 requests a second; got {getattr(self, rate)!r}")
            if not isinstance(getattr(self, burst), int) or getattr(self, burst) < 1:
                got = getattr(self, burst)
                raise ConfigError(f"{burst} must be a whole number of requests, at least 1; got {got!r}")
        from leadflow import wiring  # the function keys (wiring imports nothing of this module)

        keys = {fn.key for fn in wiring.FUNCTIONS}
        for key, value in self.reserved_concurrency.items():
            if key not in keys:
                known = ", ".join(sorted(keys))
                raise ConfigError(f"reserved_concurrency names {key!r}, which is not a function ({known})")
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise ConfigError(f"reserved_concurrency.{key} must be a whole number, at least 1; got {value!r}")
        # WAF's rate-based rules count at least 10 requests in their window
        if not isinstance(self.waf_rate_limit, int) or not 10 <= self.waf_rate_limit <= 2_000_000_000:
            raise ConfigError(
                f"waf_rate_limit must be 10 to 2,000,000,000 requests per 5 minutes; got {self.waf_rate_limit!r}"
            )

    def alarm_recipients(self) -> tuple[str, ...]:
        return (*self.alarm_emails, *((self.alarm_https_endpoint,) if self.alarm_https_endpoint else ()))

    def name(self, key: str) -> str:
        """The physical name of a queue, table, function or topic: the stage is in every name."""
        return f"{PREFIX}-{self.stage}-{key}"

    def bucket_name(self, key: str, account: str) -> str:
        """S3 names are global, so buckets also carry the account and region."""
        return f"{PREFIX}-{self.stage}-{key}-{account}-{self.region}"

    @classmethod
    def from_context(cls, stage: str, stages: dict[str, Any]) -> StageConfig:
        if stage not in STAGES:
            raise ConfigError(f"unknown stage {stage!r}; use one of {', '.join(STAGES)}")
        raw = dict(stages.get(stage) or {})
        known = set(cls.__dataclass_fields__) - {"stage"}
        unknown = set(raw) - known
        if unknown:
            raise ConfigError(f"unknown settings for stage {stage}: {', '.join(sorted(unknown))}")
        for listed in ("alarm_emails", "notify_recipients", "sms_number_pool"):
            if listed in raw:
                raw[listed] = tuple(raw[listed])
        return cls(stage=stage, **raw)


def load_stage(stage: str = "dev", cdk_json: Path | None = None) -> StageConfig:
    """Read the stage's settings from cdk.json, as `app.py` does from CDK context."""
    path = cdk_json or REPO_ROOT / "cdk.json"
    context = json.loads(path.read_text())["context"]
    return StageConfig.from_context(stage, context["stages"])
