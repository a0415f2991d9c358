"""The `leadflow` CLI against the local runtime, in-process and as real processes."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from leadflow.cli import main
from leadflow.cli_errors import ExitCode
from leadflow.config import REPO_ROOT
from leadflow.local.runtime import LocalRuntime

LEADFLOW = [sys.executable, "-m", "leadflow.cli"]


def test_upload_wait_json_prints_the_final_job(
    runtime: LocalRuntime, admin_token: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "cli.csv"
    path.write_text("Email;Name\ncli1@example.com;One\ncli2@example.com;Two\n;Nobody\n")
    code = main(["upload", str(path), "--wait", "--json", "--api", runtime.rest_url, "--token", admin_token])
    captured = capsys.readouterr()
    job = json.loads(captured.out)
    assert code == 0
    # not a terminal: plain progress lines on stderr, the last one the final state
    assert "\x1b" not in captured.err and "\r" not in captured.err
    assert captured.err.splitlines()[-1].startswith(f"job {job['job_id']}: completed, ")
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
    err = capsys.readouterr().err
    assert code == ExitCode.AUTH and err.startswith("leadflow: error: 403: ") and err.count("\n") == 1


def test_an_unknown_token_and_a_stopped_api_are_one_line_each(
    runtime: LocalRuntime, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Against the real local REST API: an unknown (or expired) token is exit 4, a closed port exit 3."""
    code = main(["leads", "list", "--api", runtime.rest_url, "--token", "lf_not_a_token"])
    captured = capsys.readouterr()
    assert code == ExitCode.AUTH and captured.out == ""
    assert captured.err.startswith("leadflow: error: 401: ") and captured.err.count("\n") == 1
    env = {k: v for k, v in os.environ.items() if not k.startswith("LEADFLOW_")}
    with socket.socket() as s:  # a port that was free a moment ago: nothing listens there
        s.bind(("127.0.0.1", 0))
        stopped = f"http://127.0.0.1:{s.getsockname()[1]}"
    result = subprocess.run(
        [*LEADFLOW, "jobs", "show", "x", "--api", stopped, "--token", "t", "--timeout", "2"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env={**env, "PYTHONPATH": str(REPO_ROOT)},
        timeout=60,
    )
    assert result.returncode == ExitCode.UNREACHABLE
    assert result.stderr.startswith(f"leadflow: error: cannot reach {stopped}") and result.stderr.count("\n") == 1


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
            json={"role": "agent", "user": "ada"},
            headers={"Authorization": f"Bearer {state['admin_token']}"},
        )
        assert response.status_code == 201
    finally:
        proc.send_signal(signal.SIGINT)
        out, _ = proc.communicate(timeout=30)
    assert proc.returncode == 0
    assert "REST API" in out and "admin token" in out
    assert not (tmp_path / ".leadflow" / "local.json").exists()


def test_leadflow_dev_json_prints_one_document_with_its_urls(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    proc = subprocess.Popen([*LEADFLOW, "dev", "--json"], cwd=tmp_path, stdout=subprocess.PIPE, text=True, env=env)
    try:
        state_file = tmp_path / ".leadflow" / "local.json"
        deadline = time.monotonic() + 60
        while not state_file.exists() and time.monotonic() < deadline:
            time.sleep(0.2)
        assert state_file.exists()
    finally:
        proc.send_signal(signal.SIGINT)
        out, _ = proc.communicate(timeout=30)
    assert proc.returncode == 0
    printed = json.loads(out)
    assert printed["rest_url"].startswith("http://127.0.0.1:") and printed["admin_token"].startswith("lf_")


def test_demo_runs_the_sample_to_completion(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    result = subprocess.run([*LEADFLOW, "demo"], cwd=tmp_path, capture_output=True, text=True, env=env, timeout=180)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "status          completed" in result.stdout
    assert "rejected rows:" in result.stdout
