"""What the ingestion, forms and notification handlers leave out of their cold start: what only some
of their requests or some files need is loaded by the first of those, not at import."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from leadflow import wiring
from tests.unit.core.test_cold_imports import _fresh_python

_LOADED = """
import importlib, json, sys
from pydantic import BaseModel
importlib.import_module(sys.argv[1])
built = sorted(
    f"{name}.{attr}"
    for name, module in list(sys.modules.items())
    if name.startswith("shared.")
    for attr, value in vars(module).items()
    if isinstance(value, type) and issubclass(value, BaseModel) and value.__module__ == name
    and value.__pydantic_complete__
)
print(json.dumps({"modules": sorted(sys.modules), "built": built}))
"""


def _init(key: str) -> tuple[set[str], list[str]]:
    """The modules a function's handler module loads at import, and the pydantic models of ours it builds."""
    module = wiring.function(key).handler.rsplit(".", 1)[0]
    found = json.loads(_fresh_python(_LOADED, module).splitlines()[-1])
    return set(found["modules"]), found["built"]


#: function -> modules only some of its requests (or some files) need
NOT_AT_INIT = {
    # a file is one format: each reader loads when a file of its format is read
    "splitter": (
        "python_calamine",
        "shared.ingestion.files.workbooks",
        "shared.ingestion.files.cfb",
        "shared.ingestion.files.delimited",
        "shared.ingestion.files.jsonfiles",
        "email.policy",
    ),
    # only a multipart upload parses its body as MIME
    "uploads": ("email.policy",),
}


@pytest.mark.parametrize("key", sorted(NOT_AT_INIT))
def test_what_only_some_requests_need_is_not_loaded_at_init(key: str) -> None:
    modules, _ = _init(key)
    assert sorted(m for m in NOT_AT_INIT[key] if m in modules) == []


#: route bodies and views each route builds at its first request
@pytest.mark.parametrize("key", ["splitter", "uploads", "forms"])
def test_no_route_model_is_built_at_init(key: str) -> None:
    _, built = _init(key)
    assert built == []


#: what the main path of a function needs stays at init, or the first request would only pay it later:
#: every form submission (POST /leads) standardizes its row and queues its steps, and every form lead
#: goes through the forward store step
AT_INIT = {
    "forms": ("shared.enrichment.standardize", "shared.enrichment.enricher", "phonenumbers", "shared.core.batching"),
    "forward": ("shared.core.models.jobs",),
}


@pytest.mark.parametrize("key", sorted(AT_INIT))
def test_what_every_main_request_needs_stays_at_init(key: str) -> None:
    modules, _ = _init(key)
    assert sorted(m for m in AT_INIT[key] if m not in modules) == []


def test_a_workbook_still_maps_calamines_failures(tmp_path: Path) -> None:
    # the reader is imported with its first file: python_calamine's errors are still caught then
    code = """
import sys, pathlib
from shared.ingestion.files.readers import FileRejected, read_rows
assert "python_calamine" not in sys.modules
path = pathlib.Path(sys.argv[1])
path.write_bytes(b"PK\\x03\\x04" + b"not really a workbook" * 50)
try:
    list(read_rows(path, "leads.xlsx"))
except FileRejected as exc:
    print("rejected", "python_calamine" in sys.modules)
"""
    assert _fresh_python(code, str(tmp_path / "bad.xlsx")) == "rejected True"
