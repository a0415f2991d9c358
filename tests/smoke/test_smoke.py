"""The smoke suite: the main journeys through a stage's public endpoints (tests/smoke/journeys.py).

`make test` runs it against a local stage; `make smoke API=... TOKEN=... WS=...` against a deployed
one, unchanged (tests/smoke/conftest.py chooses).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from leadflow.client import LeadflowClient
from tests.smoke import journeys
from tests.smoke.journeys import Target


@pytest.fixture(scope="module")
def admin(target: Target) -> Iterator[LeadflowClient]:
    client = LeadflowClient(target.api, target.token, timeout=30)
    yield client
    client.close()


def test_a_spreadsheet_upload_is_stored(admin: LeadflowClient, tmp_path: Path) -> None:
    job = journeys.upload_is_stored(admin, tmp_path)
    assert job["batches_done"] == job["batches_total"]


def test_an_agent_gets_an_email_over_the_websocket_and_dispositions_it(
    admin: LeadflowClient, target: Target, tmp_path: Path
) -> None:
    email = journeys.agent_gets_an_email_and_dispositions_it(admin, target.ws, tmp_path)
    assert email["subject"].startswith("Smoke smoke-")


def test_a_web_form_lead_is_stored_once(admin: LeadflowClient, target: Target) -> None:
    lead = journeys.form_lead_is_stored(admin, target.api)
    assert lead["lead_id"]


def test_a_callers_number_has_five_vanity_numbers(admin: LeadflowClient, target: Target) -> None:
    calls = journeys.vanity_for_the_caller(admin, target.caller)
    if target.caller is not None:
        assert target.caller in {c["caller"] for c in calls}
