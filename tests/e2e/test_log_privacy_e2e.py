"""Logs carry no email addresses, phone numbers or message bodies: lead ids and job ids instead.

A CSV whose rows carry distinctive emails and phones (bad ones that are rejected or kept as problems,
and good ones that are stored) goes through the whole ingestion path on the local runtime: upload,
split, store, the events after it. Every log line the handlers wrote meanwhile is scanned for them.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest

from leadflow.client import LeadflowClient
from leadflow.local.runtime import LocalRuntime
from shared.core.observability import logger as powertools_logger

#: distinctive enough that no other test, sample or fixed text contains them
BAD_EMAILS = ("zqx-leak-8812@@broken..example", "no-at-sign-zqx5519.example.com", "zqx 7731@example.com")
BAD_PHONES = ("+1 (999) 000-ZQX1", "0000 731 554 992 118 44", "555-01")
GOOD_EMAILS = ("zqx.keeper.4410@example.org", "zqx.other.2290@example.net")
GOOD_PHONES = ("+1 212 555 0193", "(646) 555-0147")
#: how those may appear once standardized
VARIANTS = ("+12125550193", "2125550193", "+16465550147", "6465550147", "zqx.keeper.4410", "zqx.other.2290")
NEEDLES = BAD_EMAILS + BAD_PHONES + GOOD_EMAILS + GOOD_PHONES + VARIANTS + ("zqx", "ZQX")


class _Collect(logging.Handler):
    """Every record the handlers' Powertools logger emits, formatted as it is on stdout (JSON)."""

    def __init__(self, formatter: logging.Formatter | None) -> None:
        super().__init__()
        self.lines: list[str] = []
        if formatter is not None:
            self.setFormatter(formatter)

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


@pytest.fixture
def handler_logs() -> Iterator[_Collect]:
    stdlib = powertools_logger._logger
    collect = _Collect(powertools_logger.registered_formatter)
    stdlib.addHandler(collect)
    # the local runtime logs WARNING and up; the deployed functions log INFO (wiring POWERTOOLS_ENV)
    level = stdlib.level
    powertools_logger.setLevel("INFO")
    root = logging.getLogger()
    root.addHandler(collect)
    try:
        yield collect
    finally:
        powertools_logger.setLevel(level)
        stdlib.removeHandler(collect)
        root.removeHandler(collect)


def _csv(path: Path) -> Path:
    rows = [f"Bad Email {i},{email},+1 718 555 01{10 + i}" for i, email in enumerate(BAD_EMAILS)] + [
        f"Bad Phone {i},,{phone}" for i, phone in enumerate(BAD_PHONES)
    ]
    rows += [f"Good {i},{email},{phone}" for i, (email, phone) in enumerate(zip(GOOD_EMAILS, GOOD_PHONES, strict=True))]
    rows.append('Quoted,"zqx, 7731@example.com",')
    path.write_text("Name,Email,Phone\n" + "\n".join(rows) + "\n")
    return path


def test_ingestion_logs_name_ids_not_emails_or_phones(
    client: LeadflowClient,
    runtime: LocalRuntime,
    handler_logs: _Collect,
    capfd: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    job = client.upload(_csv(tmp_path / "leaky.csv"))
    job = client.wait(job["job_id"], timeout_s=60)
    assert job["status"] == "completed", job
    # the bad rows went through the paths that explain themselves: rejections and problems
    assert job["rows_rejected"] >= 1 and job["leads_stored"] >= len(GOOD_EMAILS), job
    # the consumers after storing (assignment intake, notification) log too: let them finish
    assert runtime.wait_idle(timeout_s=60)

    out, err = capfd.readouterr()
    lines = handler_logs.lines + out.splitlines() + err.splitlines()
    # the capture is live: the handlers logged this job by its id
    assert any(job["job_id"] in line for line in lines), "no handler log line of the job was captured"
    leaks = [(needle, line) for line in lines for needle in NEEDLES if needle.lower() in line.lower()]
    assert not leaks, "personal data in the logs:\n" + "\n".join(f"{n!r}: {line}" for n, line in leaks[:20])


def test_a_refused_form_lead_is_logged_without_its_email_or_phone(
    client: LeadflowClient,
    handler_logs: _Collect,
    capfd: pytest.CaptureFixture[str],
) -> None:
    # a form lead whose email and phone are both bad is refused, and the answer says why
    body = {"first_name": "Refused", "email": BAD_EMAILS[0], "phone": BAD_PHONES[0]}
    response = client.http.post("/leads", json=body)
    assert response.status_code == 400, response.text
    assert BAD_EMAILS[0] in response.json()["message"]  # the caller is told: it sent the value

    out, err = capfd.readouterr()
    lines = handler_logs.lines + out.splitlines() + err.splitlines()
    assert any("request refused" in line for line in lines), "the refusal was not logged"
    leaks = [(needle, line) for line in lines for needle in NEEDLES if needle.lower() in line.lower()]
    assert not leaks, "personal data in the logs:\n" + "\n".join(f"{n!r}: {line}" for n, line in leaks[:20])
