"""Every way a `leadflow` command can fail ends as one stderr line and a documented exit code, no traceback."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from cli_fake_api import FakeApi

from leadflow.cli import main
from leadflow.cli_errors import ExitCode
from leadflow.config import REPO_ROOT


def _commands(tmp: Path) -> dict[str, list[str]]:
    upload = tmp / "leads.csv"
    upload.write_text("Email\nada@example.com\n")
    return {
        "jobs show": ["jobs", "show", "job-1"],
        "jobs cancel": ["jobs", "cancel", "job-1"],
        "leads list": ["leads", "list"],
        "leads export": ["leads", "export", "-o", str(tmp / "out.csv")],
        "upload": ["upload", str(upload), "--wait"],
        "tokens create": ["tokens", "create", "--role", "agent", "--user", "ada"],
        "tokens list": ["tokens", "list"],
        "tokens revoke": ["tokens", "revoke", "tok_0123456789abcdef0123"],
        "callers": ["callers"],
        "ask": ["ask", "who?"],
        "inflight": ["inflight"],
    }


COMMANDS = [
    "jobs show",
    "jobs cancel",
    "leads list",
    "leads export",
    "upload",
    "tokens create",
    "tokens list",
    "tokens revoke",
    "callers",
    "ask",
    "inflight",
]


def _one_error_line(err: str) -> str:
    lines = err.splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("leadflow: error: "), err
    assert "Traceback" not in err
    return lines[0]


def _run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(argv)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.mark.parametrize("command", COMMANDS)
def test_an_unreachable_api_exits_3(
    command: str, refused_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = [*_commands(tmp_path)[command], "--api", refused_url, "--token", "t"]
    code, out, err = _run(argv, capsys)
    line = _one_error_line(err)
    assert code == ExitCode.UNREACHABLE == 3
    assert f"cannot reach {refused_url}" in line
    assert out == ""


@pytest.mark.parametrize("command", COMMANDS)
def test_an_api_that_does_not_answer_in_time_exits_3(
    command: str, fake_api: FakeApi, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    fake_api.mode = "hang"
    argv = [*_commands(tmp_path)[command], "--api", fake_api.url, "--token", "t", "--timeout", "0.3"]
    started = time.monotonic()
    code, _, err = _run(argv, capsys)
    line = _one_error_line(err)
    assert code == ExitCode.UNREACHABLE
    assert "did not answer in time" in line and "--timeout" in line
    assert time.monotonic() - started < 5, "the --timeout was not applied"


@pytest.mark.parametrize("command", COMMANDS)
@pytest.mark.parametrize("status", ["401", "403"])
def test_a_refused_token_exits_4(
    command: str, status: str, fake_api: FakeApi, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    fake_api.mode = status
    code, _, err = _run([*_commands(tmp_path)[command], "--api", fake_api.url, "--token", "expired"], capsys)
    line = _one_error_line(err)
    assert code == ExitCode.AUTH == 4
    assert line.startswith(f"leadflow: error: {status}: ")
    assert fake_api.seen and fake_api.seen[0][2] == "Bearer expired"


@pytest.mark.parametrize("command", COMMANDS)
def test_a_server_error_is_a_refused_request_exit_1(
    command: str, fake_api: FakeApi, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    fake_api.mode = "500"
    code, _, err = _run([*_commands(tmp_path)[command], "--api", fake_api.url, "--token", "t"], capsys)
    assert "500: refused with 500" in _one_error_line(err)
    assert code == ExitCode.REFUSED == 1


def test_no_token_anywhere_exits_4(fake_api: FakeApi, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = _run(["leads", "list", "--api", fake_api.url], capsys)
    assert "no token" in _one_error_line(err)
    assert code == ExitCode.AUTH
    assert fake_api.seen == [], "nothing should be sent without a token"


def test_no_api_anywhere_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = _run(["leads", "list", "--token", "t"], capsys)
    assert "no API" in _one_error_line(err)
    assert code == ExitCode.USAGE == 2


def test_something_that_is_not_the_api_is_refused_in_one_line(
    fake_api: FakeApi, capsys: pytest.CaptureFixture[str]
) -> None:
    fake_api.mode = "html"
    code, _, err = _run(["jobs", "show", "job-1", "--api", fake_api.url, "--token", "t"], capsys)
    assert "not with JSON" in _one_error_line(err)
    assert code == ExitCode.REFUSED


def test_a_missing_file_is_a_usage_error(fake_api: FakeApi, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = _run(["upload", "nope.csv", "--api", fake_api.url, "--token", "t"], capsys)
    assert "no such file: nope.csv" in _one_error_line(err)
    assert code == ExitCode.USAGE


def test_an_unwritable_export_path_is_a_usage_error(
    fake_api: FakeApi, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "missing-dir" / "out.csv"
    code, _, err = _run(["leads", "export", "-o", str(target), "--api", fake_api.url, "--token", "t"], capsys)
    assert str(target) in _one_error_line(err)
    assert code == ExitCode.USAGE


def test_a_failed_job_exits_1_and_a_job_that_never_ends_exits_3(
    fake_api: FakeApi, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "leads.csv"
    path.write_text("Email\nada@example.com\n")
    fake_api.job_states = [fake_api.job("failed", 1, 0)]
    code, out, _ = _run(["upload", str(path), "--wait", "--api", fake_api.url, "--token", "t"], capsys)
    assert code == ExitCode.REFUSED and "status          failed" in out

    fake_api.job_states, fake_api.polls = [fake_api.job("processing", 3, 1)], 0
    argv = ["upload", str(path), "--wait", "--wait-timeout", "0.5", "--api", fake_api.url, "--token", "t"]
    code, _, err = _run(argv, capsys)
    # the progress lines come first; the error is still one line, the last
    progress, last = err.splitlines()[:-1], err.splitlines()[-1]
    assert progress == ["job job-1: processing, 1/3 batches, 0 leads stored, 0 rows rejected"]
    assert last == "leadflow: error: timed out: job job-1 still processing after 0.5 s"
    assert "Traceback" not in err
    assert code == ExitCode.UNREACHABLE


def test_debug_adds_the_traceback_and_keeps_the_exit_code(
    refused_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["jobs", "show", "j", "--api", refused_url, "--token", "t"]
    for debug_argv in (["--debug", *argv], [*argv, "--debug"]):
        code, _, err = _run(debug_argv, capsys)
        assert code == ExitCode.UNREACHABLE
        assert "Traceback" in err and "ConnectError" in err
        assert err.rstrip().splitlines()[-1].startswith("leadflow: error: cannot reach")
    monkeypatch.setenv("LEADFLOW_DEBUG", "1")
    code, _, err = _run(argv, capsys)
    assert code == ExitCode.UNREACHABLE and "Traceback" in err


def test_sink_and_dlq_against_nothing_exit_3(refused_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = _run(["sink", "--url", refused_url], capsys)
    assert f"cannot reach {refused_url}" in _one_error_line(err)
    assert code == ExitCode.UNREACHABLE
    started = time.monotonic()
    code, _, err = _run(["dlq", "list", "--endpoint", refused_url, "--timeout", "1"], capsys)
    assert "cannot reach AWS" in _one_error_line(err)
    assert code == ExitCode.UNREACHABLE
    assert time.monotonic() - started < 60


def test_an_unknown_stage_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = _run(["dlq", "list", "--stage", "nope", "--endpoint", "http://127.0.0.1:9"], capsys)
    assert "unknown stage 'nope'" in _one_error_line(err)
    assert code == ExitCode.USAGE


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LEADFLOW_")}
    return {**env, "PYTHONPATH": str(REPO_ROOT)}


def test_a_real_process_prints_one_line_and_exits_3(refused_url: str, tmp_path: Path) -> None:
    """Also nothing printed at interpreter exit (unclosed clients, threads)."""
    result = subprocess.run(
        [sys.executable, "-m", "leadflow.cli", "leads", "list", "--api", refused_url, "--token", "t"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env=_env(),
        timeout=60,
    )
    assert result.returncode == 3
    assert result.stdout == ""
    _one_error_line(result.stderr)


def test_the_agent_refused_by_the_websocket_api_exits_4(fake_api: FakeApi, tmp_path: Path) -> None:
    """The handshake answered 401 (an expired agent token): one line, exit 4, from the cli.py level."""
    fake_api.mode = "401"
    ws_url = fake_api.url.replace("http://", "ws://")
    result = subprocess.run(
        [sys.executable, "-m", "leadflow.cli", "agent", "--url", ws_url, "--token", "expired"],
        cwd=tmp_path,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        env=_env(),
        timeout=60,
    )
    assert result.returncode == ExitCode.AUTH, result.stderr
    assert "401" in _one_error_line(result.stderr)


def test_an_agent_token_without_a_user_is_a_usage_error_and_nothing_is_sent(
    fake_api: FakeApi, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["tokens", "create", "--role", "agent", "--api", fake_api.url, "--token", "lf_admin"])
    assert code == ExitCode.USAGE
    assert capsys.readouterr().err.strip() == "leadflow: error: an agent token needs --user: one identity is one person"
    assert fake_api.seen == []


@pytest.mark.parametrize(
    ("expires", "reason"),
    [("tomorrow", "neither a duration"), ("2000-01-01", "not in the future"), ("400d", "more than 366 days")],
)
def test_a_bad_expiry_is_a_usage_error_and_nothing_is_sent(
    expires: str, reason: str, fake_api: FakeApi, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["tokens", "create", "--role", "admin", "--expires", expires, "--api", fake_api.url, "--token", "lf_admin"]
    assert main(argv) == ExitCode.USAGE
    assert reason in _one_error_line(capsys.readouterr().err)
    assert fake_api.seen == []


@pytest.mark.parametrize("command", COMMANDS)
def test_a_throttled_request_exits_3_with_one_line_saying_to_retry(
    command: str, fake_api: FakeApi, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # API Gateway's throttle (or the web ACL's rate limit) answers 429 before anything runs
    fake_api.mode = "429"
    code, _, err = _run([*_commands(tmp_path)[command], "--api", fake_api.url, "--token", "t"], capsys)
    line = _one_error_line(err)
    assert code == ExitCode.UNREACHABLE == 3
    assert line == (
        "leadflow: error: 429: the API is throttling requests (refused with 429); nothing was done: "
        "wait a few seconds and retry"
    )
