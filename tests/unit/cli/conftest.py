"""Fixtures of the CLI's unit tests: a fake API on 127.0.0.1, a port that refuses, no ambient connection."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
from cli_fake_api import FakeApi


@pytest.fixture
def fake_api() -> Iterator[FakeApi]:
    fake = FakeApi()
    fake.thread.start()
    try:
        yield fake
    finally:
        fake.close()


@pytest.fixture
def refused_url() -> str:
    """A 127.0.0.1 URL where nothing listens: the port was free a moment ago."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}"


@pytest.fixture(autouse=True)
def no_ambient_connection(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No LEADFLOW_* from the caller's shell and no `.leadflow/local.json` from a running `leadflow dev`."""
    for name in ("LEADFLOW_API", "LEADFLOW_TOKEN", "LEADFLOW_TIMEOUT", "LEADFLOW_DEBUG", "LEADFLOW_WS"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
