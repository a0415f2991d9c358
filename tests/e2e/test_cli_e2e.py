"""The `leadflow` CLI against the local runtime, in-process and as real processes."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from leadflow.cli import main
from leadflow.config import REPO_ROOT
from leadflow.local.runtime import LocalRuntime

LEADFLOW = [sys.executable, "-m", "leadflow.cli"]


def test_upload_wait_json_prints_the_final_job(
    runtime: LocalRuntime, admin_token: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "cli.csv"
    path.write_text("Email;Name\ncli1@example.com;One\ncli2@example.com;Two\n;Nobody\n")
    code = main(["upload", str(path), "--wait", "--json", "--api", runtime.rest_url, "--token", admin_token])
    job = json.loads(capsys.readouterr().out)
    assert code == 0
    assert job["status"] == "completed" and job["leads_stored"] == 2 and job["rows_rejected"] == 1
    assert main(["jobs", "show", job["job_id"], "--api", runtime.rest_url, "--token", admin_token]) == 0
    shown = capsys.readouterr().out
    assert job["job_id"] in shown and "row 4" in shown


def test_failed_job_exits_non_zero_with_its_reason(
    runtime: LocalRuntime, admin_token: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "empty.csv"
    path.write_bytes(b"")
    code = main(["upload", str(path), "--wait", "--api", runtime.rest_url, "--token", admin_token])
    out = capsys.readouterr().out
    assert code == 1 and "failed" in out and "empty" in out.lower()


def test_tokens_create_needs_admin(runtime: LocalRuntime, admin_token: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert (
        main(
            ["tokens", "create", "--role", "agent", "--user", "zoe", "--api", runtime.rest_url, "--token", admin_token]
        )
        == 0
    )
    agent_token = capsys.readouterr().out.strip()
    assert agent_token.startswith("lf_")
    code = main(["tokens", "create", "--role", "admin", "--api", runtime.rest_url, "--token", agent_token])
    assert code == 1 and "403" in capsys.readouterr().err


def test_leadflow_dev_serves_until_stopped_and_writes_its_urls(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    proc = subprocess.Popen([*LEADFLOW, "dev"], cwd=tmp_path, stdout=subprocess.PIPE, text=True, env=env)
    try:
        state_file = tmp_path / ".leadflow" / "local.json"
        deadline = time.monotonic() + 60
        while not state_file.exists() and time.monotonic() < deadline:
            time.sleep(0.2)
        state = json.loads(state_file.read_text())
        assert state["rest_url"].startswith("http://127.0.0.1:")
        response = httpx.post(
            f"{state['rest_url']}/tokens",
            json={"role": "agent"},
            headers={"Authorization": f"Bearer {state['admin_token']}"},
        )
        assert response.status_code == 201
    finally:
        proc.send_signal(signal.SIGINT)
        out, _ = proc.communicate(timeout=30)
    assert proc.returncode == 0
    assert "REST API" in out and "admin token" in out
    assert not (tmp_path / ".leadflow" / "local.json").exists()


def test_demo_runs_the_sample_to_completion(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    result = subprocess.run([*LEADFLOW, "demo"], cwd=tmp_path, capture_output=True, text=True, env=env, timeout=180)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "status          completed" in result.stdout
    assert "rejected rows:" in result.stdout
