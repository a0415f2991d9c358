"""The cost benchmark at a tiny size, in its own process (one local runtime per process): the whole
journey completes, every measured service is priced, and waiting with emails pending costs nothing."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def no_handler_errors() -> None:
    """The bench runs its own runtime in a child process and reports its handlers' errors itself
    (asserted below), so the session runtime of the other end-to-end tests is not started for it."""


def test_a_tiny_journey_is_measured_and_priced() -> None:
    run = subprocess.run(
        [
            sys.executable,
            "bench/cost.py",
            *("--leads", "200", "--emails", "20", "--agents", "2", "--forms", "3", "--idle-s", "2", "--no-synth"),
            *("--timeout", "120"),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=170,
    )
    assert run.returncode == 0, run.stderr[-3000:]
    result = json.loads(run.stdout)
    journey = result["journey"]
    assert journey["job_status"] == "completed" and journey["leads_stored"] == 200
    assert journey["dispositioned"] == 20
    assert journey["forms_accepted"] == 3 and journey["sms_replies"] == 6
    assert journey["handler_errors"] == [] and journey["queues_left"] == {}

    # every service the journey touches shows up, in dollars, and they add up to the total
    per = result["per_1000_leads_usd"]
    for service in ("lambda", "dynamodb", "sqs", "eventbridge", "s3", "apigateway_rest", "apigateway_websocket"):
        assert per[service] > 0, service
    assert sum(per.values()) == pytest.approx(result["per_1000_leads_total_usd"], abs=1e-5)

    units = result["per_1000_leads_units"]
    # each stored lead is written to DynamoDB (a unit at least), and its handler's lines were logged
    assert units["dynamodb_wru"] >= 1000
    assert units["log_bytes"] > 0 and units["emf_bytes"] > 0
    # every function that ran was billed at its configured memory
    functions = result["functions"]
    for name in ("splitter", "store-leads", "ws-messages", "forms", "twilio-sms"):
        assert functions[name]["invocations"] > 0 and functions[name]["billed_ms"] >= functions[name]["invocations"]
    assert functions["splitter"]["memory_mb"] == 1769

    # emails pending, nobody online: no handler does anything while it waits
    assert result["idle_window"]["handler_aws_requests"] == 0
    # the seed designs are priced beside it
    assert result["seeds"]["easy-crm-lambdas"]["total_per_1000_leads"] > 0
    assert result["seeds"]["lead-processing-task"]["total"] > 0
