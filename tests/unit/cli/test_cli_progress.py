"""Job progress: a rich bar when stderr is a terminal (a real pty), one plain line per change otherwise."""

from __future__ import annotations

import os
import pty
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from cli_fake_api import FakeApi

from leadflow.cli import main
from leadflow.config import REPO_ROOT


def _progressing(fake: FakeApi) -> None:
    """Each state is answered for two polls, as a real job is polled more often than it changes."""
    states = [
        fake.job("splitting", None, 0),
        fake.job("processing", 3, 1, leads=10),
        fake.job("processing", 3, 2, leads=20, rejected=1),
        fake.job("completed", 3, 3, leads=30, rejected=1),
    ]
    fake.job_states = [s for s in states for _ in range(2)][:-1]


def _upload_argv(tmp: Path, fake: FakeApi) -> list[str]:
    path = tmp / "leads.csv"
    path.write_text("Email\nada@example.com\n")
    return ["upload", str(path), "--wait", "--api", fake.url, "--token", "t"]


def test_off_a_terminal_each_change_is_one_plain_line(
    fake_api: FakeApi, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _progressing(fake_api)
    assert main(_upload_argv(tmp_path, fake_api)) == 0
    captured = capsys.readouterr()
    assert fake_api.polls == 7
    assert captured.err.splitlines() == [
        "job job-1: splitting, splitting, 0 leads stored, 0 rows rejected",
        "job job-1: processing, 1/3 batches, 10 leads stored, 0 rows rejected",
        "job job-1: processing, 2/3 batches, 20 leads stored, 1 rows rejected",
        "job job-1: completed, 3/3 batches, 30 leads stored, 1 rows rejected",
    ]
    assert "\r" not in captured.err and "\x1b" not in captured.err
    assert "status          completed" in captured.out


def _run_with_stderr(argv: list[str], cwd: Path, *, terminal: bool, env: dict[str, str]) -> tuple[int, str, str]:
    """Run the CLI as a process whose stderr is a pty (`terminal`) or a pipe; bounded to 60 s."""
    if not terminal:
        result = subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True, timeout=60)
        return result.returncode, result.stdout, result.stderr
    master, slave = pty.openpty()
    chunks: list[bytes] = []

    def read() -> None:
        while True:
            try:
                data = os.read(master, 4096)
            except OSError:  # EIO once the child closed the pty
                return
            if not data:
                return
            chunks.append(data)

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    try:
        proc = subprocess.Popen(argv, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=slave, text=True)
        os.close(slave)
        out, _ = proc.communicate(timeout=60)
        reader.join(10)
    finally:
        os.close(master)
    return proc.returncode, out, b"".join(chunks).decode(errors="replace")


@pytest.mark.parametrize("terminal", [True, False])
def test_a_terminal_gets_a_rich_bar_and_a_pipe_plain_lines(fake_api: FakeApi, tmp_path: Path, terminal: bool) -> None:
    _progressing(fake_api)
    env = {k: v for k, v in os.environ.items() if k not in {"FORCE_COLOR", "TTY_COMPATIBLE", "NO_COLOR"}}
    env.update(PYTHONPATH=str(REPO_ROOT), TERM="xterm-256color", COLUMNS="120")
    argv = [sys.executable, "-m", "leadflow.cli", *_upload_argv(tmp_path, fake_api)]
    started = time.monotonic()
    code, out, err = _run_with_stderr(argv, tmp_path, terminal=terminal, env=env)
    assert code == 0, err
    assert "status          completed" in out and "\x1b" not in out
    if terminal:
        # rich draws in place: cursor control sequences and its bar glyph, and the final 3/3
        assert "\x1b[" in err and "━" in err and "3/3" in err
        assert "job job-1:" not in err
    else:
        assert "\x1b" not in err and "━" not in err and "\r" not in err
        assert err.splitlines()[-1] == "job job-1: completed, 3/3 batches, 30 leads stored, 1 rows rejected"
    assert time.monotonic() - started < 60


def test_a_dumb_terminal_gets_plain_lines(fake_api: FakeApi, tmp_path: Path) -> None:
    _progressing(fake_api)
    env = {k: v for k, v in os.environ.items() if k not in {"FORCE_COLOR", "TTY_COMPATIBLE", "NO_COLOR"}}
    env.update(PYTHONPATH=str(REPO_ROOT), TERM="dumb")
    argv = [sys.executable, "-m", "leadflow.cli", *_upload_argv(tmp_path, fake_api)]
    code, _, err = _run_with_stderr(argv, tmp_path, terminal=True, env=env)
    assert code == 0
    assert "━" not in err and "job job-1: completed, 3/3 batches" in err
