"""What the local runtime does to moto: one registry, classified, with a version gate on the speed patches.

Installing patches changes moto for the whole process, so `install` runs in child processes here.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import textwrap

import pytest

from leadflow.config import REPO_ROOT
from leadflow.local import moto_patches
from leadflow.local.moto_patches import PATCHES, STOCK_ENV, TESTED_MOTO, Kind, Report

CORRECTNESS = tuple(p.name for p in PATCHES if p.kind is Kind.CORRECTNESS)


def _run(code: str, **env: str) -> subprocess.CompletedProcess[str]:
    """`code` in a fresh interpreter; its last stdout line is JSON."""
    import os

    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=REPO_ROOT,
        env={**{k: v for k, v in os.environ.items() if k != STOCK_ENV}, **env},
    )


#: installs, then says what moto's own functions are now (patched ones come from this package)
_INSTALL = """
    import json
    from leadflow.local import moto_patches
    {before}
    report = moto_patches.install()
    from moto import server
    from moto.dynamodb.models.table import Table
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication
    print(json.dumps({{
        "report": report.to_json(),
        "line": report.line(),
        "dispatch": DomainDispatcherApplication.__call__.__module__,
        "query": Table.query.__module__,
        "handler": server.MotoRequestHandler.__module__,
    }}))
"""


def _install(before: str = "", **env: str) -> dict[str, object]:
    done = _run(_INSTALL.format(before=before), **env)
    assert done.returncode == 0, done.stderr
    result: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def test_the_tested_version_is_the_pinned_one() -> None:
    pins = (REPO_ROOT / "requirements-dev.txt").read_text()
    pinned = re.search(r"^moto(?:\[[^]]*\])?==(\S+)", pins, re.MULTILINE)
    assert pinned is not None, "requirements-dev.txt pins no moto"
    assert pinned.group(1) == TESTED_MOTO, "bumping moto means testing the speed patches again, then TESTED_MOTO"
    assert moto_patches.moto_version() == TESTED_MOTO


def test_every_patch_is_classified_and_the_atomic_writes_fix_is_always_installed() -> None:
    names = [p.name for p in PATCHES]
    assert len(set(names)) == len(names)
    assert {p.kind for p in PATCHES} == {Kind.CORRECTNESS, Kind.SPEED}
    assert [p.name for p in PATCHES if p.kind is Kind.CORRECTNESS] == ["atomic-writes", "aws-limits"]
    for patch in PATCHES:
        assert patch.what, patch.name


@pytest.mark.parametrize(
    ("version", "env", "why"),
    [
        (TESTED_MOTO, {}, None),
        (TESTED_MOTO, {STOCK_ENV: "0"}, None),
        (TESTED_MOTO, {STOCK_ENV: "1"}, f"{STOCK_ENV}=1"),
        ("5.2.6", {}, f"tested on moto {TESTED_MOTO} only"),
        ("6.0.0", {STOCK_ENV: "1"}, f"{STOCK_ENV}=1"),
    ],
)
def test_speed_patches_are_refused_off_the_tested_version_or_when_asked(
    version: str, env: dict[str, str], why: str | None
) -> None:
    refusal = moto_patches.speed_refusal(version, env)
    if why is None:
        assert refusal is None
    else:
        assert refusal is not None and why in refusal


def test_the_tested_version_gets_every_patch() -> None:
    got = _install()
    report = Report.from_json(got["report"])  # type: ignore[arg-type]
    assert report.installed == tuple(p.name for p in PATCHES) and not report.skipped
    assert got["line"] is None
    assert got["dispatch"] == "leadflow.local.moto_patches.atomic_writes"
    assert got["query"] == "leadflow.local.moto_patches.index_and_timers"
    assert got["handler"] == "leadflow.local.moto_patches.server"


def test_stock_moto_gets_only_the_correctness_fixes_and_one_line_saying_so() -> None:
    got = _install(**{STOCK_ENV: "1"})
    report = Report.from_json(got["report"])  # type: ignore[arg-type]
    assert report.installed == CORRECTNESS
    assert report.skipped == tuple(p.name for p in PATCHES if p.kind is Kind.SPEED)
    line = got["line"]
    assert isinstance(line, str) and "\n" not in line
    assert f"{STOCK_ENV}=1" in line and all(name in line for name in report.skipped)
    assert got["dispatch"] == "leadflow.local.moto_patches.atomic_writes"
    assert got["query"].startswith("moto.")  # type: ignore[union-attr]
    assert got["handler"].startswith("moto.")  # type: ignore[union-attr]


def test_another_moto_version_runs_stock() -> None:
    got = _install(before="moto_patches.moto_version = lambda: '9.9.9'")
    report = Report.from_json(got["report"])  # type: ignore[arg-type]
    assert report.moto == "9.9.9" and report.installed == CORRECTNESS
    assert f"tested on moto {TESTED_MOTO} only" in str(got["line"]) and "9.9.9" in str(got["line"])
    assert got["query"].startswith("moto.")  # type: ignore[union-attr]


def test_a_correctness_fix_that_no_longer_fits_moto_fails_loudly_naming_it() -> None:
    # a moto whose server dispatches differently: the lock has nowhere to go
    before = """
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication
    DomainDispatcherApplication.__call__ = lambda self, request: None
    try:
        moto_patches.install()
    except moto_patches.MotoPatchError as err:
        print(json.dumps({"error": str(err)}))
        raise SystemExit(0)
    raise SystemExit("installed anyway")
    """
    done = _run(_INSTALL.format(before=textwrap.indent(textwrap.dedent(before), "    ").strip()))
    assert done.returncode == 0, done.stderr + done.stdout
    error = json.loads(done.stdout.strip().splitlines()[-1])["error"]
    assert "'atomic-writes'" in error and f"moto {TESTED_MOTO}" in error and "cannot be installed" in error
