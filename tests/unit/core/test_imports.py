"""Every module of the project imports on its own, first, in a fresh set of project modules.

A cycle between modules (as `leadflow.wiring` and its domain parts once had) shows only when the
module that is not the usual entry point is imported first; this imports each one first in turn.
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

from leadflow.config import REPO_ROOT

PACKAGES = ("shared", "lambdas", "leadflow", "stacks")

_PROBE = """
import importlib, json, sys, traceback
names = json.loads(sys.argv[1])
roots = {n.split(".")[0] for n in names}
failed = {}
for name in names:
    for loaded in [m for m in sys.modules if m.split(".")[0] in roots]:
        del sys.modules[loaded]
    try:
        importlib.import_module(name)
    except Exception:
        failed[name] = traceback.format_exc(limit=3)
print(json.dumps(failed))
"""


def _modules() -> list[str]:
    names = []
    for package in PACKAGES:
        for path in sorted((REPO_ROOT / package).rglob("*.py")):
            parts = path.relative_to(REPO_ROOT).with_suffix("").parts
            names.append(".".join(parts[:-1] if parts[-1] == "__init__" else parts))
    return names


def test_every_module_imports_on_its_own() -> None:
    names = _modules()
    assert "leadflow.wiring.assignment" in names and "shared.core.models" in names
    result = subprocess.run(
        [sys.executable, "-c", _PROBE, json.dumps(names)],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    failed = json.loads(result.stdout.strip().splitlines()[-1])
    assert not failed, "\n".join(f"{name}:\n{trace}" for name, trace in failed.items())


def _imports_of(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
    return found


def test_the_infrastructure_and_the_product_do_not_depend_on_the_emulator() -> None:
    # stacks/ deploys to AWS and shared/ + lambdas/ run on Lambda: none may need the local runtime
    offenders = {
        str(path.relative_to(REPO_ROOT)): sorted(m for m in _imports_of(path) if m.startswith("leadflow.local"))
        for package in ("stacks", "shared", "lambdas")
        for path in (REPO_ROOT / package).rglob("*.py")
    }
    assert not {k: v for k, v in offenders.items() if v}


def test_shared_depends_on_nothing_else_in_the_repo() -> None:
    offenders = {
        str(path.relative_to(REPO_ROOT)): sorted(
            m for m in _imports_of(path) if m.split(".")[0] in ("leadflow", "stacks", "lambdas", "tests")
        )
        for path in (REPO_ROOT / "shared").rglob("*.py")
    }
    assert not {k: v for k, v in offenders.items() if v}
