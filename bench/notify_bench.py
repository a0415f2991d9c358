"""Notification benchmark: a burst of leads through the local runtime, Slack answering 429 to a tenth.

Prints ONE JSON object. The burst arrives as the store step announces an upload: `lead.enriched`
events of `--per-event` leads (default 100; `--per-event 1` makes every lead its own event, like
web forms), published to the local EventBridge bus ten entries a call. The local sink stands in
for Slack and answers every tenth request 429 with `Retry-After`.

- `per_lead`: the burst gate lifted above the burst, so every lead gets its own Slack notice: the
  p50/p99 from the event (its PutEvents call) to the first Slack request for that lead, the number
  of Slack requests, and the number of SES fallbacks.
- `digest` (`--digest`): the stage's own burst settings: how many Slack posts the same burst makes.

    .venv/bin/python bench/notify_bench.py [--leads 1000] [--retry-after 1] [--digest]
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import json
import os
import statistics
import sys
import time
import uuid
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from leadflow.config import load_stage
from leadflow.local.runtime import LocalRuntime
from leadflow.local.sink import Fault

NOTICE_HEADER = "X-Leadflow-Notice"


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered) + 0.5) - 1))]


def publish(runtime: LocalRuntime, leads: list[dict[str, Any]], per_event: int) -> dict[str, float]:
    """Events of `per_event` leads, ten per PutEvents call; returns when each lead's event was sent."""
    bus = runtime.resources.buses["events"]
    sent: dict[str, float] = {}
    events = [leads[i : i + per_event] for i in range(0, len(leads), per_event)]
    for start in range(0, len(events), 10):
        chunk = events[start : start + 10]
        entries = [
            {
                "EventBusName": bus,
                "Source": "leadflow.enrichment",
                "DetailType": "lead.enriched",
                "Detail": json.dumps({"job_id": None, "source": "webform", "leads": batch}),
            }
            for batch in chunk
        ]
        at = time.time()
        response = runtime.aws("events").put_events(Entries=entries)
        assert response["FailedEntryCount"] == 0
        for batch in chunk:
            for lead in batch:
                sent[lead["lead_id"]] = at
    return sent


def make_leads(n: int, tag: str) -> list[dict[str, Any]]:
    return [
        {
            "lead_id": f"{tag}-{uuid.uuid4().hex[:16]}",
            "first_name": "Bench",
            "last_name": f"Lead {i}",
            "email": f"bench{i}@example.com",
            "phone": "+12125550100",
            "company": "Bench Co",
            "source": "webform",
        }
        for i in range(n)
    ]


def run(args: argparse.Namespace) -> dict[str, Any]:
    config = load_stage("dev")
    if not args.digest:
        config = dataclasses.replace(config, notify_burst_threshold=args.leads * 10)
    runtime = LocalRuntime(config=config).start()
    try:
        assert runtime.notification is not None
        sink = runtime.notification.sink
        if args.without_sync:
            # diagnostics: the downstream sync (which consumes the same events) off, to see its share
            secrets = runtime.aws("secretsmanager")
            arn = runtime.resources.secrets["downstream"]
            value = json.loads(secrets.get_secret_value(SecretId=arn)["SecretString"])
            secrets.put_secret_value(SecretId=arn, SecretString=json.dumps({**value, "url": ""}))
        # warm: handlers imported, secret read, connections open (a warm Lambda)
        warm = make_leads(20, "warm")
        publish(runtime, warm, 10)
        deadline = time.monotonic() + 30
        while len(sink.snapshot("/slack")) < len(warm) and time.monotonic() < deadline:
            time.sleep(0.05)
        runtime.wait_idle(30)
        if args.digest:  # a fresh burst window, as in the e2e test
            while time.time() % config.notify_burst_window_s > 0.2:
                time.sleep(0.01)
        sink.clear(received=True)
        mails_before = len(runtime.notification.sent_mail())
        sink.fail_every("/slack", 10, Fault(status=429, retry_after=args.retry_after))

        leads = make_leads(args.leads, "burst")
        started = time.time()
        sent = publish(runtime, leads, args.per_event)
        publish_s = time.time() - started
        wanted = {lead["lead_id"] for lead in leads}
        deadline = time.monotonic() + args.timeout
        first: dict[str, float] = {}
        digests: list[float] = []
        while time.monotonic() < deadline:
            for received in sink.snapshot("/slack"):
                key = received.headers.get(NOTICE_HEADER, "").split("/")[0]
                if key in wanted:
                    first.setdefault(key, received.at)
                elif key.startswith("digest#"):
                    digests.append(received.at)
            if len(first) == len(wanted) or (args.digest and digests):
                break
            time.sleep(0.1)
        runtime.wait_idle(args.timeout)
        elapsed = time.time() - started
        posts = sink.snapshot("/slack")
        latencies = [first[k] - sent[k] for k in first]
        fallbacks = len(runtime.notification.sent_mail()) - mails_before
        result: dict[str, Any] = {
            "leads": args.leads,
            "leads_per_event": args.per_event,
            "mode": "digest" if args.digest else "per_lead",
            "downstream_sync": not args.without_sync,
            "slack_429_every": 10,
            "retry_after_s": args.retry_after,
            "burst_threshold": config.notify_burst_threshold,
            "burst_window_s": config.notify_burst_window_s,
            "publish_s": round(publish_s, 2),
            "leads_with_a_slack_attempt": len(first),
            "p50_event_to_first_attempt_s": round(percentile(latencies, 50), 3),
            "p99_event_to_first_attempt_s": round(percentile(latencies, 99), 3),
            "max_event_to_first_attempt_s": round(max(latencies), 3) if latencies else None,
            "slack_posts": len(posts),
            "slack_429s": sum(1 for p in posts if p.status == 429),
            "ses_fallbacks": fallbacks,
            "all_done_s": round(elapsed, 2),
            "handler_errors": len(runtime.errors),
        }
        if args.digest:
            result["digest_posts"] = len({d for d in digests})
            result["digest_after_s"] = round(min(digests) - started, 2) if digests else None
        else:
            result["mean_event_to_first_attempt_s"] = round(statistics.fmean(latencies), 3) if latencies else None
        return result
    finally:
        runtime.stop()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--leads", type=int, default=1000)
    parser.add_argument("--retry-after", type=float, default=1.0)
    parser.add_argument("--per-event", type=int, default=100, help="leads per lead.enriched event")
    parser.add_argument("--timeout", type=float, default=120.0)
    parser.add_argument("--digest", action="store_true", help="keep the stage's burst settings")
    parser.add_argument("--both", action="store_true", help="per-lead, then digest in a child process")
    parser.add_argument("--without-sync", action="store_true", help="no downstream endpoint (diagnostics)")
    args = parser.parse_args()
    # the functions' EMF metric lines (Powertools prints them) go to stderr: stdout is this JSON only
    with contextlib.redirect_stdout(sys.stderr):
        result = run(args)
    if args.both and not args.digest:
        import subprocess

        child = subprocess.run(
            [
                sys.executable,
                __file__,
                "--digest",
                *("--leads", str(args.leads), "--retry-after", str(args.retry_after)),
                *("--per-event", str(args.per_event)),
            ],
            capture_output=True,
            text=True,
            check=True,
            env=os.environ,
        )
        result = {"per_lead": result, "digest": json.loads(child.stdout)}
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
