"""Lambda packaging without Docker: a staged folder per function, one pip-built dependencies layer.

A function's asset holds only what its dotted handler path needs on Lambda: `lambdas/__init__.py`,
its own handler package and the `shared/` package, at the same relative paths as in the repo, so
`lambdas.ingestion.splitter.handler.handler` imports as it does locally. Third-party packages come from one
layer built by `pip install --platform ...` on this machine (local bundling): there is no Docker
engine here, and the `image` CDK insists on is never run.

Both ship byte-code compiled by CPython 3.12 (`compile_bytecode`), because Lambda's `/var/task` and
`/opt` are read-only: whatever ships without a `.pyc` is compiled from source on every cold start.

`build_layer`, `layer_hash` and `Packaging.stage_function` are what synth runs;
`tests/infra/test_layer_as_shipped.py` and `bench/cold_start.py` call the same functions, so what they
test is what ships.
"""

from __future__ import annotations

import functools
import glob
import hashlib
import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jsii
from aws_cdk import AssetHashType, BundlingOptions, DockerImage, ILocalBundling
from aws_cdk import aws_lambda as lambda_

from leadflow import wiring

RUNTIME = lambda_.Runtime.PYTHON_3_12
ARCHITECTURE = lambda_.Architecture.X86_64

# The wheels must match the Lambda runtime (CPython 3.12, x86_64, glibc >= 2.17), not this machine.
PIP_TARGET_ARGS: tuple[str, ...] = (
    "--platform",
    "manylinux2014_x86_64",
    "--only-binary=:all:",
    "--python-version",
    "3.12",
    "--implementation",
    "cp",
)
# requirements.txt is a complete lock (every transitive dependency pinned), so pip installs exactly the
# listed wheels: nothing unlisted, such as a botocore that would shadow the runtime's, can slip in.
PIP_LAYER_ARGS: tuple[str, ...] = (*PIP_TARGET_ARGS, "--no-deps")

# The repo's own caches are never copied: they come from whatever interpreter ran locally (3.11 for the
# tools, timestamp-checked). The staged copy is compiled afresh by CPython 3.12 (`compile_bytecode`).
_IGNORED = shutil.ignore_patterns("__pycache__", "*.pyc", "*.pyo", ".mypy_cache", ".pytest_cache")

#: set LEADFLOW_LAMBDA_PYTHON to point at another CPython 3.12
PYTHON_ENV = "LEADFLOW_LAMBDA_PYTHON"

# Why unchecked-hash: CDK zips assets with normalized timestamps, so a timestamp-based .pyc (the default,
# which records the source's mtime) no longer matches its source on Lambda and is ignored; and the
# checked-hash mode would hash every source file at each import. An unchecked-hash .pyc is used as is.
# "Cached bytecode invalidation", https://docs.python.org/3/reference/import.html#cached-bytecode-invalidation
# and https://docs.python.org/3/library/compileall.html (--invalidation-mode).
COMPILEALL_ARGS: tuple[str, ...] = ("-m", "compileall", "-q", "-j", "0", "--invalidation-mode", "unchecked-hash")


class PackagingError(RuntimeError):
    """A function's sources or the layer's requirements are missing or cannot be built."""


class NoLambdaPython(PackagingError):
    """No CPython 3.12 (the Lambda runtime's version) on this machine: nothing can be compiled for it."""


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
        "no CPython 3.12 (the Lambda runtime's version) found: "
        f"install it or set {PYTHON_ENV}; tried {[c for c in candidates if c]}"
    )


@functools.cache
def bytecode_python() -> str | None:
    """The interpreter synth compiles with, or None (said once on stderr) to ship sources only.

    Synth still works without it, as before byte-code was shipped; the as-shipped tests do not, since
    they ask `lambda_python()` directly and check that the byte-code was there.
    """
    try:
        return lambda_python()
    except NoLambdaPython as missing:
        # stderr, not stdout: the CDK CLI reads the app's stdout
        print(
            f"leadflow: WARNING shipping no byte-code, so every Lambda cold start will be slower: {missing}",
            file=sys.stderr,
        )
        return None


#: where Lambda unpacks a function's code and a layer's `python/` folder
TASK_ROOT = "/var/task"
LAYER_ROOT = "/opt/python"


def compile_bytecode(folder: Path, python: str, runtime_root: str) -> None:
    """Write `__pycache__/*.cpython-312.pyc` beside every source under `folder`, with `python` (3.12).

    Each file's recorded path is the one it has on Lambda (`-s folder -p runtime_root`), not this
    machine's staging folder: tracebacks name `/var/task/...`, and the bytes (so the asset's hash)
    do not depend on where synth staged them."""
    command = [python, *COMPILEALL_ARGS, "-s", str(folder), "-p", runtime_root, str(folder)]
    result = subprocess.run(command, capture_output=True, text=True, timeout=600, check=False)
    if result.returncode != 0:
        raise PackagingError(f"compileall could not compile {folder}:\n{result.stdout}{result.stderr}")


def layer_hash(requirements: Path, pip_args: tuple[str, ...] = PIP_LAYER_ARGS, bytecode: bool = True) -> str:
    """The layer's identity: its inputs (the lock, the target platform, byte-code or not), not its bytes."""
    compiled = " ".join(("cpython-312", *COMPILEALL_ARGS, "-p", LAYER_ROOT)) if bytecode else "sources only"
    return hashlib.sha256(requirements.read_bytes() + " ".join((*pip_args, compiled)).encode()).hexdigest()


def build_layer(
    requirements: Path, target: Path, pip_args: tuple[str, ...] = PIP_LAYER_ARGS, python: str | None = None
) -> None:
    """Install the locked `requirements` for the Lambda platform into `target` (the layer's `python/`),
    then compile it with `python` (a CPython 3.12), or ship sources only when `python` is None.

    `pip_args` is for tests that build a deliberately wrong layer; synth always uses the default.
    """
    command = [
        sys.executable,
        "-m",
        "pip",
        "install",
        *pip_args,
        "--no-compile",
        "--disable-pip-version-check",
        "--quiet",
        "-r",
        str(requirements),
        "-t",
        str(target),
    ]
    # stderr, not stdout: the CDK CLI reads the app's stdout
    print(f"leadflow: building the dependencies layer with pip into {target}", file=sys.stderr)
    started = time.monotonic()
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise PackagingError(f"pip could not build the dependencies layer:\n{result.stderr}")
    # pip --no-compile above: pip would compile with this machine's Python (not 3.12) in timestamp mode
    if python is not None:
        compile_bytecode(target, python, LAYER_ROOT)
    print(f"leadflow: dependencies layer built in {time.monotonic() - started:.1f} s", file=sys.stderr)


@jsii.implements(ILocalBundling)
class PipLayerBundling:
    """Installs `requirements.txt` into `<output>/python` with the running interpreter's pip."""

    def __init__(self, requirements: Path, python: str | None) -> None:
        self._requirements = requirements
        self._python = python

    # jsii passes the bundling options as keywords only when a keyword-only parameter exists.
    def try_bundle(self, output_dir: str, *, image: DockerImage, **_options: Any) -> bool:
        # Raising (rather than returning False) stops CDK from falling back to `docker run`.
        build_layer(self._requirements, Path(output_dir) / "python", python=self._python)
        return True


@dataclass(frozen=True)
class Packaging:
    """Where the sources are and where their per-function copies are staged for this synth."""

    repo_root: Path
    staging_root: Path
    #: False ships sources only (as when synth finds no CPython 3.12); tests use it to show the check fails
    bytecode: bool = True

    def _python(self) -> str | None:
        return bytecode_python() if self.bytecode else None

    def function_code(self, fn: wiring.Function) -> lambda_.Code:
        return lambda_.Code.from_asset(str(self.stage_function(fn)))

    def stage_function(self, fn: wiring.Function) -> Path:
        """Copy exactly the files `fn` imports from the repo into a fresh folder and return it."""
        handler_dir = self.repo_root / fn.directory
        # lambdas/__init__.py, lambdas/<domain>/__init__.py: the packages above the handler's own
        parents = fn.directory.split("/")[:-1]
        package_inits = [Path(*parents[: i + 1]) / "__init__.py" for i in range(len(parents))]
        shared = self.repo_root / "shared"
        for needed in (
            handler_dir / "__init__.py",
            *(self.repo_root / p for p in package_inits),
            shared / "__init__.py",
        ):
            if not needed.is_file():
                raise PackagingError(
                    f"function {fn.key!r} (handler {fn.handler}) cannot be packaged: {needed} is missing"
                )
        staged = self.staging_root / "functions" / fn.key
        if staged.exists():
            shutil.rmtree(staged)
        shutil.copytree(handler_dir, staged / fn.directory, ignore=_IGNORED)
        for init in package_inits:
            shutil.copy2(self.repo_root / init, staged / init)
        shutil.copytree(shared, staged / "shared", ignore=_IGNORED)
        python = self._python()
        if python is not None:
            compile_bytecode(staged, python, TASK_ROOT)
        return staged

    def dependencies_code(self) -> lambda_.Code:
        requirements = self.repo_root / "requirements.txt"
        if not requirements.is_file():
            raise PackagingError(f"the dependencies layer needs {requirements}")
        source = self.staging_root / "layer"
        source.mkdir(parents=True, exist_ok=True)
        staged_requirements = source / "requirements.txt"
        shutil.copy2(requirements, staged_requirements)
        # The hash is the input (requirements + target platform), so an unchanged layer is not
        # rebuilt when its bundle already sits in the output folder from an earlier synth.
        python = self._python()
        digest = layer_hash(requirements, bytecode=python is not None)
        return lambda_.Code.from_asset(
            str(source),
            asset_hash_type=AssetHashType.CUSTOM,
            asset_hash=digest,
            bundling=BundlingOptions(
                # Required by the API; never run, because the local bundler always succeeds or raises.
                image=DockerImage.from_registry("public.ecr.aws/sam/build-python3.12"),
                local=PipLayerBundling(staged_requirements, python),
            ),
        )
