"""The pricing model of the cost benchmark: counts in, dollars out, no I/O.

`bench/cost.py` measures a run (requests, item sizes, CPU time, bytes logged) and hands the counts
to the functions here, which apply AWS's billing rules and the list prices of `bench/prices.json`:
- Lambda: duration rounded up to 1 ms, times the configured memory, per architecture;
- DynamoDB: read and write request units from item sizes (4 KB reads, 1 KB writes, eventually
  consistent reads at half, transactions at twice, one more write per global index holding the item);
- SQS, EventBridge and SNS: a request per 64 KB chunk of payload; WebSocket messages per 32 KB;
- S3 requests by tier; CloudWatch Logs by bytes ingested;
- the fixed dollars of one idle month counted from synthesized CloudFormation templates;
- the two seed designs, priced with the same rules.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

KB = 1024
#: SQS, EventBridge and SNS bill each 64 KB chunk of a payload as one request / event
PAYLOAD_CHUNK = 64 * KB
#: API Gateway WebSocket meters messages in 32 KB increments
WEBSOCKET_UNIT = 32 * KB
#: DynamoDB: a read unit covers 4 KB, a write unit 1 KB
READ_UNIT = 4 * KB
WRITE_UNIT = KB
#: CloudWatch Logs counts 26 bytes of metadata per log event on top of the message
LOG_EVENT_OVERHEAD = 26
MINUTES_PER_MONTH = 30 * 24 * 60
HOURS_PER_MONTH = 730
PRICES = Path(__file__).resolve().parent / "prices.json"


def load_prices(path: Path = PRICES) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(path.read_text())
    return data


def price(prices: Mapping[str, Any], service: str, item: str) -> float:
    return float(prices[service][item]["price"])


# ---------------------------------------------------------------- chunks and units


def chunks(size_bytes: int, chunk: int = PAYLOAD_CHUNK) -> int:
    """Billed requests for one payload: every started chunk counts, and an empty payload is one."""
    return max(1, math.ceil(size_bytes / chunk))


def billed_ms(cpu_s: float, io_ms: float) -> int:
    """Lambda's billed duration: handler time rounded up to the next millisecond (at least 1)."""
    return max(1, math.ceil(cpu_s * 1000 + io_ms - 1e-9))


def gb_seconds(duration_ms: int, memory_mb: int) -> float:
    return duration_ms / 1000 * memory_mb / 1024


def read_units(size_bytes: int, *, consistent: bool = False, transactional: bool = False) -> float:
    units = max(1, math.ceil(size_bytes / READ_UNIT))
    if transactional:
        return 2.0 * units
    return float(units) if consistent else units / 2


def write_units(size_bytes: int, *, transactional: bool = False, index_copies: int = 0) -> int:
    """One write unit per started KB; a transaction doubles the table's write; every global index
    that holds the item writes its copy too (at the plain rate)."""
    units = max(1, math.ceil(size_bytes / WRITE_UNIT))
    return units * (2 if transactional else 1) + units * index_copies


# ---------------------------------------------------------------- DynamoDB item sizes


def _number_size(text: str) -> int:
    mantissa = text.strip().lower().split("e")[0].lstrip("+-").replace(".", "")
    digits = mantissa.lstrip("0").rstrip("0") or "0"
    # "1 byte per two significant digits, plus 1 byte" (DynamoDB item size docs)
    return math.ceil(len(digits) / 2) + 1


def value_size(value: Mapping[str, Any]) -> int:
    """Size of one typed AttributeValue ({"S": ...}, {"N": ...}, {"M": {...}} ...) as DynamoDB counts it."""
    (kind, v), *_ = value.items()
    if kind == "S":
        return len(str(v).encode())
    if kind == "N":
        return _number_size(str(v))
    if kind == "B":
        return len(v if isinstance(v, bytes | bytearray) else str(v).encode())
    if kind in ("BOOL", "NULL"):
        return 1
    if kind == "SS":
        return sum(len(s.encode()) for s in v)
    if kind == "NS":
        return sum(_number_size(str(n)) for n in v)
    if kind == "BS":
        return sum(len(b) for b in v)
    if kind == "L":
        # 3 bytes for the list, 1 per element
        return 3 + sum(1 + value_size(e) for e in v)
    if kind == "M":
        return 3 + sum(1 + len(k.encode()) + value_size(e) for k, e in v.items())
    raise ValueError(f"unknown attribute type {kind}")


def item_size(item: Mapping[str, Mapping[str, Any]] | None) -> int:
    """An item's size: each attribute's name in UTF-8 plus its value."""
    return sum(len(name.encode()) + value_size(value) for name, value in (item or {}).items())


def index_copies(item: Mapping[str, Any] | None, indexes: Sequence[Sequence[str]]) -> int:
    """Global indexes that hold the item: those whose key attributes it has (indexes are sparse)."""
    if not item:
        return 0
    return sum(1 for keys in indexes if all(k in item for k in keys))


@dataclass
class Capacity:
    rru: float = 0.0
    wru: float = 0.0


#: (table name, key) -> the stored item after the call, for updates whose new size the request does not show
StoredItem = Callable[[str, Mapping[str, Any]], Mapping[str, Any] | None]


def dynamodb_capacity(
    operation: str,
    params: Mapping[str, Any],
    response: Mapping[str, Any],
    *,
    stored: StoredItem | None = None,
    indexes: Mapping[str, Sequence[Sequence[str]]] | None = None,
) -> Capacity:
    """Request units of one DynamoDB call. Reads are priced on what came back (a Query or Scan with
    a filter or projection reads more than it returns: an under-count); a write on the item it
    leaves (UpdateItem reads it back through `stored`), a delete or condition check at 1 KB."""
    idx = indexes or {}
    out = Capacity()

    def written(table: str, item: Mapping[str, Any] | None, transactional: bool) -> None:
        copies = index_copies(item, idx.get(table, ()))
        out.wru += write_units(item_size(item), transactional=transactional, index_copies=copies)

    def updated(table: str, key: Mapping[str, Any], transactional: bool) -> None:
        after = stored(table, key) if stored else None
        written(table, after or key, transactional)

    if operation == "GetItem":
        out.rru += read_units(item_size(response.get("Item")), consistent=bool(params.get("ConsistentRead")))
    elif operation == "BatchGetItem":
        for table, items in response.get("Responses", {}).items():
            consistent = bool(params.get("RequestItems", {}).get(table, {}).get("ConsistentRead"))
            out.rru += sum(read_units(item_size(i), consistent=consistent) for i in items)
    elif operation in ("Query", "Scan"):
        size = sum(item_size(i) for i in response.get("Items", []))
        out.rru += read_units(size, consistent=bool(params.get("ConsistentRead")))
    elif operation == "TransactGetItems":
        out.rru += sum(read_units(item_size(r.get("Item")), transactional=True) for r in response.get("Responses", []))
    elif operation == "PutItem":
        written(params["TableName"], params["Item"], False)
    elif operation == "UpdateItem":
        updated(params["TableName"], params["Key"], False)
    elif operation == "DeleteItem":
        out.wru += write_units(0)
    elif operation == "BatchWriteItem":
        for table, requests in params.get("RequestItems", {}).items():
            for request in requests:
                if "PutRequest" in request:
                    written(table, request["PutRequest"]["Item"], False)
                else:
                    out.wru += write_units(0)
    elif operation == "TransactWriteItems":
        for entry in params.get("TransactItems", []):
            if "Put" in entry:
                written(entry["Put"]["TableName"], entry["Put"]["Item"], True)
            elif "Update" in entry:
                updated(entry["Update"]["TableName"], entry["Update"]["Key"], True)
            else:  # Delete, ConditionCheck
                out.wru += write_units(0, transactional=True)
    return out


# ---------------------------------------------------------------- SQS, EventBridge, S3


def _attributes_size(attributes: Mapping[str, Mapping[str, Any]] | None) -> int:
    size = 0
    for name, value in (attributes or {}).items():
        size += len(name.encode()) + len(str(value.get("DataType", "")).encode())
        size += len(str(value.get("StringValue") or "").encode()) + len(value.get("BinaryValue") or b"")
    return size


def sqs_requests(operation: str, params: Mapping[str, Any], response: Mapping[str, Any]) -> int:
    """Billed SQS requests of one call: a send or a receive per 64 KB chunk of its whole payload
    (a batch of ten small messages is one request); every other call is one."""
    if operation == "SendMessage":
        return chunks(len(params["MessageBody"].encode()) + _attributes_size(params.get("MessageAttributes")))
    if operation == "SendMessageBatch":
        size = sum(
            len(e["MessageBody"].encode()) + _attributes_size(e.get("MessageAttributes")) for e in params["Entries"]
        )
        return chunks(size)
    if operation == "ReceiveMessage":
        size = sum(
            len(m.get("Body", "").encode()) + _attributes_size(m.get("MessageAttributes"))
            for m in response.get("Messages", [])
        )
        return chunks(size)
    return 1


def event_entry_size(entry: Mapping[str, Any]) -> int:
    """PutEvents entry size as AWS computes it: Time 14 bytes, Source, DetailType, Detail, Resources."""
    size = 14 if entry.get("Time") else 0
    for name in ("Source", "DetailType", "Detail"):
        size += len(str(entry.get(name) or "").encode())
    size += sum(len(r.encode()) for r in entry.get("Resources") or [])
    return size


def eventbridge_events(params: Mapping[str, Any]) -> int:
    """Billed custom events of one PutEvents call: each entry per 64 KB chunk."""
    return sum(chunks(event_entry_size(e)) for e in params.get("Entries", []))


S3_TIER1 = frozenset(
    {
        "PutObject",
        "CopyObject",
        "PostObject",
        "CreateMultipartUpload",
        "UploadPart",
        "CompleteMultipartUpload",
        "ListObjects",
        "ListObjectsV2",
        "ListBuckets",
    }
)
S3_FREE = frozenset({"DeleteObject", "DeleteObjects"})


def s3_tier(operation: str) -> str | None:
    if operation in S3_FREE:
        return None
    return "tier1" if operation in S3_TIER1 else "tier2"


# ---------------------------------------------------------------- a run's counts, priced


@dataclass
class FunctionUse:
    invocations: int = 0
    billed_ms: int = 0
    memory_mb: int = 128
    architecture: str = "x86_64"

    @property
    def gb_s(self) -> float:
        return gb_seconds(self.billed_ms, self.memory_mb)


@dataclass
class Usage:
    """What a run used, in billing units (before prices)."""

    functions: dict[str, FunctionUse] = field(default_factory=dict)
    dynamodb_rru: float = 0.0
    dynamodb_wru: float = 0.0
    dynamodb_bytes_stored: int = 0
    sqs_standard_requests: int = 0
    sqs_fifo_requests: int = 0
    eventbridge_events: int = 0
    s3_tier1: int = 0
    s3_tier2: int = 0
    s3_bytes_stored: int = 0
    rest_requests: int = 0
    websocket_messages: int = 0
    websocket_connection_minutes: float = 0.0
    ses_emails: int = 0
    sns_publishes: int = 0
    sns_http_deliveries: int = 0
    sns_email_deliveries: int = 0
    secrets_api_calls: int = 0
    log_bytes: int = 0
    log_events: int = 0
    llm_input_tokens: int = 0
    llm_output_tokens: int = 0


def _m(count: float, per_million: float) -> float:
    return count * per_million / 1_000_000


def dollars(usage: Usage, prices: Mapping[str, Any], *, architecture: str | None = None) -> dict[str, float]:
    """Dollars by service. `architecture` prices every function as x86_64 or arm64 instead of its own."""
    p = prices
    gb = 1024**3
    lam = 0.0
    for fn in usage.functions.values():
        arch = architecture or fn.architecture
        per_gb_s = price(p, "lambda", "arm64_gb_s" if arch == "arm64" else "x86_64_gb_s")
        lam += _m(fn.invocations, price(p, "lambda", "request")) + fn.gb_s * per_gb_s
    log_ingested = usage.log_bytes + usage.log_events * LOG_EVENT_OVERHEAD
    out = {
        "lambda": lam,
        "dynamodb": _m(usage.dynamodb_rru, price(p, "dynamodb", "read_request_unit"))
        + _m(usage.dynamodb_wru, price(p, "dynamodb", "write_request_unit"))
        + usage.dynamodb_bytes_stored / gb * price(p, "dynamodb", "storage_gb_month"),
        "sqs": _m(usage.sqs_standard_requests, price(p, "sqs", "standard_request"))
        + _m(usage.sqs_fifo_requests, price(p, "sqs", "fifo_request")),
        "eventbridge": _m(usage.eventbridge_events, price(p, "eventbridge", "custom_event")),
        "s3": usage.s3_tier1 / 1000 * price(p, "s3", "tier1_request")
        + usage.s3_tier2 / 1000 * price(p, "s3", "tier2_request")
        + usage.s3_bytes_stored / gb * price(p, "s3", "standard_gb_month"),
        "apigateway_rest": _m(usage.rest_requests, price(p, "apigateway", "rest_request")),
        "apigateway_websocket": _m(usage.websocket_messages, price(p, "apigateway", "websocket_message"))
        + _m(usage.websocket_connection_minutes, price(p, "apigateway", "websocket_connection_minute")),
        "ses": usage.ses_emails / 1000 * price(p, "ses", "email"),
        "sns": _m(usage.sns_publishes, price(p, "sns", "publish"))
        + _m(usage.sns_http_deliveries, price(p, "sns", "http_delivery"))
        + usage.sns_email_deliveries / 100_000 * price(p, "sns", "email_delivery"),
        "secretsmanager": usage.secrets_api_calls / 10_000 * price(p, "secretsmanager", "api_call"),
        "cloudwatch_logs": log_ingested / gb * price(p, "cloudwatch", "logs_ingestion_gb")
        + log_ingested / gb * price(p, "cloudwatch", "logs_storage_gb_month"),
        "llm": _m(usage.llm_input_tokens, price(p, "llm", "input_token_cache_miss"))
        + _m(usage.llm_output_tokens, price(p, "llm", "output_token")),
    }
    return out


def per_thousand(amounts: Mapping[str, float], leads: int) -> dict[str, float]:
    return {k: v * 1000 / leads for k, v in amounts.items()}


# ---------------------------------------------------------------- one idle month, from templates


@dataclass(frozen=True)
class PollerAssumption:
    """Lambda's pollers of a standard-queue event source mapping at rest: AWS does not publish the
    figure; the commonly measured behaviour is five pollers, each a 20 s long poll, non-stop."""

    pollers: int = 5
    wait_s: int = 20

    @property
    def requests_per_month(self) -> int:
        return self.pollers * (60 // self.wait_s) * MINUTES_PER_MONTH


def _resources(templates: Iterable[Mapping[str, Any]], kind: str) -> list[Mapping[str, Any]]:
    return [r for t in templates for r in t.get("Resources", {}).values() if r.get("Type") == kind]


def _alarm_metrics(alarm: Mapping[str, Any]) -> tuple[int, bool]:
    """(metrics billed, high resolution) of one alarm: metric-math alarms pay per metric they read.

    An alarm on a metric with no dimension (Lambda's region-wide Errors) is one metric, however many
    functions feed it. A Metrics Insights query alarm pays per metric the query matches at run time,
    which the template cannot show: refused rather than counted as one."""
    props = alarm.get("Properties", {})
    metrics = props.get("Metrics")
    if metrics:
        if any(str(m.get("Expression", "")).lstrip().upper().startswith("SELECT") for m in metrics):
            raise ValueError("a Metrics Insights alarm is billed per metric its query matches: not countable here")
        stats = [m for m in metrics if "MetricStat" in m]
        periods = [int(m["MetricStat"].get("Period", 60)) for m in stats]
        return max(1, len(stats)), any(p < 60 for p in periods)
    return 1, int(props.get("Period", 60)) < 60


def idle_month(
    templates: Iterable[Mapping[str, Any]], prices: Mapping[str, Any], pollers: PollerAssumption | None = None
) -> dict[str, Any]:
    """The fixed dollars per month of a stage that does nothing: what its templates declare."""
    templates = list(templates)
    poll = pollers or PollerAssumption()
    standard = high = 0
    for alarm in _resources(templates, "AWS::CloudWatch::Alarm"):
        n, hi = _alarm_metrics(alarm)
        if hi:
            high += n
        else:
            standard += n
    composites = len(_resources(templates, "AWS::CloudWatch::CompositeAlarm"))
    dashboards = len(_resources(templates, "AWS::CloudWatch::Dashboard"))
    secrets = len(_resources(templates, "AWS::SecretsManager::Secret"))
    acls = _resources(templates, "AWS::WAFv2::WebACL")
    rules = sum(len(a.get("Properties", {}).get("Rules", [])) for a in acls)
    mappings = _resources(templates, "AWS::Lambda::EventSourceMapping")
    # Kinesis and DynamoDB streams would name StartingPosition; SQS mappings do not
    sqs_mappings = [m for m in mappings if "StartingPosition" not in m.get("Properties", {})]
    poll_requests = len(sqs_mappings) * poll.requests_per_month
    items = {
        "alarms": standard * price(prices, "cloudwatch", "alarm_metric_standard")
        + high * price(prices, "cloudwatch", "alarm_metric_high_resolution")
        + composites * price(prices, "cloudwatch", "composite_alarm"),
        "dashboards": dashboards * price(prices, "cloudwatch", "dashboard_month"),
        "secrets": secrets * price(prices, "secretsmanager", "secret_month"),
        "waf": len(acls) * price(prices, "waf", "web_acl_month") + rules * price(prices, "waf", "rule_month"),
        "sqs_idle_pollers": _m(poll_requests, price(prices, "sqs", "standard_request")),
    }
    return {
        "dollars": items,
        "total": sum(items.values()),
        "counted": {
            "alarm_metrics_standard": standard,
            "alarm_metrics_high_resolution": high,
            "composite_alarms": composites,
            "dashboards": dashboards,
            "secrets": secrets,
            "waf_web_acls": len(acls),
            "waf_rules": rules,
            "sqs_event_source_mappings": len(sqs_mappings),
            "idle_poller_requests": poll_requests,
        },
        "assumptions": {
            "pollers_per_sqs_mapping": poll.pollers,
            "long_poll_wait_s": poll.wait_s,
            "month_minutes": MINUTES_PER_MONTH,
            "free_tiers": "not applied (10 free alarm metrics, 3 free dashboards, 1M free SQS requests per account)",
        },
    }


# ---------------------------------------------------------------- the seed designs


@dataclass(frozen=True)
class EasyCrmAssumptions:
    """easy-crm-lambdas (seeds/easy-crm-lambdas.md): splitter -> SQS, a message per 10 leads ->
    deepseek-caller (512 MB): one LLM call per message, a put per lead, a status update per batch."""

    leads: int = 1000
    leads_per_message: int = 10
    #: the LLM's system prompt and instructions, tokens (not given in the seed: ours is about this)
    prompt_tokens: int = 400
    #: tokens of one lead as sent (raw row) and as returned (standardized JSON)
    lead_tokens_in: int = 60
    lead_tokens_out: int = 70
    #: the caller waits on the LLM: wall time per call, billed by Lambda
    llm_call_s: float = 8.0
    caller_memory_mb: int = 512
    splitter_memory_mb: int = 512
    splitter_s: float = 2.0
    lead_item_bytes: int = 600
    #: the front end polls the status API every 2 s while the job runs (seed: "Frontend polls every 2 seconds");
    #: 5 concurrent callers (the seed's concurrency limit)
    poll_interval_s: float = 2.0
    concurrency: int = 5
    #: log bytes per invocation (Lambda's START/END/REPORT lines and a few of the function's)
    log_bytes_per_invocation: int = 800
    upload_bytes: int = 1_000_000


def easy_crm(prices: Mapping[str, Any], a: EasyCrmAssumptions | None = None) -> dict[str, Any]:
    a = a or EasyCrmAssumptions()
    messages = math.ceil(a.leads / a.leads_per_message)
    job_s = messages * a.llm_call_s / a.concurrency
    polls = math.ceil(job_s / a.poll_interval_s)
    caller_ms = int(a.llm_call_s * 1000)
    usage = Usage(
        functions={
            "lead-splitter": FunctionUse(1, int(a.splitter_s * 1000), a.splitter_memory_mb),
            "deepseek-caller": FunctionUse(messages, messages * caller_ms, a.caller_memory_mb),
            "status-reader": FunctionUse(polls + 1, (polls + 1) * 50, 256),
            "file-upload": FunctionUse(1, 100, 128),
        },
        # a put per lead; a status update per batch plus the splitter's three
        dynamodb_wru=a.leads * write_units(a.lead_item_bytes) + messages + 3,
        dynamodb_rru=polls * read_units(1000),
        # a send per message, a receive and a delete per message (batch size 1 per invocation)
        sqs_standard_requests=3 * messages,
        s3_tier1=2,
        s3_tier2=1,
        s3_bytes_stored=a.upload_bytes,
        rest_requests=polls + 1,
        log_bytes=(messages + polls + 3) * a.log_bytes_per_invocation,
        log_events=(messages + polls + 3) * 5,
        llm_input_tokens=messages * (a.prompt_tokens + a.leads_per_message * a.lead_tokens_in),
        llm_output_tokens=messages * a.leads_per_message * a.lead_tokens_out,
    )
    amounts = dollars(usage, prices)
    return {
        "design": "easy-crm-lambdas",
        "per_1000_leads": per_thousand(amounts, a.leads),
        "total_per_1000_leads": sum(amounts.values()) * 1000 / a.leads,
        "assumptions": {**a.__dict__, "llm_calls": messages, "status_polls": polls, "job_s": job_s},
    }


@dataclass(frozen=True)
class FifoRequeueAssumptions:
    """lead-processing-task (seeds/lead-processing-task.md): a FIFO queue of pending emails; the
    consumer takes the oldest, finds no online user, and the email goes back to the queue."""

    pending: int = 100
    hours: float = 1.0
    #: "goes back" by failing the batch: the message returns after the visibility timeout (SQS default 30 s)
    visibility_timeout_s: int = 30
    #: one message group (oldest first across all emails), batch size 1: one email in flight at a time
    message_groups: int = 1
    invocation_ms: int = 60
    memory_mb: int = 128
    #: the users table is scanned for an online user each time: ten agents, well under 4 KB
    users_scan_bytes: int = 2000
    log_bytes_per_invocation: int = 600


def fifo_requeue(prices: Mapping[str, Any], a: FifoRequeueAssumptions | None = None) -> dict[str, Any]:
    a = a or FifoRequeueAssumptions()
    groups = min(a.message_groups, a.pending)
    cycles = int(groups * a.hours * 3600 / a.visibility_timeout_s)
    usage = Usage(
        functions={"get-email": FunctionUse(cycles, cycles * a.invocation_ms, a.memory_mb)},
        sqs_fifo_requests=cycles,
        dynamodb_rru=cycles * read_units(a.users_scan_bytes),
        log_bytes=cycles * a.log_bytes_per_invocation,
        log_events=cycles * 4,
    )
    amounts = dollars(usage, prices)
    total = sum(amounts.values())
    return {
        "design": "lead-processing-task",
        "dollars": amounts,
        "total": total,
        "per_month_if_idle_all_month": total * HOURS_PER_MONTH / a.hours,
        "assumptions": {**a.__dict__, "receive_cycles": cycles},
    }


def round_money(amounts: Mapping[str, float], places: int = 6) -> dict[str, float]:
    q = Decimal(1).scaleb(-places)
    return {k: float(Decimal(str(v)).quantize(q)) for k, v in amounts.items()}
