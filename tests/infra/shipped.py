"""The functions as they ship: Python 3.12, the staged asset, the pip-built layer and a runtime stand-in.

Used by `test_layer_as_shipped.py` and `bench/cold_start.py`. The asset and the layer are built by the
same code synth runs (`Packaging.stage_function`, `build_layer`, `layer_hash`); nothing is copied.
The Lambda Python runtime provides boto3 and botocore; a folder with the versions pinned in
`requirements-dev.txt` stands for them. Each function runs in `python3.12 -I -S`: no environment
variables, no user or system site-packages, so only the folders given here are on its path, and `-B`
(see ISOLATED).
"""

from __future__ import annotations

import glob
import hashlib
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

from leadflow import wiring
from leadflow.config import REPO_ROOT
from stacks.packaging import PIP_LAYER_ARGS, PIP_TARGET_ARGS, Packaging, build_layer, layer_hash

BUILD = REPO_ROOT / "build" / "as-shipped"
#: what the Lambda runtime brings (requirements.txt leaves these out of the layer)
RUNTIME_PACKAGES = ("boto3", "botocore", "jmespath")
#: set LEADFLOW_LAMBDA_PYTHON to point at another CPython 3.12
PYTHON_ENV = "LEADFLOW_LAMBDA_PYTHON"


class NoLambdaPython(RuntimeError):
    """No CPython 3.12 on this machine: the as-shipped checks cannot run and must say so."""


def _is_312(python: str) -> bool:
    try:
        out = subprocess.run(
            [python, "-I", "-S", "-c", "import sys; print(sys.version_info[:2] == (3, 12))"],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
    except OSError:
        return False
    return out.stdout.strip() == "True"


def lambda_python() -> str:
    """A CPython 3.12 interpreter, the Lambda runtime's version (a pyenv shim may exist yet not run)."""
    candidates = [
        os.environ.get(PYTHON_ENV, ""),
        shutil.which("python3.12") or "",
        *sorted(glob.glob(os.path.expanduser("~/.pyenv/versions/3.12*/bin/python3.12")), reverse=True),
    ]
    for python in filter(None, candidates):
        if _is_312(python):
            return python
    raise NoLambdaPython(
        "the as-shipped checks need CPython 3.12 (the Lambda runtime's version) and found none: "
        f"install it or set {PYTHON_ENV}; tried {[c for c in candidates if c]}"
    )


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
    """The layer's `python/` folder, built once per lock and platform (cached under build/)."""
    requirements = requirements or REPO_ROOT / "requirements.txt"
    root = _once(
        BUILD / f"layer-{layer_hash(requirements, pip_args)[:16]}",
        lambda out: build_layer(requirements, out / "python", pip_args),
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


def asset(fn: wiring.Function, staging_root: Path, repo_root: Path = REPO_ROOT) -> Path:
    """The function's asset folder exactly as synth stages it."""
    return Packaging(repo_root=repo_root, staging_root=staging_root).stage_function(fn)


def lambda_path(asset_dir: Path, layer_python: Path, runtime: Path) -> list[str]:
    """sys.path order on Lambda: the function code (/var/task), the layer (/opt/python), the runtime."""
    return [str(asset_dir), str(layer_python), str(runtime)]


def size_mb(folder: Path) -> float:
    """Unzipped size as shipped (byte-code caches a local run may have left are not part of it)."""
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file() and "__pycache__" not in p.parts) / 1e6


#: Lambda's /var/task and /opt are read-only, so Python can write no byte-code there: every cold start
#: compiles what ships without it. -B keeps a local run from writing caches into the shared folders.
ISOLATED = ("-I", "-S", "-B")
