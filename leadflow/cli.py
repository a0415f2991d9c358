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
import traceback
from importlib import metadata
from pathlib import Path
from typing import Any

from leadflow.cli_common import api_options, client, emit, group, json_option, leaf, timeout, timeout_option
from leadflow.cli_errors import EXIT_CODES_HELP, ExitCode, UsageError, debug_requested, describe
from leadflow.client import LOCAL_STATE, ApiError, LeadflowClient
from leadflow.config import REPO_ROOT
from leadflow.progress import JobProgress

SAMPLE = REPO_ROOT / "samples" / "leads-sample.xlsx"
#: how long `upload --wait` and `demo` follow a job before giving up (exit 3)
WAIT_TIMEOUT_S = 600.0


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


def _job_exit(job: dict[str, Any]) -> int:
    return ExitCode.OK if job["status"] == "completed" else ExitCode.REFUSED


def cmd_upload(args: argparse.Namespace) -> int:
    path = Path(args.file)
    if not path.is_file():
        raise UsageError(f"no such file: {path}")
    api = client(args)
    job = api.upload(path)
    if not args.wait:
        emit(args, job, lambda: print(f"job {job['job_id']} {job['status']}"))
        return ExitCode.OK
    with JobProgress() as progress:
        job = api.wait(job["job_id"], on_progress=progress, timeout_s=args.wait_timeout)
    emit(args, job, lambda: print(summary(job)))
    return _job_exit(job)


def cmd_jobs_show(args: argparse.Namespace) -> int:
    job = client(args).job(args.job_id)
    emit(args, job, lambda: print(summary(job)))
    return ExitCode.OK


def cmd_jobs_cancel(args: argparse.Namespace) -> int:
    job = client(args).cancel(args.job_id)
    emit(args, job, lambda: print(f"job {job['job_id']} {job['status']}"))
    return ExitCode.OK


def cmd_tokens_create(args: argparse.Namespace) -> int:
    if args.role == "agent" and not args.user:
        raise UsageError("an agent token needs --user: one identity is one person")
    result = client(args).create_token(args.role, args.user)
    emit(args, result, lambda: print(result["token"]))
    return ExitCode.OK


_FILTERS = {
    "status": "only leads with this status",
    "source": "only leads from this source (upload, phone, form, ...)",
    "job_id": "only leads stored by this upload job",
    "created_from": "only leads created at or after this ISO date/time",
    "created_to": "only leads created before this ISO date/time",
    "email": "only leads whose email starts with this",
    "name": "only leads whose name starts with this",
    "company": "only leads whose company starts with this",
    "country": "only leads from this country (ISO code)",
}


def _filters(args: argparse.Namespace) -> dict[str, Any]:
    return {f: getattr(args, f) for f in _FILTERS if getattr(args, f, None) is not None}


def cmd_leads_list(args: argparse.Namespace) -> int:
    page = client(args).leads(**_filters(args), limit=args.limit, cursor=args.cursor)

    def human() -> None:
        for lead in page["leads"]:
            name = " ".join(p for p in (lead.get("first_name"), lead.get("last_name")) if p)
            print(
                f"{lead['created_at'][:19]}  {name:<28} {lead.get('email') or '':<34} {lead.get('phone') or '':<16} "
                f"{lead.get('company') or ''}"
            )
        if page.get("next_cursor"):
            print(f"more: --cursor {page['next_cursor']}")

    emit(args, page, human)
    return ExitCode.OK


def cmd_leads_export(args: argparse.Namespace) -> int:
    data = client(args).export(**_filters(args))
    Path(args.output).write_bytes(data)
    rows = max(0, data.count(b"\n") - 1)
    emit(
        args,
        {"output": str(args.output), "rows": rows, "bytes": len(data)},
        lambda: print(f"wrote {rows} leads to {args.output}"),
    )
    return ExitCode.OK


def cmd_ask(args: argparse.Namespace) -> int:
    answer = client(args).ask(args.question)

    def human() -> None:
        print(f"query: {json.dumps(answer['query'])}")
        print(f"{answer['count']} leads")
        for lead in answer["leads"]:
            print(f"  {lead.get('email') or lead.get('phone')}  {lead.get('company') or ''}")

    emit(args, answer, human)
    return ExitCode.OK


def cmd_callers(args: argparse.Namespace) -> int:
    callers = client(args).callers(args.limit)

    def human() -> None:
        if not callers:
            print("no calls yet")
        for call in callers:
            print(f"{call['called_at']}  {call['caller']}")
            for v in call["vanity"]:
                print(f"    {v}")

    emit(args, callers, human)
    return ExitCode.OK


def cmd_vanity(args: argparse.Namespace) -> int:
    """Computed here, with the same engine the Connect function runs."""
    from shared.phone.vanity.engine import spoken, vanity_numbers
    from shared.phone.vanity.numbers import InvalidNumber

    try:
        found = vanity_numbers(args.number, args.count)
    except InvalidNumber as exc:
        raise UsageError(str(exc)) from exc
    emit(
        args,
        [{"text": v.text, "words": list(v.words), "spoken": spoken(v)} for v in found],
        lambda: print("\n".join(v.text for v in found)) if found else None,
    )
    return ExitCode.OK


def cmd_tokens_bootstrap(args: argparse.Namespace) -> int:
    """The first admin token of a deployed stage, written with your AWS credentials (no API token yet)."""
    from leadflow.config import load_stage
    from shared.core.auth import TokenStore, parse_role

    config = load_stage(args.stage)
    token = TokenStore(config.name("tokens")).create(role=parse_role(args.role), user=args.user, created_by="bootstrap")
    emit(args, {"token": token, "role": args.role, "user": args.user, "stage": config.stage}, lambda: print(token))
    return ExitCode.OK


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

    def human() -> None:
        print("Leadflow local runtime is up (Ctrl-C to stop)")
        print(f"  REST API       {runtime.rest_url}")
        print(f"  WebSocket API  {runtime.websocket_url}   (agents: ?token=..., or `leadflow agent --token T`)")
        print(f"  agent console  {runtime.console_url}   (sign in with an agent token)")
        print(f"  local AWS      {runtime.moto.url}")
        print(f"  admin token    {token}")
        print(f"  written to     {LOCAL_STATE}")
        if runtime.notification:
            sink = runtime.notification.sink.url
            print(f"  local sink     {sink}  (Slack, downstream, alarms; each post shown below)")

    emit(args, state, human)
    if runtime.notification:
        from leadflow.local.sink import describe as describe_post

        # with --json stdout holds the one state document, so the posts go to stderr
        posts = sys.stderr if args.json else sys.stdout
        runtime.notification.sink.on_receive = lambda received: print(describe_post(received), file=posts, flush=True)
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
    return ExitCode.OK


def cmd_demo(args: argparse.Namespace) -> int:
    started = time.monotonic()
    path = Path(args.file) if args.file else SAMPLE
    if not path.is_file():
        raise UsageError(f"no such file: {path}")
    runtime = _start_runtime(args.stage, 0, "WARNING")
    try:
        token = runtime.create_token("admin", "demo")
        api = LeadflowClient(runtime.rest_url, token)
        if not args.json:
            print(f"local runtime up at {runtime.rest_url}; uploading {path.name} through the REST API")
        job = api.upload(path)
        with JobProgress() as progress:
            job = api.wait(job["job_id"], on_progress=progress, timeout_s=args.wait_timeout)
        elapsed = time.monotonic() - started

        def human() -> None:
            print(summary(job))
            print(f"done in {elapsed:.1f} s")

        emit(args, {"job": job, "elapsed_s": round(elapsed, 1)}, human)
        return _job_exit(job)
    finally:
        runtime.stop()


def cmd_agent(args: argparse.Namespace) -> int:
    from leadflow.agent import run_terminal

    state = json.loads(LOCAL_STATE.read_text()) if LOCAL_STATE.exists() else {}
    url = args.url or os.environ.get("LEADFLOW_WS") or state.get("websocket_url")
    if not url:
        raise UsageError("no WebSocket URL: pass --url, set LEADFLOW_WS, or run `leadflow dev`")
    return run_terminal(url, args.token)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="leadflow",
        description=__doc__,
        epilog=EXIT_CODES_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {version()}", help="print the version")
    parser.add_argument(
        "--debug", action="store_true", help="print the traceback of an error too (or set LEADFLOW_DEBUG=1)"
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND", title="commands")

    def stage(p: argparse.ArgumentParser) -> None:
        p.add_argument("--stage", default="dev", help="the stage whose names and settings to use (default: dev)")

    def wait_timeout(p: argparse.ArgumentParser) -> None:
        p.add_argument(
            "--wait-timeout",
            type=float,
            default=WAIT_TIMEOUT_S,
            metavar="SECONDS",
            help=f"give up (exit 3) when the job has not ended after this long (default: {WAIT_TIMEOUT_S:.0f})",
        )

    dev = leaf(sub, "dev", "serve the local system until Ctrl-C", cmd_dev)
    stage(dev)
    dev.add_argument("--port", type=int, default=0, help="REST port (default: a free one)")
    dev.add_argument("-v", "--verbose", action="store_true", help="show the handlers' logs")
    dev.add_argument(
        "--json", action="store_true", help="print the URLs and token as one JSON document (sink posts go to stderr)"
    )

    demo = leaf(sub, "demo", "run the sample workbook through the local system", cmd_demo)
    stage(demo)
    demo.add_argument("--file", help="a file to use instead of the bundled sample")
    wait_timeout(demo)
    json_option(demo)

    upload = leaf(sub, "upload", "upload a spreadsheet, CSV or JSON file of leads", cmd_upload)
    upload.add_argument("file", help="the .xlsx, .xls, .csv or .json file")
    upload.add_argument("--wait", action="store_true", help="show progress until the job ends; exit 1 if it failed")
    wait_timeout(upload)
    api_options(upload)
    json_option(upload)

    jobs = group(sub, "jobs", "show or cancel upload jobs", "jobs_command")
    for name, text, func in (("show", "print a job", cmd_jobs_show), ("cancel", "cancel a job", cmd_jobs_cancel)):
        p = leaf(jobs, name, text, func)
        p.add_argument("job_id", help="the job's id, as `upload` printed it")
        api_options(p)
        json_option(p)

    leads = group(sub, "leads", "list or export leads", "leads_command")

    def filters(p: argparse.ArgumentParser) -> None:
        for name, text in _FILTERS.items():
            p.add_argument(f"--{name.replace('_', '-')}", dest=name, help=text)

    listing = leaf(leads, "list", "leads, newest first", cmd_leads_list)
    filters(listing)
    listing.add_argument("--limit", type=int, default=50, help="leads per page (default: 50)")
    listing.add_argument("--cursor", help="the next page, as the previous page printed it")
    api_options(listing)
    json_option(listing)
    export = leaf(leads, "export", "leads as CSV (opens cleanly in Excel)", cmd_leads_export)
    filters(export)
    export.add_argument("-o", "--output", required=True, help="the CSV file to write")
    api_options(export)
    json_option(export)

    ask = leaf(sub, "ask", "ask a question about the leads (needs an LLM provider)", cmd_ask)
    ask.add_argument("question", help="the question, in plain words")
    api_options(ask)
    json_option(ask)

    callers = leaf(sub, "callers", "the last phone callers with their vanity numbers", cmd_callers)
    callers.add_argument("--limit", type=int, default=5, help="how many callers (default: 5)")
    api_options(callers)
    json_option(callers)

    vanity = leaf(sub, "vanity", "the best vanity numbers for a phone number (computed locally)", cmd_vanity)
    vanity.add_argument("number", help="a phone number, e.g. +18003569377")
    vanity.add_argument("--count", type=int, default=5, help="how many to print (default: 5)")
    json_option(vanity)

    agent = leaf(sub, "agent", "work as an agent: take emails over the WebSocket API, disposition by key", cmd_agent)
    agent.add_argument("--token", required=True, help="an agent token (leadflow tokens create --role agent)")
    agent.add_argument("--url", help="WebSocket URL (default: LEADFLOW_WS or the local runtime)")

    tokens = group(sub, "tokens", "API tokens", "tokens_command")
    create = leaf(tokens, "create", "create a token (needs an admin token)", cmd_tokens_create)
    create.add_argument("--role", required=True, choices=["admin", "agent", "integration"], help="what it may do")
    create.add_argument(
        "--user", help="the user the token belongs to (required for agents: one identity is one person)"
    )
    api_options(create)
    json_option(create)
    boot = leaf(
        tokens, "bootstrap", "write a first token of a deployed stage with AWS credentials", cmd_tokens_bootstrap
    )
    stage(boot)
    boot.add_argument(
        "--role", default="admin", choices=["admin", "agent", "integration"], help="what it may do (default: admin)"
    )
    boot.add_argument("--user", default="admin", help="the user the token belongs to (default: admin)")
    json_option(boot)
    _add_notification_commands(sub, stage)
    from leadflow import cli_forms, cli_secrets

    cli_forms.add_commands(sub)
    cli_secrets.add_commands(sub)
    return parser


def version() -> str:
    try:
        return metadata.version("leadflow")
    except metadata.PackageNotFoundError:  # run from a checkout that was never pip-installed
        return "unknown (not installed)"


# ---------------------------------------------------------------------- dead letters and the local sink


def _aws_target(args: argparse.Namespace) -> tuple[Any, str | None, Any]:
    from leadflow import dlq
    from leadflow.config import load_stage

    config = load_stage(args.stage)
    endpoint = args.endpoint or dlq.local_endpoint()
    return config, endpoint, dlq.sqs_client(config, endpoint, timeout=timeout(args))


def cmd_dlq_list(args: argparse.Namespace) -> int:
    from leadflow import dlq

    config, _, sqs = _aws_target(args)
    rows = dlq.depths(config, sqs)

    def human() -> None:
        print(f"{'queue':<22} {'visible':>8} {'in flight':>10} {'dead letters':>13}")
        for row in rows:
            print(f"{row['queue']:<22} {row['visible']:>8} {row['in_flight']:>10} {row['dead_letters']:>13}")

    emit(args, rows, human)
    return ExitCode.OK


def cmd_dlq_redrive(args: argparse.Namespace) -> int:
    from leadflow import dlq

    config, endpoint, sqs = _aws_target(args)
    try:
        result = dlq.redrive(config, sqs, args.queue, endpoint=endpoint, limit=args.max, timeout=timeout(args))
    except ValueError as exc:
        raise UsageError(str(exc)) from exc

    def human() -> None:
        if result["method"] == "StartMessageMoveTask":
            print(f"{args.queue}: moving {result['waiting']} message(s) back (task {result['task']})")
        else:
            print(f"{args.queue}: moved {result['moved']} message(s) back")

    emit(args, result, human)
    return ExitCode.OK


def cmd_sink(args: argparse.Namespace) -> int:
    """What the local sink (Slack, downstream, alarms) received, from another terminal."""
    import httpx

    from leadflow.local.sink import Received
    from leadflow.local.sink import describe as describe_post

    url = args.url or (json.loads(LOCAL_STATE.read_text()).get("sink_url") if LOCAL_STATE.exists() else None)
    if not url:
        raise UsageError("no local sink: start `leadflow dev` first, or pass --url")
    params = {"path": args.path} if args.path else {}
    response = httpx.get(f"{url}/_received", params=params, timeout=timeout(args))
    if response.status_code >= 400:
        raise ApiError(response.status_code, f"the sink refused the request: {response.text[:300]}")
    rows = response.json()

    def human() -> None:
        for row in rows:
            print(describe_post(Received(**row)))

    emit(args, rows, human)
    return ExitCode.OK


def _add_notification_commands(sub: Any, stage: Any) -> None:
    def aws(p: argparse.ArgumentParser) -> None:
        stage(p)
        p.add_argument("--endpoint", help="an AWS endpoint (default: the local runtime's, else AWS itself)")
        timeout_option(p, "AWS")
        json_option(p)

    dlq = group(sub, "dlq", "dead-letter queues", "dlq_command")
    listing = leaf(dlq, "list", "the depth of every queue and its dead-letter queue", cmd_dlq_list)
    aws(listing)
    again = leaf(dlq, "redrive", "move a queue's dead letters back to it", cmd_dlq_redrive)
    again.add_argument("queue", help="the queue's wiring key, e.g. notifications")
    again.add_argument("--max", type=int, help="move at most this many (always the receive-send-delete loop)")
    aws(again)

    sink = leaf(sub, "sink", "what the local sink received (Slack, downstream, alarms)", cmd_sink)
    sink.add_argument("--path", choices=["/slack", "/downstream", "/alarms"], help="only what was posted to this path")
    sink.add_argument("--url", help="the sink's URL (default: from .leadflow/local.json)")
    timeout_option(sink, "the sink")
    json_option(sink)


def _one_line(message: str, limit: int = 500) -> str:
    line = " ".join(message.split())
    return line if len(line) <= limit else line[: limit - 3] + "..."


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args))
    except BrokenPipeError:
        # the reader went away (`| head`): say nothing, and keep Python from complaining at exit
        try:
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
        except (OSError, ValueError):
            pass
        return ExitCode.BROKEN_PIPE
    except (Exception, KeyboardInterrupt) as exc:
        failure = describe(exc)
        if debug_requested(getattr(args, "debug", False)):
            traceback.print_exc()
        print(f"leadflow: error: {_one_line(failure.message)}", file=sys.stderr)
        return failure.code


if __name__ == "__main__":
    sys.exit(main())
