"""The `leadflow` command: serve the local system, upload files, watch jobs, make tokens.

It talks to the local runtime by default (`.leadflow/local.json`, written by `leadflow dev`), or to
a deployed stage through `--api URL` / `LEADFLOW_API` and `--token` / `LEADFLOW_TOKEN`.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import threading
import time
from pathlib import Path
from typing import Any

from leadflow.client import LOCAL_STATE, ApiError, LeadflowClient, resolve_connection
from leadflow.config import REPO_ROOT

SAMPLE = REPO_ROOT / "samples" / "leads-sample.xlsx"


def _client(args: argparse.Namespace) -> LeadflowClient:
    conn = resolve_connection(args.api, args.token)
    if not conn.token:
        raise ApiError(0, "no token: pass --token, set LEADFLOW_TOKEN, or run `leadflow dev` for a local one")
    return LeadflowClient(conn.api, conn.token)


def _progress_bar(job: dict[str, Any]) -> None:
    total = job.get("batches_total")
    done = job.get("batches_done", 0)
    width = 30
    if total:
        filled = int(width * min(done, total) / total)
        bar = "#" * filled + "-" * (width - filled)
        counts = f"{done}/{total} batches"
    else:
        bar = "." * width
        counts = "splitting"
    line = (
        f"\r[{bar}] {job['status']:<10} {counts:<16} leads {job.get('leads_stored', 0):>7}"
        f"  rejected {job.get('rows_rejected', 0):>5}"
    )
    sys.stderr.write(line)
    sys.stderr.flush()


def summary(job: dict[str, Any]) -> str:
    lines = [
        f"job {job['job_id']}  {job['filename']}",
        f"  status          {job['status']}",
        f"  rows            {job['rows_total']}",
        f"  leads stored    {job['leads_stored']}",
        f"  rows rejected   {job['rows_rejected']}",
        f"  duplicates      {job.get('leads_duplicate', 0)} (merged into existing leads)",
        f"  batches         {job['batches_done']}/{job['batches_total'] if job['batches_total'] is not None else '?'}",
    ]
    if job.get("rules_only", True):
        lines.append("  standardized    by rules only (no LLM provider configured, or none was needed)")
    else:
        lines.append(f"  standardized    by rules, with {job.get('llm_calls', 0)} LLM calls where rules could not")
    if job.get("error"):
        lines.append(f"  error           {job['error']}")
    rejections = job.get("rejections") or []
    if rejections:
        lines.append("  rejected rows:")
        for r in rejections[:20]:
            where = f"{r['worksheet']}!" if r.get("worksheet") else ""
            lines.append(f"    {where}row {r['row']}: {r['reason']}")
        if len(rejections) > 20:
            lines.append(f"    ... and {len(rejections) - 20} more")
    return "\n".join(lines)


# ---------------------------------------------------------------------- commands


def cmd_upload(args: argparse.Namespace) -> int:
    client = _client(args)
    path = Path(args.file)
    if not path.is_file():
        print(f"no such file: {path}", file=sys.stderr)
        return 2
    job = client.upload(path)
    if not args.wait:
        print(json.dumps(job, indent=2) if args.json else f"job {job['job_id']} {job['status']}")
        return 0
    progress = None if args.json else _progress_bar
    job = client.wait(job["job_id"], on_progress=progress)
    if progress:
        sys.stderr.write("\n")
    print(json.dumps(job, indent=2) if args.json else summary(job))
    return 0 if job["status"] == "completed" else 1


def cmd_jobs_show(args: argparse.Namespace) -> int:
    job = _client(args).job(args.job_id)
    print(json.dumps(job, indent=2) if args.json else summary(job))
    return 0


def cmd_jobs_cancel(args: argparse.Namespace) -> int:
    job = _client(args).cancel(args.job_id)
    print(json.dumps(job, indent=2) if args.json else f"job {job['job_id']} {job['status']}")
    return 0


def cmd_tokens_create(args: argparse.Namespace) -> int:
    result = _client(args).create_token(args.role, args.user)
    print(json.dumps(result, indent=2) if args.json else result["token"])
    return 0


_FILTERS = ("status", "source", "job_id", "created_from", "created_to", "email", "name", "company", "country")


def _filters(args: argparse.Namespace) -> dict[str, Any]:
    return {f: getattr(args, f) for f in _FILTERS if getattr(args, f, None) is not None}


def cmd_leads_list(args: argparse.Namespace) -> int:
    page = _client(args).leads(**_filters(args), limit=args.limit, cursor=args.cursor)
    if args.json:
        print(json.dumps(page, indent=2))
        return 0
    for lead in page["leads"]:
        name = " ".join(p for p in (lead.get("first_name"), lead.get("last_name")) if p)
        print(
            f"{lead['created_at'][:19]}  {name:<28} {lead.get('email') or '':<34} {lead.get('phone') or '':<16} "
            f"{lead.get('company') or ''}"
        )
    if page.get("next_cursor"):
        print(f"more: --cursor {page['next_cursor']}")
    return 0


def cmd_leads_export(args: argparse.Namespace) -> int:
    data = _client(args).export(**_filters(args))
    Path(args.output).write_bytes(data)
    rows = max(0, data.count(b"\n") - 1)
    print(f"wrote {rows} leads to {args.output}")
    return 0


def cmd_ask(args: argparse.Namespace) -> int:
    answer = _client(args).ask(args.question)
    if args.json:
        print(json.dumps(answer, indent=2))
        return 0
    print(f"query: {json.dumps(answer['query'])}")
    print(f"{answer['count']} leads")
    for lead in answer["leads"]:
        print(f"  {lead.get('email') or lead.get('phone')}  {lead.get('company') or ''}")
    return 0


def cmd_callers(args: argparse.Namespace) -> int:
    callers = _client(args).callers(args.limit)
    if args.json:
        print(json.dumps(callers, indent=2))
        return 0
    if not callers:
        print("no calls yet")
    for call in callers:
        print(f"{call['called_at']}  {call['caller']}")
        for v in call["vanity"]:
            print(f"    {v}")
    return 0


def cmd_vanity(args: argparse.Namespace) -> int:
    """Computed here, with the same engine the Connect function runs."""
    from shared.phone.vanity.engine import spoken, vanity_numbers
    from shared.phone.vanity.numbers import InvalidNumber

    try:
        found = vanity_numbers(args.number, args.count)
    except InvalidNumber as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps([{"text": v.text, "words": list(v.words), "spoken": spoken(v)} for v in found], indent=2))
    else:
        for v in found:
            print(v.text)
    return 0


def cmd_tokens_bootstrap(args: argparse.Namespace) -> int:
    """The first admin token of a deployed stage, written with your AWS credentials (no API token yet)."""
    from leadflow.config import load_stage
    from shared.core.auth import TokenStore, parse_role

    config = load_stage(args.stage)
    token = TokenStore(config.name("tokens")).create(role=parse_role(args.role), user=args.user, created_by="bootstrap")
    print(token)
    return 0


def _start_runtime(stage: str, port: int, log_level: str) -> Any:
    from leadflow.local.runtime import LocalRuntime

    return LocalRuntime(stage, rest_port=port, log_level=log_level).start()


def cmd_dev(args: argparse.Namespace) -> int:
    runtime = _start_runtime(args.stage, args.port, "INFO" if args.verbose else "WARNING")
    token = runtime.create_token("admin", "dev-admin")
    state = {
        "stage": runtime.config.stage,
        "rest_url": runtime.rest_url,
        "websocket_url": runtime.websocket_url,
        "console_url": runtime.console_url,
        "aws_endpoint": runtime.moto.url,
        "admin_token": token,
        "sink_url": runtime.notification.sink.url if runtime.notification else None,
    }
    LOCAL_STATE.parent.mkdir(exist_ok=True)
    LOCAL_STATE.write_text(json.dumps(state, indent=2))
    print("Leadflow local runtime is up (Ctrl-C to stop)")
    print(f"  REST API       {runtime.rest_url}")
    print(f"  WebSocket API  {runtime.websocket_url}   (agents: ?token=..., or `leadflow agent --token T`)")
    print(f"  agent console  {runtime.console_url}   (sign in with an agent token)")
    print(f"  local AWS      {runtime.moto.url}")
    print(f"  admin token    {token}")
    print(f"  written to     {LOCAL_STATE}")
    if runtime.notification:
        from leadflow.local.sink import describe

        print(f"  local sink     {runtime.notification.sink.url}  (Slack, downstream, alarms; each post shown below)")
        runtime.notification.sink.on_receive = lambda received: print(describe(received), flush=True)
    sys.stdout.flush()
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        while not stop.wait(0.5):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        runtime.stop()
        LOCAL_STATE.unlink(missing_ok=True)
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    started = time.monotonic()
    runtime = _start_runtime(args.stage, 0, "WARNING")
    try:
        token = runtime.create_token("admin", "demo")
        client = LeadflowClient(runtime.rest_url, token)
        path = Path(args.file) if args.file else SAMPLE
        print(f"local runtime up at {runtime.rest_url}; uploading {path.name} through the REST API")
        job = client.upload(path)
        job = client.wait(job["job_id"], on_progress=_progress_bar, timeout_s=300)
        sys.stderr.write("\n")
        print(summary(job))
        print(f"done in {time.monotonic() - started:.1f} s")
        return 0 if job["status"] == "completed" else 1
    finally:
        runtime.stop()


def cmd_agent(args: argparse.Namespace) -> int:
    from leadflow.agent import run_terminal

    state = json.loads(LOCAL_STATE.read_text()) if LOCAL_STATE.exists() else {}
    url = args.url or os.environ.get("LEADFLOW_WS") or state.get("websocket_url")
    if not url:
        print("error: no WebSocket URL: pass --url, set LEADFLOW_WS, or run `leadflow dev`", file=sys.stderr)
        return 1
    return run_terminal(url, args.token)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="leadflow", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    def remote(p: argparse.ArgumentParser) -> None:
        p.add_argument("--api", help="REST API base URL (default: LEADFLOW_API or the local runtime)")
        p.add_argument("--token", help="bearer token (default: LEADFLOW_TOKEN or the local admin token)")
        p.add_argument("--json", action="store_true", help="print JSON")

    dev = sub.add_parser("dev", help="serve the local system until Ctrl-C")
    dev.add_argument("--stage", default="dev")
    dev.add_argument("--port", type=int, default=0, help="REST port (default: a free one)")
    dev.add_argument("-v", "--verbose", action="store_true", help="show the handlers' logs")
    dev.set_defaults(func=cmd_dev)

    demo = sub.add_parser("demo", help="run the sample workbook through the local system")
    demo.add_argument("--stage", default="dev")
    demo.add_argument("--file", help="a file to use instead of the bundled sample")
    demo.set_defaults(func=cmd_demo)

    upload = sub.add_parser("upload", help="upload a spreadsheet, CSV or JSON file of leads")
    upload.add_argument("file")
    upload.add_argument("--wait", action="store_true", help="show progress until the job ends")
    remote(upload)
    upload.set_defaults(func=cmd_upload)

    jobs = sub.add_parser("jobs", help="show or cancel jobs").add_subparsers(dest="jobs_command", required=True)
    show = jobs.add_parser("show", help="print a job")
    show.add_argument("job_id")
    remote(show)
    show.set_defaults(func=cmd_jobs_show)
    cancel = jobs.add_parser("cancel", help="cancel a job")
    cancel.add_argument("job_id")
    remote(cancel)
    cancel.set_defaults(func=cmd_jobs_cancel)

    leads = sub.add_parser("leads", help="list or export leads").add_subparsers(dest="leads_command", required=True)

    def filters(p: argparse.ArgumentParser) -> None:
        for name in _FILTERS:
            p.add_argument(f"--{name.replace('_', '-')}", dest=name)

    listing = leads.add_parser("list", help="leads, newest first")
    filters(listing)
    listing.add_argument("--limit", type=int, default=50)
    listing.add_argument("--cursor")
    remote(listing)
    listing.set_defaults(func=cmd_leads_list)
    export = leads.add_parser("export", help="leads as CSV (opens cleanly in Excel)")
    filters(export)
    export.add_argument("-o", "--output", required=True)
    remote(export)
    export.set_defaults(func=cmd_leads_export)

    ask = sub.add_parser("ask", help="ask a question about the leads (needs an LLM provider)")
    ask.add_argument("question")
    remote(ask)
    ask.set_defaults(func=cmd_ask)

    callers = sub.add_parser("callers", help="the last phone callers with their vanity numbers")
    callers.add_argument("--limit", type=int, default=5)
    remote(callers)
    callers.set_defaults(func=cmd_callers)

    vanity = sub.add_parser("vanity", help="the best vanity numbers for a phone number")
    vanity.add_argument("number")
    vanity.add_argument("--count", type=int, default=5)
    vanity.add_argument("--json", action="store_true")
    vanity.set_defaults(func=cmd_vanity)

    agent = sub.add_parser("agent", help="work as an agent: take emails over the WebSocket API, disposition by key")
    agent.add_argument("--token", required=True, help="an agent token (leadflow tokens create --role agent)")
    agent.add_argument("--url", help="WebSocket URL (default: LEADFLOW_WS or the local runtime)")
    agent.set_defaults(func=cmd_agent)

    tokens = sub.add_parser("tokens", help="API tokens").add_subparsers(dest="tokens_command", required=True)
    create = tokens.add_parser("create", help="create a token (needs an admin token)")
    create.add_argument("--role", required=True, choices=["admin", "agent", "integration"])
    create.add_argument("--user")
    remote(create)
    create.set_defaults(func=cmd_tokens_create)
    boot = tokens.add_parser("bootstrap", help="write a first token of a deployed stage with AWS credentials")
    boot.add_argument("--stage", default="dev")
    boot.add_argument("--role", default="admin", choices=["admin", "agent", "integration"])
    boot.add_argument("--user", default="admin")
    boot.set_defaults(func=cmd_tokens_bootstrap)
    _add_notification_commands(sub)
    from leadflow import cli_forms

    cli_forms.add_commands(sub)
    return parser


# ---------------------------------------------------------------------- dead letters and the local sink


def cmd_dlq_list(args: argparse.Namespace) -> int:
    from leadflow import dlq
    from leadflow.config import load_stage

    config = load_stage(args.stage)
    endpoint = args.endpoint or dlq.local_endpoint()
    rows = dlq.depths(config, dlq.sqs_client(config, endpoint))
    if args.json:
        print(json.dumps(rows, indent=2))
        return 0
    print(f"{'queue':<22} {'visible':>8} {'in flight':>10} {'dead letters':>13}")
    for row in rows:
        print(f"{row['queue']:<22} {row['visible']:>8} {row['in_flight']:>10} {row['dead_letters']:>13}")
    return 0


def cmd_dlq_redrive(args: argparse.Namespace) -> int:
    from leadflow import dlq
    from leadflow.config import load_stage

    config = load_stage(args.stage)
    endpoint = args.endpoint or dlq.local_endpoint()
    try:
        result = dlq.redrive(config, dlq.sqs_client(config, endpoint), args.queue, endpoint=endpoint, limit=args.max)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(result, indent=2))
    elif result["method"] == "StartMessageMoveTask":
        print(f"{args.queue}: moving {result['waiting']} message(s) back (task {result['task']})")
    else:
        print(f"{args.queue}: moved {result['moved']} message(s) back")
    return 0


def cmd_sink(args: argparse.Namespace) -> int:
    """What the local sink (Slack, downstream, alarms) received, from another terminal."""
    import httpx

    from leadflow.local.sink import Received, describe

    url = args.url or (json.loads(LOCAL_STATE.read_text()).get("sink_url") if LOCAL_STATE.exists() else None)
    if not url:
        print("error: no local sink: start `leadflow dev` first, or pass --url", file=sys.stderr)
        return 1
    params = {"path": args.path} if args.path else {}
    rows = httpx.get(f"{url}/_received", params=params, timeout=10.0).json()
    if args.json:
        print(json.dumps(rows, indent=2))
    else:
        for row in rows:
            print(describe(Received(**row)))
    return 0


def _add_notification_commands(sub: Any) -> None:
    def aws(p: argparse.ArgumentParser) -> None:
        p.add_argument("--stage", default="dev")
        p.add_argument("--endpoint", help="an AWS endpoint (default: the local runtime's, else AWS itself)")
        p.add_argument("--json", action="store_true", help="print JSON")

    dlq = sub.add_parser("dlq", help="dead-letter queues").add_subparsers(dest="dlq_command", required=True)
    listing = dlq.add_parser("list", help="the depth of every queue and its dead-letter queue")
    aws(listing)
    listing.set_defaults(func=cmd_dlq_list)
    again = dlq.add_parser("redrive", help="move a queue's dead letters back to it")
    again.add_argument("queue", help="the queue's wiring key, e.g. notifications")
    again.add_argument("--max", type=int, help="move at most this many (always the receive-send-delete loop)")
    aws(again)
    again.set_defaults(func=cmd_dlq_redrive)

    sink = sub.add_parser("sink", help="what the local sink received (Slack, downstream, alarms)")
    sink.add_argument("--path", choices=["/slack", "/downstream", "/alarms"])
    sink.add_argument("--url", help="the sink's URL (default: from .leadflow/local.json)")
    sink.add_argument("--json", action="store_true")
    sink.set_defaults(func=cmd_sink)


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        code: int = args.func(args)
        return code
    except ApiError as exc:
        print(f"error: {exc.message if exc.status == 0 else exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
