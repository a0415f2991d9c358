"""Function assets hold exactly what a dotted handler path imports, and nothing else."""

from __future__ import annotations

from pathlib import Path

import pytest

from leadflow import wiring
from leadflow.config import REPO_ROOT
from stacks import packaging
from stacks.packaging import NoLambdaPython, Packaging, PackagingError

PYC = ".cpython-312.pyc"


def _files(root: Path) -> set[str]:
    return {str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()}


def _compiled(*sources: str) -> set[str]:
    """Each source with the byte-code CPython 3.12 writes beside it."""
    out = set(sources)
    for source in sources:
        folder, _, name = source.rpartition("/")
        out.add(f"{folder}/__pycache__/{name.removesuffix('.py')}{PYC}")
    return out


def _unchecked_hash(pyc: Path) -> bool:
    # PEP 552 header: magic, then flags; 0b01 is hash-based with the source check off
    return int.from_bytes(pyc.read_bytes()[4:8], "little") == 0b01


def _write(root: Path, *paths: str) -> None:
    for path in paths:
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_text("# test\n")


def test_a_function_gets_its_handler_package_and_shared_only(tmp_path: Path) -> None:
    # Given a repo with two handlers, the shared package and byte-code caches
    repo = tmp_path / "repo"
    _write(
        repo,
        "lambdas/__init__.py",
        "lambdas/ingestion/__init__.py",
        "lambdas/ingestion/splitter/__init__.py",
        "lambdas/ingestion/splitter/handler.py",
        "lambdas/ingestion/splitter/__pycache__/handler.cpython-312.pyc",
        "lambdas/ingestion/uploads/__init__.py",
        "lambdas/ingestion/uploads/handler.py",
        "shared/__init__.py",
        "shared/ingestion/files/reader.py",
        "shared/__pycache__/models.cpython-312.pyc",
        "leadflow/wiring/__init__.py",
    )
    # When the splitter is staged
    staged = Packaging(repo_root=repo, staging_root=tmp_path / "out").stage_function(wiring.function("splitter"))
    # Then the asset holds its handler package, the `lambdas` and domain package markers and `shared`,
    # none of the repo's caches (shared/__pycache__/models... has no source here), and byte-code of its own
    assert _files(staged) == _compiled(
        "lambdas/__init__.py",
        "lambdas/ingestion/__init__.py",
        "lambdas/ingestion/splitter/__init__.py",
        "lambdas/ingestion/splitter/handler.py",
        "shared/__init__.py",
        "shared/ingestion/files/reader.py",
    )
    assert all(_unchecked_hash(p) for p in staged.rglob("*.pyc"))


def test_without_a_python_312_synth_ships_sources_and_says_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def none_found() -> str:
        raise NoLambdaPython("no CPython 3.12 found (test)")

    monkeypatch.setattr(packaging, "lambda_python", none_found)
    packaging.bytecode_python.cache_clear()
    try:
        staged = Packaging(repo_root=REPO_ROOT, staging_root=tmp_path).stage_function(wiring.function("splitter"))
    finally:
        packaging.bytecode_python.cache_clear()
    assert not list(staged.rglob("*.pyc"))
    warning = capsys.readouterr().err.strip().splitlines()
    assert len(warning) == 1 and "cold start will be slower" in warning[0], warning


def test_a_missing_handler_folder_is_a_clear_error(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    _write(repo, "lambdas/__init__.py", "lambdas/enrichment/__init__.py", "shared/__init__.py")
    with pytest.raises(PackagingError, match=r"store-leads.*lambdas/enrichment/store_leads/__init__\.py is missing"):
        Packaging(repo_root=repo, staging_root=tmp_path / "out").stage_function(wiring.function("store-leads"))


@pytest.mark.parametrize("fn", wiring.FUNCTIONS, ids=lambda fn: fn.key)
def test_every_handler_path_resolves_in_its_asset(fn: wiring.Function, tmp_path: Path) -> None:
    staged = Packaging(repo_root=REPO_ROOT, staging_root=tmp_path).stage_function(fn)
    module = fn.handler.rsplit(".", 1)[0]
    assert (staged / (module.replace(".", "/") + ".py")).is_file()
    # every source ships compiled by CPython 3.12, in the mode that survives CDK's normalized timestamps
    sources = {str(p.relative_to(staged)) for p in staged.rglob("*.py")}
    assert _files(staged) >= _compiled(*sources)
    assert all(_unchecked_hash(p) for p in staged.rglob("*.pyc"))


def test_byte_code_names_the_path_on_lambda_and_does_not_depend_on_where_it_was_staged(tmp_path: Path) -> None:
    # Given the same function staged in two different folders
    fn = wiring.function("jobs")
    first = Packaging(repo_root=REPO_ROOT, staging_root=tmp_path / "a").stage_function(fn)
    second = Packaging(repo_root=REPO_ROOT, staging_root=tmp_path / "b" / "deeper").stage_function(fn)
    relative = "shared/core/__pycache__/errors.cpython-312.pyc"
    # Then the byte-code is the same bytes, and its source path is the one it has in /var/task
    assert (first / relative).read_bytes() == (second / relative).read_bytes()
    assert b"/var/task/shared/core/errors.py" in (first / relative).read_bytes()
    assert str(tmp_path).encode() not in (first / relative).read_bytes()
