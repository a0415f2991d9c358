"""Function assets hold exactly what a dotted handler path imports, and nothing else."""

from __future__ import annotations

from pathlib import Path

import pytest

from leadflow import wiring
from leadflow.config import REPO_ROOT
from stacks.packaging import Packaging, PackagingError


def _files(root: Path) -> set[str]:
    return {str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()}


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
    # Then the asset holds its handler package, the `lambdas` and domain package markers and `shared`, no caches
    assert _files(staged) == {
        "lambdas/__init__.py",
        "lambdas/ingestion/__init__.py",
        "lambdas/ingestion/splitter/__init__.py",
        "lambdas/ingestion/splitter/handler.py",
        "shared/__init__.py",
        "shared/ingestion/files/reader.py",
    }


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
    assert not [p for p in staged.rglob("__pycache__")]
