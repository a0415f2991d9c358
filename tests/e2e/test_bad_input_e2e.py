"""Bad input gets a clear answer and loses nothing: each file ends its job failed with a reason a
person understands, or completed with the bad rows listed. Files come from the readers' fixtures."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from leadflow.client import LeadflowClient
from leadflow.config import REPO_ROOT

sys.path.insert(0, str(REPO_ROOT / "tests" / "unit" / "ingestion"))
import badfiles  # the readers' own fixtures, shared with their unit tests

FAILS: list[tuple[str, Callable[[Path], Path], str]] = [
    ("empty file", badfiles.empty_file, "empty"),
    ("header only", badfiles.header_only_csv, "no data rows"),
    ("header-only workbook", badfiles.header_only_xlsx, "no data rows"),
    ("unknown extension", badfiles.unknown_extension, "supported"),
    ("png named xlsx", badfiles.png_named_xlsx, "not an excel workbook"),
    ("csv named xlsx", badfiles.csv_named_xlsx, "not an excel workbook"),
    ("xlsx named csv", badfiles.xlsx_named_csv, "csv"),
    ("corrupt workbook", badfiles.truncated_xlsx, "damaged"),
    ("password-protected workbook", badfiles.password_protected_xlsx, "password"),
    ("zip bomb", lambda d: badfiles.zip_bomb_xlsx(d, megabytes=300), "limit"),
    ("mostly NUL bytes", badfiles.mostly_nul_csv, "nul bytes throughout"),
]


@pytest.mark.parametrize(("what", "build", "words"), FAILS, ids=[f[0] for f in FAILS])
def test_a_broken_file_fails_its_job_with_a_reason(
    client: LeadflowClient, tmp_path: Path, what: str, build: Callable[[Path], Path], words: str
) -> None:
    path = build(tmp_path)
    job = client.wait(client.upload(path)["job_id"], timeout_s=60)
    assert job["status"] == "failed", (what, job)
    assert words in job["error"].lower(), job["error"]
    assert job["error"][0].isupper() and job["leads_stored"] == 0


def test_stray_nul_bytes_reject_only_the_damaged_row(client: LeadflowClient, tmp_path: Path) -> None:
    job = client.wait(client.upload(badfiles.nul_bytes_csv(tmp_path))["job_id"], timeout_s=60)
    assert job["status"] == "completed", job
    assert [(r["row"], "NUL bytes" in r["reason"]) for r in job["rejections"]] == [(4, True)]
    assert (job["leads_stored"], job["rows_rejected"]) == (3, 1)


def test_ragged_rows_are_listed_and_the_good_rows_stored(client: LeadflowClient, tmp_path: Path) -> None:
    path = badfiles.ragged_csv(tmp_path)
    job = client.wait(client.upload(path)["job_id"], timeout_s=60)
    assert job["status"] == "completed", job
    ragged = [r for r in job["rejections"] if "values but the header has" in r["reason"]]
    assert [r["row"] for r in ragged] == [3]
    assert job["leads_stored"] + job["rows_rejected"] == job["rows_total"]
    assert job["leads_stored"] >= 1
