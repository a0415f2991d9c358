"""A throttled client gets 429, as from API Gateway, and nothing already accepted is lost (issue 15).

The local REST gateway throttles each method with the limits the stacks give API Gateway: the
route's own (`Route.throttle` in the wiring) or the stage's (cdk.json). These tests send a bounded
burst past a route's burst size at once and check the answers, what was stored, and the CLI's line.
"""

from __future__ import annotations

import collections
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TypeVar

import httpx
import pytest

from leadflow.cli import main
from leadflow.client import LeadflowClient
from leadflow.local.runtime import LocalRuntime
from leadflow.wiring.enrichment import EXPORT_THROTTLE
from leadflow.wiring.forms import LEAD_SUBMIT_THROTTLE

pytestmark = pytest.mark.e2e

T = TypeVar("T")


def at_once(count: int, call: Callable[[int], T], *, warm: Callable[[int], object] | None = None) -> list[T]:
    """`call(i)` for i in range(count) from `count` threads released together (after `warm(i)`, which
    may open each thread's connection), so that the requests reach the gateway within moments."""
    gate = threading.Barrier(count)

    def run(i: int) -> T:
        if warm is not None:
            warm(i)
        gate.wait(timeout=60)
        return call(i)

    with ThreadPoolExecutor(max_workers=count) as pool:
        return list(pool.map(run, range(count)))


def full_bucket(rate: float, burst: int) -> None:
    """Wait until a route's bucket has refilled from anything earlier tests sent."""
    time.sleep(burst / rate + 0.2)


def form(i: int) -> dict[str, str]:
    # no dealer or location: a plain form lead (no SMS conversation), one person each
    return {
        "first_name": "Burst",
        "last_name": f"Test{i}",
        "email": f"burst.{uuid.uuid4().hex[:10]}@example.org",
        "form_id": "newsletter",
        "page_url": "https://dealer.example.com/newsletter",
    }


def test_a_burst_past_post_leads_gets_429_and_every_accepted_lead_is_stored(
    runtime: LocalRuntime, client: LeadflowClient
) -> None:
    rate, burst = LEAD_SUBMIT_THROTTLE.rate, LEAD_SUBMIT_THROTTLE.burst
    sent = burst + 40  # bounded: 40 more than the bucket holds, at once
    token = runtime.create_token("integration", "burst-forms")
    forms = [form(i) for i in range(sent)]
    keys = [uuid.uuid4().hex for _ in range(sent)]
    limits = httpx.Limits(max_connections=sent, max_keepalive_connections=sent)
    with httpx.Client(
        base_url=runtime.rest_url, headers={"Authorization": f"Bearer {token}"}, timeout=120, limits=limits
    ) as api:
        full_bucket(rate, burst)
        # Given every thread's connection open (a preflight, answered before any throttle)
        answers = at_once(
            sent,
            lambda i: api.post("/leads", json=forms[i], headers={"Idempotency-Key": keys[i]}),
            warm=lambda i: api.options("/leads"),
        )
        # Then the bucket's worth (and what refilled meanwhile) is accepted, the rest is throttled
        statuses = collections.Counter(a.status_code for a in answers)
        print(f"burst of {sent} on POST /leads: {dict(statuses)}")
        assert set(statuses) == {202, 429}, statuses
        assert statuses[202] >= burst, statuses
        throttled = [i for i, a in enumerate(answers) if a.status_code == 429]
        assert all(answers[i].json() == {"message": "Too Many Requests"} for i in throttled)
        accepted = {i: a.json()["lead_id"] for i, a in enumerate(answers) if a.status_code == 202}

        # When a well-behaved client sends the throttled ones again, with the same keys, as the bucket refills
        deadline = time.monotonic() + 60
        pending = list(throttled)
        while pending:
            assert time.monotonic() < deadline, f"{len(pending)} still throttled"
            i = pending[0]
            again = api.post("/leads", json=forms[i], headers={"Idempotency-Key": keys[i]})
            if again.status_code == 429:
                time.sleep(1 / rate)
                continue
            assert again.status_code == 202, again.text
            accepted[i] = again.json()["lead_id"]
            pending.pop(0)

    # Then every lead is accepted once, and every accepted lead is stored: none was lost, none doubled
    assert sorted(accepted) == list(range(sent))
    assert len(set(accepted.values())) == sent
    missing = set(accepted.values())
    deadline = time.monotonic() + 90
    while missing and time.monotonic() < deadline:
        missing = {lead_id for lead_id in missing if client.http.get(f"/leads/{lead_id}").status_code != 200}
        if missing:
            time.sleep(0.5)
    assert not missing, f"{len(missing)} accepted leads were never stored"
    stored = client.http.get(f"/leads/{accepted[throttled[0]]}").json()
    assert stored["email"] == forms[throttled[0]]["email"]


def test_the_cli_says_in_one_line_that_it_was_throttled(
    runtime: LocalRuntime, admin_token: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rate, burst = EXPORT_THROTTLE.rate, EXPORT_THROTTLE.burst
    sent = burst + 15
    full_bucket(rate, burst)
    capsys.readouterr()
    # When more exports than the route's burst are asked for at once, each by its own `leadflow` command
    codes = at_once(
        sent,
        lambda i: main(
            [
                "leads",
                "export",
                "--job-id",
                "no-such-job",
                "-o",
                str(tmp_path / f"export-{i}.csv"),
                "--api",
                runtime.rest_url,
                "--token",
                admin_token,
            ]
        ),
    )
    errors = [line for line in capsys.readouterr().err.splitlines() if line.startswith("leadflow: error:")]
    # Then the throttled ones exit 3 (try again later) with one line each, and the others wrote their file
    counts = collections.Counter(codes)
    print(f"{sent} exports at once: exit codes {dict(counts)}")
    assert set(counts) == {0, 3}, counts
    assert counts[0] >= burst and counts[3] >= 1
    assert len(errors) == counts[3]
    assert set(errors) == {
        "leadflow: error: 429: the API is throttling requests (Too Many Requests); nothing was done: "
        "wait a few seconds and retry"
    }
    assert sum((tmp_path / f"export-{i}.csv").exists() for i in range(sent)) == counts[0]


def test_a_routes_own_limit_does_not_hold_back_the_other_routes(runtime: LocalRuntime, client: LeadflowClient) -> None:
    # Given the export route's bucket emptied
    rate, burst = EXPORT_THROTTLE.rate, EXPORT_THROTTLE.burst
    full_bucket(rate, burst)
    sent = burst + 10
    answers = at_once(sent, lambda i: client.http.get("/leads/export", params={"job_id": "no-such-job"}))
    assert 429 in {a.status_code for a in answers}
    # Then a listing route, which has the stage's limits, still answers at once
    assert client.http.get("/leads", params={"limit": 1}).status_code == 200
