"""What it costs: dollars per 1,000 leads and per idle month, measured from the real handlers (not a timed test).

The whole journey runs on the local runtime with the stage's deployed log level (INFO):
1. a workbook of `--leads` rows, `--emails` of them carrying a message, is uploaded (REST; a
   presigned POST when large) and split, standardized and stored; notification and downstream sync
   react to every stored lead (the local sink stands in for Slack and the downstream CRM);
2. an idle window (`--idle-s`) with the emails pending and no agent online: what waiting costs;
3. `--agents` agents on real WebSocket clients disposition every email;
4. `--forms` web-form leads arrive (REST webhook), each answered by an SMS from the customer and
   one from the dealer (Twilio's signed webhook), forwarded and texted through the local sinks.

Measured, per function (the runtime's invoker is wrapped in this process to name the function
running on a thread; botocore hooks on the handlers' session see every AWS call):
- AWS requests by service and API; Lambda invocations and billed duration (handler CPU time on the
  invoking thread, plus each AWS call at the latency of `LATENCY_MS`, plus each LLM call and each
  other HTTP call at the stated latencies, rounded up to 1 ms, times the wiring's memory);
- DynamoDB RRU/WRU from item sizes (an UpdateItem's item is read back, uncounted, to size it);
- SQS and EventBridge requests in 64 KB chunks (and the deliveries EventBridge, S3 and SNS make to
  the queues, counted from the messages the pollers received that no handler sent); S3 requests by
  tier and bytes stored; WebSocket messages (32 KB units) and connection minutes; SES and SNS
  messages; LLM tokens from the local OpenAI-compatible server's requests and answers;
- CloudWatch Logs bytes: every line the handlers print (Powertools logs and EMF metrics), Lambda's
  own START/END/REPORT lines, and the API Gateway access-log lines the stages declare.

Not counted: the bench's own job polls (GET /jobs/...) and setup calls; the local pollers' empty
receives (1 s long polls here, not Lambda's): idle polling is priced in the idle month instead.

Prints ONE JSON object on stdout, and a readable table on stderr.

    .venv/bin/python bench/cost.py [--leads 10000] [--emails 1000] [--agents 10] [--forms 100]
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import contextlib
import dataclasses
import functools
import io
import json
import math
import os
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import cost_model as cm  # noqa: E402

OUT = ROOT / "bench" / "out"
#: the latency an AWS call adds to a function's billed duration, by service (same-region, warm
#: connection; a handler waits for each call in turn). Stated, not measured: the local AWS is not AWS.
LATENCY_MS = {
    "dynamodb": 6.0,
    "sqs": 10.0,
    "events": 15.0,
    "s3": 25.0,
    "sns": 15.0,
    "sesv2": 40.0,
    "ses": 40.0,
    "secretsmanager": 15.0,
    "apigatewaymanagementapi": 20.0,
    "cloudwatch": 15.0,
}
DEFAULT_LATENCY_MS = 15.0
#: an LLM call waits this long for the answer (DeepSeek, small JSON answers)
LLM_CALL_MS = 3000.0
#: any other HTTP call from a handler (Slack, the downstream CRM, Twilio, the marketing platform)
HTTP_CALL_MS = 200.0
#: Lambda writes START, END and REPORT lines for every invocation (about this many bytes together)
LAMBDA_PLATFORM_BYTES = 330
LAMBDA_PLATFORM_EVENTS = 3
#: one access-log line per REST request and per WebSocket message, connect and disconnect (the
#: JSON formats the stacks declare, filled with typical values)
REST_ACCESS_LOG_BYTES = 230
WS_ACCESS_LOG_BYTES = 330
HEADER = ["First Name", "Last Name", "Email", "Phone", "Company", "Job Title", "Country", "Subject", "Body", "Received"]

_local = threading.local()


# ---------------------------------------------------------------- the workbook


def make_workbook(leads: int, emails: int) -> Path:
    from openpyxl import Workbook

    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / f"cost-{leads}-{emails}.xlsx"
    if path.exists():
        return path
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("Leads")
    ws.append(HEADER)
    step = max(1, leads // max(1, emails))
    given = 0
    for i in range(leads):
        first = ["Ana", "Bob", "Chen", "Dara", "Eve", "Femi", "Gus", "Hana"][i % 8]
        last = ["Lima", "Stone", "Wu", "Okafor", "Berg", "Silva", "Khan", "Novak"][(i // 8) % 8]
        message = ["", "", ""]
        if given < emails and i % step == 0:
            given += 1
            received = f"2026-01-{1 + i % 28:02d} {i % 24:02d}:{i % 60:02d}:00"
            message = [f"Question about order {i}", f"Hello, is the offer {i} still valid for our team?", received]
        ws.append(
            [
                first,
                last,
                f"{first.lower()}.{last.lower()}{i}@example{i % 97}.com",
                f"+1212555{i % 10000:04d}",
                f"Company {i % 5000}",
                ["CEO", "CTO", "Buyer", "Manager"][i % 4],
                ["US", "DE", "BR", "GB"][i % 4],
                *message,
            ]
        )
    wb.save(path)
    return path


# ---------------------------------------------------------------- measuring


class CountingStream(io.TextIOBase):
    """stdout while the runtime runs: every line a handler prints is counted for the function on the
    thread (Powertools' logger and EMF metrics both write here); nothing is kept or shown."""

    def __init__(self, meter: Meter) -> None:
        self.meter = meter

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        buffer = getattr(_local, "line", "") + text
        *lines, rest = buffer.split("\n")
        _local.line = rest
        for line in lines:
            self.meter.logged(line)
        return len(text)


@dataclasses.dataclass
class Invocation:
    fn: str
    thread: int = 0
    cpu_s: float = 0.0
    io_ms: float = 0.0
    #: waits on the handler's worker threads (a pool's threads wait side by side: the longest counts)
    worker_io_ms: dict[int, float] = dataclasses.field(default_factory=dict)
    worker_cpu_s: float = 0.0
    overhead_s: float = 0.0
    excluded: bool = False

    def waited(self, ms: float) -> None:
        ident = threading.get_ident()
        if ident == self.thread:
            self.io_ms += ms
        else:
            self.worker_io_ms[ident] = self.worker_io_ms.get(ident, 0.0) + ms

    @property
    def billed_ms(self) -> int:
        return cm.billed_ms(self.cpu_s, self.io_ms + max(self.worker_io_ms.values(), default=0.0))


class Meter:
    """Everything the run used, attributed to the function running on the thread."""

    def __init__(self, memory: Mapping[str, int]) -> None:
        self.memory = dict(memory)
        self.lock = threading.Lock()
        self.on = False
        self.calls: collections.Counter[tuple[str, str]] = collections.Counter()
        self.functions: dict[str, cm.FunctionUse] = {}
        self.usage = cm.Usage()
        self.log_bytes: collections.Counter[str] = collections.Counter()
        self.rru: collections.Counter[str] = collections.Counter()
        self.wru: collections.Counter[str] = collections.Counter()
        self.emf_metrics: set[tuple[str, str]] = set()
        self.emf_bytes = 0
        self.llm_calls = 0
        self.http_calls: collections.Counter[str] = collections.Counter()
        self.sent_ids: set[str] = set()
        self.received_ids: set[str] = set()
        self.rest_requests = 0
        self.indexes: dict[str, list[list[str]]] = {}
        self.reader: Any = None  # an uncounted DynamoDB client, to size updated items
        self.phase_calls: collections.Counter[str] = collections.Counter()
        self.phase = ""

    # -- invocations

    def wrap_invoker(self) -> None:
        from leadflow.local import lambda_runtime

        original = lambda_runtime.Invoker.__call__
        meter = self

        def call(invoker: Any, event: dict[str, Any]) -> Any:
            outer = getattr(_local, "inv", None)
            inv = Invocation(invoker.fn.key, thread=threading.get_ident(), excluded=_bench_poll(event))
            _local.inv = inv
            started = time.thread_time()
            try:
                return original(invoker, event)
            finally:
                inv.cpu_s = time.thread_time() - started + inv.worker_cpu_s - inv.overhead_s
                _local.inv = outer
                meter.invoked(inv, event)

        lambda_runtime.Invoker.__call__ = call  # type: ignore[method-assign]
        # handlers fan work out to thread pools (notices, downstream sync, batch reads): the pool's
        # threads work for the invocation that submitted, and their CPU time is billed to it
        original_submit = ThreadPoolExecutor.submit

        def submit(pool: Any, fn: Any, /, *args: Any, **kwargs: Any) -> Any:
            inv = getattr(_local, "inv", None)
            if inv is None:
                return original_submit(pool, fn, *args, **kwargs)

            def work(*a: Any, **k: Any) -> Any:
                outer = getattr(_local, "inv", None)
                _local.inv = inv
                started = time.thread_time()
                try:
                    return fn(*a, **k)
                finally:
                    with meter.lock:
                        inv.worker_cpu_s += time.thread_time() - started
                    _local.inv = outer

            return original_submit(pool, work, *args, **kwargs)

        ThreadPoolExecutor.submit = submit  # type: ignore[method-assign]

    def invoked(self, inv: Invocation, event: Mapping[str, Any]) -> None:
        if not self.on or inv.excluded:
            return
        with self.lock:
            use = self.functions.setdefault(inv.fn, cm.FunctionUse(memory_mb=self.memory.get(inv.fn, 128)))
            use.invocations += 1
            use.billed_ms += inv.billed_ms
            self.usage.log_bytes += LAMBDA_PLATFORM_BYTES
            self.usage.log_events += LAMBDA_PLATFORM_EVENTS
            if "httpMethod" in event:
                self.rest_requests += 1

    # -- AWS calls

    def install(self, runtime: Any) -> None:
        from leadflow import wiring
        from shared.assignment import push
        from shared.core import aws

        for table in wiring.TABLES:
            name = runtime.resources.tables[table.key]
            self.indexes[name] = [[k for k in (i.pk, i.sk) if k] for i in table.indexes]
        self.reader = runtime.aws("dynamodb")
        # clients copy the session's handlers when built: start from no clients, hook, then build
        aws.reset_clients()
        push._management_client.cache_clear()
        events = aws.session().events
        events.register("before-parameter-build", self._params)
        events.register("after-call", self._after)
        poller = runtime.aws("sqs").meta.events
        poller.register("before-parameter-build", self._params)
        poller.register("after-call", self._after_poller)
        import httpx

        original = httpx.Client.send
        meter = self
        llm_port = os.environ.get("COST_LLM_PORT", "")

        def send(client: Any, request: Any, *args: Any, **kwargs: Any) -> Any:
            inv = getattr(_local, "inv", None)
            if inv is not None and meter.on and not inv.excluded:
                llm = str(request.url.port) == llm_port
                inv.waited(LLM_CALL_MS if llm else HTTP_CALL_MS)
                with meter.lock:
                    meter.http_calls["llm" if llm else request.url.host] += 1
            return original(client, request, *args, **kwargs)

        httpx.Client.send = send  # type: ignore[method-assign]

    @staticmethod
    def _params(params: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
        context["cost_params"] = dict(params)

    def _after_poller(self, parsed: dict[str, Any], model: Any, context: dict[str, Any], **_: Any) -> None:
        # the local event source mappings: what Lambda's pollers would do with messages waiting
        if not self.on or not threading.current_thread().name.startswith("esm-"):
            return
        params = context.get("cost_params", {})
        name = model.name
        if name == "ReceiveMessage" and not parsed.get("Messages"):
            return  # an empty local receive: idle polling is priced in the idle month
        requests = cm.sqs_requests(name, params, parsed)
        with self.lock:
            self.calls[("(event source mappings)", f"sqs.{name}")] += 1
            self._sqs(params.get("QueueUrl", ""), requests)
            for m in parsed.get("Messages", []):
                self.received_ids.add(m["MessageId"])

    def _sqs(self, queue_url: str, requests: int) -> None:
        if queue_url.endswith(".fifo"):
            self.usage.sqs_fifo_requests += requests
        else:
            self.usage.sqs_standard_requests += requests

    def _after(self, parsed: dict[str, Any], model: Any, context: dict[str, Any], **_: Any) -> None:
        inv = getattr(_local, "inv", None)
        if not self.on or (inv is not None and inv.excluded):
            return
        if inv is None:
            # the bench's own setup (agents' tokens written straight to the table): not the journey
            with self.lock:
                self.calls[("(bench, not priced)", f"{model.service_model.service_name}.{model.name}")] += 1
            return
        started = time.thread_time()
        service = model.service_model.service_name
        name = model.name
        params = context.get("cost_params", {})
        fn = inv.fn
        inv.waited(LATENCY_MS.get(service, DEFAULT_LATENCY_MS))
        capacity = cm.Capacity()
        if service == "dynamodb":
            capacity = cm.dynamodb_capacity(name, params, parsed, stored=self._stored, indexes=self.indexes)
        with self.lock:
            self.calls[(fn, f"{service}.{name}")] += 1
            if self.phase:
                self.phase_calls[f"{self.phase}:{service}.{name}"] += 1
            u = self.usage
            u.dynamodb_rru += capacity.rru
            u.dynamodb_wru += capacity.wru
            self.rru[fn] += capacity.rru
            self.wru[fn] += capacity.wru
            if service == "sqs":
                self._sqs(params.get("QueueUrl", ""), cm.sqs_requests(name, params, parsed))
                if name == "SendMessage" and "MessageId" in parsed:
                    self.sent_ids.add(parsed["MessageId"])
                for ok in parsed.get("Successful", []) if name == "SendMessageBatch" else []:
                    self.sent_ids.add(ok["MessageId"])
            elif service == "events" and name == "PutEvents":
                u.eventbridge_events += cm.eventbridge_events(params)
            elif service == "s3":
                tier = cm.s3_tier(name)
                if tier == "tier1":
                    u.s3_tier1 += 1
                elif tier == "tier2":
                    u.s3_tier2 += 1
            elif service in ("ses", "sesv2") and name in ("SendEmail", "SendRawEmail"):
                destination = params.get("Destination", {})
                u.ses_emails += max(
                    1, sum(len(destination.get(k, [])) for k in ("ToAddresses", "CcAddresses", "BccAddresses"))
                )
            elif service == "sns" and name == "Publish":
                u.sns_publishes += cm.chunks(len(str(params.get("Message", "")).encode()))
            elif service == "secretsmanager":
                u.secrets_api_calls += 1
            elif service == "apigatewaymanagementapi" and name == "PostToConnection":
                pass  # counted as the message the agent's client receives
        inv.overhead_s += time.thread_time() - started

    def _stored(self, table: str, key: Mapping[str, Any]) -> Mapping[str, Any] | None:
        item: Mapping[str, Any] | None = self.reader.get_item(TableName=table, Key=dict(key)).get("Item")
        return item

    # -- logs

    def logged(self, line: str) -> None:
        inv = getattr(_local, "inv", None)
        if not self.on or inv is None or inv.excluded:
            return
        size = len(line.encode()) + 1
        with self.lock:
            self.usage.log_bytes += size
            self.usage.log_events += 1
            self.log_bytes[inv.fn] += size
            if line.startswith('{"_aws"'):
                self.emf_bytes += size
                self._emf(line)

    def _emf(self, line: str) -> None:
        with contextlib.suppress(ValueError, KeyError, TypeError):
            doc = json.loads(line)
            for directive in doc["_aws"]["CloudWatchMetrics"]:
                dims = ",".join(f"{d}={doc.get(d)}" for group in directive.get("Dimensions", []) for d in group)
                for metric in directive.get("Metrics", []):
                    self.emf_metrics.add((f"{directive.get('Namespace')}/{metric['Name']}", dims))


def _bench_poll(event: Mapping[str, Any]) -> bool:
    """The bench's own job polls (and their authorizer calls) are not part of the journey."""
    if event.get("httpMethod") == "GET" and "/jobs/" in str(event.get("path", "")):
        return True
    return "/GET/jobs/" in str(event.get("methodArn", ""))


# ---------------------------------------------------------------- the journey


async def agents_work(runtime: Any, meter: Meter, agents: int, emails: int, timeout_s: float) -> dict[str, Any]:
    from leadflow.agent import AgentSession

    done = asyncio.Event()
    dispositioned: set[str] = set()
    url = runtime.websocket_url
    sessions = [AgentSession(url, runtime.create_token("agent", f"cost-agent-{i}")) for i in range(agents)]
    units = collections.Counter[str]()
    connected_s = 0.0

    async def work(session: AgentSession) -> None:
        nonlocal connected_s
        opened = time.monotonic()
        await session.__aenter__()
        ws = session.ws
        assert ws is not None

        async def send(action: str, **fields: Any) -> None:
            text = json.dumps({"action": action, **fields})
            units["in"] += cm.chunks(len(text.encode()), cm.WEBSOCKET_UNIT)
            await ws.send(text)

        current: str | None = None
        await send("setStatus", status="online")
        while not done.is_set():
            try:
                raw = await asyncio.wait_for(ws.recv(), 0.5)
            except TimeoutError:
                continue
            units["out"] += cm.chunks(len(raw if isinstance(raw, bytes) else raw.encode()), cm.WEBSOCKET_UNIT)
            message = json.loads(raw)
            kind = message.get("type")
            assignment = None
            if kind == "assigned":
                assignment = message
            elif kind == "status" and message.get("email"):
                assignment = {"email": message["email"]}
            elif kind == "dispositioned":
                dispositioned.add(message["email_id"])
                if len(dispositioned) >= emails:
                    done.set()
                assignment = message.get("assigned")
            if assignment is not None and assignment["email"]["email_id"] != current:
                current = assignment["email"]["email_id"]
                await send("disposition", email_id=current, disposition="Neutral Reply")
        await session.close()
        connected_s += time.monotonic() - opened

    tasks = [asyncio.create_task(work(s)) for s in sessions]
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(done.wait(), timeout_s)
    done.set()
    await asyncio.gather(*tasks)
    return {
        "dispositioned": len(dispositioned),
        "messages_in": units["in"],
        "messages_out": units["out"],
        "connection_minutes": connected_s / 60,
        # a connect and a disconnect per agent, each an access-log line
        "connects": agents,
    }


def settle(runtime: Any, timeout_s: float) -> None:
    """Idle, and no delayed message left on any main queue (`wait_idle` does not count those)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        runtime.wait_idle(max(1.0, deadline - time.monotonic()))
        delayed = sum(
            int(
                runtime.aws("sqs").get_queue_attributes(
                    QueueUrl=url, AttributeNames=["ApproximateNumberOfMessagesDelayed"]
                )["Attributes"]["ApproximateNumberOfMessagesDelayed"]
            )
            for url in runtime.resources.queues.values()
        )
        if delayed == 0 and runtime.wait_idle(1.0):
            return
        time.sleep(0.5)
    raise TimeoutError(f"the local runtime did not settle within {timeout_s} s")


def admitted(send: Callable[[], Any], *, tries: int = 100, pause_s: float = 0.2) -> Any:
    """`send()` again while it is answered 429: the stage's throttle refused it before anything ran (the
    Twilio webhook and form routes have low limits of their own; this bench sends faster than people do)."""
    response = send()
    for _ in range(tries):
        if response.status_code != 429:
            break
        time.sleep(pause_s)
        response = send()
    return response


def form_setup(runtime: Any, client: Any, count: int) -> dict[str, Any]:
    """Setup, not counted: an integration's token, and (as an admin) one dealer location per form lead (a dealer
    phone can hold a conversation on each pool number once, and the dev pool has three numbers)."""
    import httpx

    token = client.create_token("integration", "cost-forms")["token"]
    # a dealer location's number is admin-only (issue 15's route scopes); the leads come with the integration's
    admin = runtime.create_token("admin", "cost-setup")
    locations = []
    with httpx.Client(base_url=runtime.rest_url, headers={"Authorization": f"Bearer {admin}"}, timeout=60) as api:
        for i in range(count):
            dealer, phone = f"D-{uuid.uuid4().hex[:8]}", f"+1212556{i % 10000:04d}"
            admitted(functools.partial(api.put, f"/locations/{dealer}/L1", json={"phone": phone})).raise_for_status()
            locations.append((dealer, "L1", phone))
    return {"token": token, "locations": locations}


def form_leads(runtime: Any, setup: Mapping[str, Any]) -> dict[str, Any]:
    import httpx

    from leadflow.local.twilio_sink import simulate_inbound

    replies = 0
    accepted = 0
    statuses: collections.Counter[int] = collections.Counter()
    headers = {"Authorization": f"Bearer {setup['token']}"}
    with httpx.Client(base_url=runtime.rest_url, headers=headers, timeout=60) as api:
        for i, (dealer, location, dealer_phone) in enumerate(setup["locations"]):
            customer = f"+1415555{i % 10000:04d}"
            form = {
                "first_name": "Ana",
                "last_name": f"Lima{i}",
                "email": f"ana.{i}@example.org",
                "phone": customer,
                "dealer_id": dealer,
                "location_id": location,
                "form_id": "test-drive",
                "page_url": "https://dealer.example.com/test-drive",
                "message": "Is the blue one still there?",
            }
            response = admitted(functools.partial(api.post, "/leads", json=form))
            statuses[response.status_code] += 1
            if response.status_code != 202:
                continue
            accepted += 1
            pool = response.json()["pool_number"]
            assert runtime.forms is not None
            url = f"{runtime.rest_url}/twilio/sms"
            for sender, text in ((customer, "What is the price?"), (dealer_phone, "25k, come by today")):
                reply = admitted(
                    functools.partial(simulate_inbound, url, runtime.forms.auth_token, from_=sender, to=pool, text=text)
                )
                if reply.status_code == 200:
                    replies += 1
    return {"accepted": accepted, "sms_replies": replies, "statuses": dict(statuses)}


def stored_bytes(runtime: Any, indexes: Mapping[str, list[list[str]]]) -> dict[str, int]:
    s3 = runtime.aws("s3")
    ddb = runtime.aws("dynamodb")
    out = {"s3": 0, "dynamodb": 0}
    for bucket in runtime.resources.buckets.values():
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket):
            out["s3"] += sum(o["Size"] for o in page.get("Contents", []))
    for table in runtime.resources.tables.values():
        for page in ddb.get_paginator("scan").paginate(TableName=table):
            # DynamoDB bills 100 bytes of overhead per item, and every global index holding the item
            # (all project ALL) stores its own copy
            for item in page.get("Items", []):
                out["dynamodb"] += (cm.item_size(item) + 100) * (1 + cm.index_copies(item, indexes.get(table, [])))
    return out


def llm_tokens(fake: Any, tokens_per_char: float) -> dict[str, int]:
    from leadflow.local import fake_llm

    chars_in = chars_out = 0
    for request in fake.requests:
        if not request.body:
            continue
        chars_in += sum(len(str(m.get("content", ""))) for m in request.body.get("messages", []))
        if request.kind:
            # the server's answer is a pure function of the request: recompute it to count its text
            answer = fake_llm._answer(request.kind, request.body, hallucinate=False)
            chars_out += len(json.dumps(answer, ensure_ascii=False))
    return {
        "calls": len(fake.requests),
        "input_tokens": math.ceil(chars_in * tokens_per_char),
        "output_tokens": math.ceil(chars_out * tokens_per_char),
    }


def _progress(text: str) -> None:
    print(f"[cost] {text}", file=sys.stderr, flush=True)


def synth_templates(stage: str) -> list[dict[str, Any]]:
    from stacks import build_app

    with tempfile.TemporaryDirectory() as outdir:
        os.environ.pop("CDK_DEFAULT_ACCOUNT", None)
        # prod needs an alarm recipient to synthesize; one email subscription costs nothing
        context = {"alarm_emails": "oncall@leadflow.example"} if stage == "prod" else None
        assembly = build_app(stage, outdir=outdir, bundle=False, context=context).synth()
        return [dict(s.template) for s in assembly.stacks]


def run(args: argparse.Namespace, meter: Meter) -> dict[str, Any]:
    from leadflow.client import LeadflowClient
    from leadflow.config import load_stage
    from leadflow.local.fake_llm import FakeLlm
    from leadflow.local.runtime import LocalRuntime

    prices = cm.load_prices()
    workbook = make_workbook(args.leads, args.emails)
    with FakeLlm() as fake:
        os.environ["LLM_API_KEY"] = fake.api_key
        os.environ["COST_LLM_PORT"] = str(fake.port)
        config = dataclasses.replace(load_stage("dev"), llm_base_url=fake.url, llm_model="fake")
        # INFO: the level every deployed function logs at (wiring.POWERTOOLS_ENV)
        with LocalRuntime(config=config, log_level="INFO") as runtime:
            meter.install(runtime)
            # the local runtime turns EMF off (its lines would only clutter stdout); on AWS every
            # function prints them, so they are written here too, to be counted
            os.environ["POWERTOOLS_METRICS_DISABLED"] = "false"
            client = LeadflowClient(runtime.rest_url, runtime.create_token("admin", "cost-bench"))
            setup = form_setup(runtime, client, args.forms)
            runtime.wait_idle(args.timeout)
            started = time.monotonic()
            meter.on = True
            meter.phase = "upload"
            job = client.upload(workbook)
            # the presigned POST goes from the client straight to S3: one tier-1 request
            meter.usage.s3_tier1 += 1 if workbook.stat().st_size > 4 * 1024 * 1024 else 0
            job = client.wait(job["job_id"], timeout_s=args.timeout, interval_s=1.0)
            # the idle window starts once delayed messages (a burst's digest, retries) have run too
            settle(runtime, args.timeout)
            _progress(f"uploaded and stored: {job.get('leads_stored')} leads")
            meter.phase = "idle"
            idle_started = time.monotonic()
            time.sleep(args.idle_s)
            idle_s = time.monotonic() - idle_started
            meter.phase = "agents"
            work = asyncio.run(agents_work(runtime, meter, args.agents, args.emails, args.timeout))
            _progress(f"agents: {work['dispositioned']} emails dispositioned")
            meter.phase = "forms"
            forms = form_leads(runtime, setup)
            runtime.wait_idle(args.timeout)
            _progress(f"forms: {forms['accepted']} accepted, everything settled")
            meter.phase = ""
            meter.on = False
            wall = time.monotonic() - started
            stored = stored_bytes(runtime, meter.indexes)
            depths = runtime.queue_depths()
            errors = [repr(e)[:200] for e in runtime.errors]
        tokens = llm_tokens(fake, float(prices["llm"]["tokens_per_char"]["price"]))
    u = meter.usage
    u.functions = meter.functions
    u.rest_requests = meter.rest_requests
    u.websocket_messages = work["messages_in"] + work["messages_out"]
    u.websocket_connection_minutes = work["connection_minutes"]
    u.log_bytes += meter.rest_requests * REST_ACCESS_LOG_BYTES
    u.log_events += meter.rest_requests
    ws_lines = work["messages_in"] + 2 * work["connects"]
    u.log_bytes += ws_lines * WS_ACCESS_LOG_BYTES
    u.log_events += ws_lines
    # messages the pollers took that no handler sent: EventBridge, S3 and SNS delivered them, and
    # each delivery is a SendMessage billed to the queue's owner
    deliveries = len(meter.received_ids - meter.sent_ids)
    u.sqs_standard_requests += deliveries
    u.s3_bytes_stored = stored["s3"]
    u.dynamodb_bytes_stored = stored["dynamodb"]
    u.llm_input_tokens = tokens["input_tokens"]
    u.llm_output_tokens = tokens["output_tokens"]
    leads = max(1, int(job.get("leads_stored", 0)) + forms["accepted"])
    amounts = cm.dollars(u, prices)
    per_1000 = cm.per_thousand(amounts, leads)
    arm = cm.per_thousand(cm.dollars(u, prices, architecture="arm64"), leads)

    templates = {stage: synth_templates(stage) for stage in ("prod", "dev")} if not args.no_synth else {}
    idle = {stage: cm.idle_month(t, prices) for stage, t in templates.items()}
    emf_series = len(meter.emf_metrics)
    custom_metrics_month = emf_series * cm.price(prices, "cloudwatch", "custom_metric_month")
    seeds = {
        "easy-crm-lambdas": cm.easy_crm(prices),
        "lead-processing-task": cm.fifo_requeue(prices),
    }
    idle_requests = sum(n for k, n in meter.phase_calls.items() if k.startswith("idle:"))
    by_service: collections.Counter[str] = collections.Counter()
    for (_fn, op), n in meter.calls.items():
        by_service[op.split(".")[0]] += n
    functions = {
        k: {
            "invocations": f.invocations,
            "billed_ms": f.billed_ms,
            "billed_ms_mean": round(f.billed_ms / max(1, f.invocations), 1),
            "memory_mb": f.memory_mb,
            "gb_s": round(f.gb_s, 3),
            "log_bytes": meter.log_bytes.get(k, 0),
            "dynamodb_rru": round(meter.rru.get(k, 0.0), 1),
            "dynamodb_wru": round(meter.wru.get(k, 0.0), 1),
        }
        for k, f in sorted(meter.functions.items())
    }
    total = sum(per_1000.values())
    result = {
        "size": {
            "leads_in_workbook": args.leads,
            "emails": args.emails,
            "agents": args.agents,
            "forms": args.forms,
            "leads_priced": leads,
        },
        "journey": {
            "job_status": job.get("status"),
            "leads_stored": job.get("leads_stored"),
            "rows_rejected": job.get("rows_rejected"),
            "dispositioned": work["dispositioned"],
            "forms_accepted": forms["accepted"],
            "sms_replies": forms["sms_replies"],
            "form_statuses": forms["statuses"],
            "wall_s": round(wall, 1),
            "queues_left": {k: v for k, v in depths.items() if v["visible"] or v["in_flight"]},
            "handler_errors": errors[:5],
        },
        "per_1000_leads_usd": {k: round(v, 6) for k, v in sorted(per_1000.items(), key=lambda kv: -kv[1])},
        "per_1000_leads_total_usd": round(total, 6),
        "per_1000_leads_total_usd_if_arm64": round(sum(arm.values()), 6),
        "per_1000_leads_units": {
            "lambda_invocations": round(sum(f.invocations for f in u.functions.values()) * 1000 / leads, 1),
            "lambda_gb_s": round(sum(f.gb_s for f in u.functions.values()) * 1000 / leads, 3),
            "dynamodb_rru": round(u.dynamodb_rru * 1000 / leads, 1),
            "dynamodb_wru": round(u.dynamodb_wru * 1000 / leads, 1),
            "sqs_requests": round((u.sqs_standard_requests + u.sqs_fifo_requests) * 1000 / leads, 1),
            "sqs_deliveries_by_services": round(deliveries * 1000 / leads, 1),
            "eventbridge_events": round(u.eventbridge_events * 1000 / leads, 1),
            "s3_tier1": round(u.s3_tier1 * 1000 / leads, 1),
            "s3_tier2": round(u.s3_tier2 * 1000 / leads, 1),
            "s3_bytes_stored": round(u.s3_bytes_stored * 1000 / leads),
            "dynamodb_bytes_stored": round(u.dynamodb_bytes_stored * 1000 / leads),
            "rest_requests": round(u.rest_requests * 1000 / leads, 1),
            "websocket_messages": round(u.websocket_messages * 1000 / leads, 1),
            "websocket_connection_minutes": round(u.websocket_connection_minutes * 1000 / leads, 2),
            "ses_emails": round(u.ses_emails * 1000 / leads, 1),
            "sns_publishes": round(u.sns_publishes * 1000 / leads, 1),
            "secrets_api_calls": round(u.secrets_api_calls * 1000 / leads, 1),
            "log_bytes": round(u.log_bytes * 1000 / leads),
            "log_events": round(u.log_events * 1000 / leads),
            "emf_bytes": round(meter.emf_bytes * 1000 / leads),
            "llm_calls": round(tokens["calls"] * 1000 / leads, 2),
            "llm_input_tokens": round(u.llm_input_tokens * 1000 / leads),
            "llm_output_tokens": round(u.llm_output_tokens * 1000 / leads),
            "http_calls": {k: round(v * 1000 / leads, 1) for k, v in meter.http_calls.items()},
        },
        "aws_requests_per_1000_leads_by_service": {
            k: round(v * 1000 / leads, 1) for k, v in sorted(by_service.items(), key=lambda kv: -kv[1])
        },
        "aws_requests_by_function_and_api": {f"{fn} {op}": n for (fn, op), n in sorted(meter.calls.items())},
        "functions": functions,
        "idle_window": {
            "seconds": round(idle_s, 1),
            "emails_pending": args.emails,
            "agents_online": 0,
            "handler_aws_requests": idle_requests,
            "per_idle_hour": round(idle_requests * 3600 / max(1.0, idle_s), 1),
        },
        "idle_month_usd": {k: {**v, "dollars": cm.round_money(v["dollars"], 4)} for k, v in idle.items()},
        "custom_metrics": {
            "emf_series_seen": emf_series,
            "usd_per_month_with_traffic": round(custom_metrics_month, 2),
            "note": "each EMF metric x dimension set seen in a month is a custom metric, billed whether 1 or 1M leads",
        },
        "seeds": {
            "easy-crm-lambdas": {
                **seeds["easy-crm-lambdas"],
                "per_1000_leads": cm.round_money(seeds["easy-crm-lambdas"]["per_1000_leads"]),
            },
            "lead-processing-task": {
                **seeds["lead-processing-task"],
                "dollars": cm.round_money(seeds["lead-processing-task"]["dollars"]),
            },
            "leadflow_vs_easy_crm": round(total / seeds["easy-crm-lambdas"]["total_per_1000_leads"], 3),
        },
        "assumptions": {
            "aws_call_latency_ms": LATENCY_MS,
            "other_aws_call_latency_ms": DEFAULT_LATENCY_MS,
            "llm_call_ms": LLM_CALL_MS,
            "other_http_call_ms": HTTP_CALL_MS,
            "handler_cpu": "time.thread_time() on the invoking thread, this machine's CPU (not a Lambda vCPU share)",
            "lambda_platform_log": f"{LAMBDA_PLATFORM_BYTES} bytes in {LAMBDA_PLATFORM_EVENTS} lines per invocation",
            "access_logs": f"REST {REST_ACCESS_LOG_BYTES} B per request, WebSocket {WS_ACCESS_LOG_BYTES} B per line",
            "log_storage": "one month of the raw bytes (AWS stores them compressed: an upper bound)",
            "storage": "S3 and DynamoDB bytes left at the end, priced for one month",
            "dynamodb": "reads priced on the items returned; deletes and condition checks at 1 KB",
            "llm_tokens": "0.3 token per character of request and answer; every input token a cache miss",
            "free_tiers": "none applied",
            "not_priced": "X-Ray traces (tracing is Active), data transfer out, Twilio and Slack",
            "architecture": "x86_64, as the stacks deploy (arm64 total shown beside)",
        },
        "prices": str(cm.PRICES.relative_to(ROOT)),
    }
    return result


def table(result: dict[str, Any]) -> str:
    lines = [f"What it costs, per 1,000 leads ({result['size']['leads_priced']} leads priced):"]
    for service, usd in result["per_1000_leads_usd"].items():
        lines.append(f"  {service:24s} ${usd:10.4f}")
    lines.append(f"  {'total':24s} ${result['per_1000_leads_total_usd']:10.4f}")
    lines.append(f"  {'total if arm64':24s} ${result['per_1000_leads_total_usd_if_arm64']:10.4f}")
    for stage, idle in result["idle_month_usd"].items():
        lines.append(f"Idle month, {stage} stage (from its template): ${idle['total']:.2f}")
        for item, usd in idle["dollars"].items():
            lines.append(f"  {item:24s} ${usd:10.2f}")
    metrics = result["custom_metrics"]["usd_per_month_with_traffic"]
    lines.append(f"Custom metrics (EMF) in a month with any traffic: ${metrics:.2f}")
    easy = result["seeds"]["easy-crm-lambdas"]
    lines.append(f"easy-crm-lambdas per 1,000 leads: ${easy['total_per_1000_leads']:.4f}")
    fifo = result["seeds"]["lead-processing-task"]
    lines.append(
        f"lead-processing-task, one idle hour with 100 pending: ${fifo['total']:.6f}"
        f" (${fifo['per_month_if_idle_all_month']:.4f} a month idle)"
    )
    w = result["idle_window"]
    lines.append(
        f"Leadflow idle window ({w['seconds']} s, {w['emails_pending']} emails pending, nobody online):"
        f" {w['handler_aws_requests']} AWS requests"
    )
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--leads", type=int, default=10_000)
    parser.add_argument("--emails", type=int, default=1_000)
    parser.add_argument("--agents", type=int, default=10)
    parser.add_argument("--forms", type=int, default=100)
    parser.add_argument("--idle-s", type=float, default=10.0, help="the idle window with emails pending")
    parser.add_argument("--timeout", type=float, default=1200.0, help="give up waiting for a phase after this")
    parser.add_argument("--no-synth", action="store_true", help="skip the idle month (no CDK synth)")
    args = parser.parse_args()
    if not (1 <= args.leads <= 100_000 and 0 <= args.emails <= args.leads and 1 <= args.agents <= 100):
        parser.error("bounds: 1-100000 leads, emails <= leads, 1-100 agents")
    if not (0 <= args.forms <= 1000 and 0 <= args.idle_s <= 600 and 1 <= args.timeout <= 3600):
        parser.error("bounds: 0-1000 forms, 0-600 s idle, 1-3600 s timeout")
    from shared.enrichment.standardize import headers  # noqa: F401  (warm imports outside the measured calls)

    real_stdout = sys.stdout
    meter = Meter(_memory())
    meter.wrap_invoker()
    counting = CountingStream(meter)
    with contextlib.redirect_stdout(counting):
        from shared.core.observability import logger

        # the handlers' logger writes to the stream it was built with: point it at the counter
        logger.registered_handler.setStream(counting)  # type: ignore[attr-defined]
        result = run(args, meter)
    print(table(result), file=sys.stderr)
    print(json.dumps(result), file=real_stdout)
    journey = result["journey"]
    return 0 if journey["dispositioned"] >= args.emails and journey["job_status"] == "completed" else 1


def _memory() -> dict[str, int]:
    from leadflow import wiring

    return {fn.key: fn.memory_mb for fn in wiring.FUNCTIONS}


if __name__ == "__main__":
    sys.exit(main())
