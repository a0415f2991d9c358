"""Where the smoke suite runs: a deployed stage named by the environment, or a local stage.

`make smoke API=... TOKEN=... WS=...` sets SMOKE_API, SMOKE_TOKEN and SMOKE_WS (and SMOKE_CALLER, a
number that phoned the stage's Connect line, when given). Without SMOKE_API (`make test`), the same
journeys run against a local stage started in its own process (`tests.smoke.local_stage`), which
makes an admin token and places one phone call first.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator

import pytest

from leadflow.config import REPO_ROOT
from tests.smoke.journeys import Target

#: how long the local stage may take to start on a busy machine
START_TIMEOUT_S = 120


def _from_environment() -> Target | None:
    api = os.environ.get("SMOKE_API", "").strip()
    if not api:
        return None
    token = os.environ.get("SMOKE_TOKEN", "").strip()
    ws = os.environ.get("SMOKE_WS", "").strip()
    missing = [name for name, value in (("TOKEN", token), ("WS", ws)) if not value]
    if missing:
        raise pytest.UsageError(
            f"smoke: {' and '.join(missing)} missing; make smoke API=<ApiUrl> TOKEN=<admin token> WS=<WebSocketUrl>"
        )
    return Target(api=api.rstrip("/"), token=token, ws=ws, caller=os.environ.get("SMOKE_CALLER", "").strip() or None)


@pytest.fixture(scope="module")
def target() -> Iterator[Target]:
    deployed = _from_environment()
    if deployed is not None:
        yield deployed
        return
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "LEADFLOW_"))}
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.smoke.local_stage"],
        cwd=REPO_ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env=env,
    )
    assert process.stdin is not None and process.stdout is not None
    # a stage that hangs at start is killed, which ends the read below
    watchdog = threading.Timer(START_TIMEOUT_S, process.kill)
    watchdog.start()
    try:
        line = process.stdout.readline()
        watchdog.cancel()
        if not line:
            raise RuntimeError(
                f"the local stage did not start within {START_TIMEOUT_S} s (exit code {process.wait(30)})"
            )
        state = json.loads(line)
        yield Target(api=state["api"], token=state["token"], ws=state["ws"], caller=state["caller"])
        process.stdin.close()
        report = json.loads(process.stdout.readline() or '{"errors": ["no report: the local stage died"]}')
        assert report["errors"] == [], f"handlers of the local stage raised: {report['errors']}"
    finally:
        if process.poll() is None:
            process.terminate()
        process.wait(30)
