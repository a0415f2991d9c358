"""The functions as they ship: Python 3.12, the staged asset, the pip-built layer and a runtime stand-in.

Used by `test_layer_as_shipped.py` and `bench/cold_start.py`. The asset and the layer are built by the
same code synth runs (`Packaging.stage_function`, `build_layer`, `layer_hash`); nothing is copied.
The Lambda Python runtime provides boto3 and botocore; a folder with the versions pinned in
`requirements-dev.txt` stands for them. Each function runs in `python3.12 -I -S`: no environment
variables, no user or system site-packages, so only the folders given here are on its path (see
ISOLATED for why not `-B`).
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

from leadflow import wiring
from leadflow.config import REPO_ROOT

# lambda_python is the finder synth compiles with; here it has no fallback: it raises NoLambdaPython
from stacks.packaging import (
    PIP_LAYER_ARGS,
    PIP_TARGET_ARGS,
    Packaging,
    build_layer,
    lambda_python,
    layer_hash,
)

BUILD = REPO_ROOT / "build" / "as-shipped"
#: what the Lambda runtime brings (requirements.txt leaves these out of the layer)
RUNTIME_PACKAGES = ("boto3", "botocore", "jmespath")
#: path -> (size, mtime): what a function run may not change, as Lambda's /var/task and /opt are read-only
Snapshot = dict[str, tuple[int, int]]


def _once(target: Path, build: object) -> Path:
    """Build into a temporary sibling and rename, so parallel sessions never see half a folder."""
    if target.is_dir():
        return target
    partial = target.with_name(f"{target.name}.partial-{os.getpid()}")
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir(parents=True)
    assert callable(build)
    build(partial)
    try:
        partial.rename(target)
    except OSError:  # another session finished first
        shutil.rmtree(partial, ignore_errors=True)
    return target


def layer(pip_args: tuple[str, ...] = PIP_LAYER_ARGS, requirements: Path | None = None) -> Path:
    """The layer's `python/` folder compiled by CPython 3.12, built once per lock and platform (under build/)."""
    requirements = requirements or REPO_ROOT / "requirements.txt"
    python = lambda_python()
    root = _once(
        BUILD / f"layer-{layer_hash(requirements, pip_args, bytecode=True)[:16]}",
        lambda out: build_layer(requirements, out / "python", pip_args, python=python),
    )
    return root / "python"


def runtime_pins() -> list[str]:
    """`boto3==...` and friends as pinned in requirements-dev.txt."""
    text = (REPO_ROOT / "requirements-dev.txt").read_text()
    pins = [m.group(0) for name in RUNTIME_PACKAGES for m in re.finditer(rf"^{name}==\S+", text, re.MULTILINE)]
    if len(pins) != len(RUNTIME_PACKAGES):
        raise RuntimeError(f"requirements-dev.txt must pin each of {RUNTIME_PACKAGES}; found {pins}")
    return pins


def runtime_standin() -> Path:
    """boto3, botocore and their dependencies for CPython 3.12: what the Lambda runtime provides."""
    pins = runtime_pins()
    digest = hashlib.sha256(" ".join([*pins, *PIP_TARGET_ARGS]).encode()).hexdigest()[:16]

    def build(out: Path) -> None:
        subprocess.run(
            [sys.executable, "-m", "pip", "install", *PIP_TARGET_ARGS, "--no-compile", "--quiet", *pins, "-t", out],
            check=True,
            timeout=600,
        )
        # the runtime's own boto3 ships compiled; our layer and assets do not (pip --no-compile, no caches)
        subprocess.run([lambda_python(), "-m", "compileall", "-q", "-j", "1", str(out)], check=True, timeout=600)

    return _once(BUILD / f"runtime-compiled-{digest}", build)


def asset(fn: wiring.Function, staging_root: Path, repo_root: Path = REPO_ROOT, bytecode: bool = True) -> Path:
    """The function's asset folder exactly as synth stages it (`bytecode=False`: as synth without 3.12)."""
    return Packaging(repo_root=repo_root, staging_root=staging_root, bytecode=bytecode).stage_function(fn)


def lambda_path(asset_dir: Path, layer_python: Path, runtime: Path) -> list[str]:
    """sys.path order on Lambda: the function code (/var/task), the layer (/opt/python), the runtime."""
    return [str(asset_dir), str(layer_python), str(runtime)]


def size_mb(folder: Path) -> float:
    """Unzipped size as shipped, byte-code included (it ships: see `stacks.packaging.compile_bytecode`)."""
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file()) / 1e6


def snapshot(*folders: Path) -> Snapshot:
    """Every file under `folders` with its size and mtime, to show a run wrote or rewrote nothing there."""
    return {
        str(p): (p.stat().st_size, p.stat().st_mtime_ns) for folder in folders for p in folder.rglob("*") if p.is_file()
    }


def written(before: Snapshot, *folders: Path) -> list[str]:
    """Files that appeared or changed under `folders` since `before`: byte-code Python had to write.

    On Lambda it could not (/var/task and /opt are read-only) and would compile them again at every
    cold start. A stale .pyc (wrong magic, or a timestamp that does not match) is rewritten in place,
    hence the mtime.
    """
    after = snapshot(*folders)
    return sorted(path for path, stat in after.items() if before.get(path) != stat)


#: No -B: Python reads byte-code either way, and without -B it writes whatever did not ship, which is
#: what the tests look for (`written`). The bench adds -B (`READ_ONLY`) so that no run warms the next.
ISOLATED = ("-I", "-S")
#: as on Lambda, nothing is written: each process compiles what shipped without byte-code
READ_ONLY = (*ISOLATED, "-B")
