"""One convention for telemetry: every handler clears its log state per invocation, SQS consumers log
each record under its correlation id, metrics are flushed wherever they are emitted, and nothing in
the product logs through stdlib `logging` (not JSON, no correlation id)."""

from __future__ import annotations

import ast
import json
from pathlib import Path

import pytest
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from leadflow import wiring
from leadflow.config import REPO_ROOT
from shared.core.observability import correlate, logger


def _module_file(name: str) -> Path | None:
    base = REPO_ROOT.joinpath(*name.split("."))
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def _project_imports(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            names = [node.module, *(f"{node.module}.{alias.name}" for alias in node.names)]
        found.update(n for n in names if n.split(".")[0] in ("shared", "lambdas"))
    return found


def _closure(module: str) -> set[Path]:
    """The project's files a module reaches through its imports (packages' __init__ included)."""
    seen: set[Path] = set()
    todo = [module]
    while todo:
        name = todo.pop()
        parts = name.split(".")
        for i in range(1, len(parts) + 1):
            path = _module_file(".".join(parts[:i]))
            if path is not None and path not in seen:
                seen.add(path)
                todo.extend(_project_imports(path))
    return seen


def _handler_decorators(fn: wiring.Function) -> list[str]:
    path = _module_file(fn.handler.rsplit(".", 1)[0])
    assert path is not None, fn.handler
    tree = ast.parse(path.read_text(encoding="utf-8"))
    handler = next(n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == "handler")
    return [ast.unparse(d) for d in handler.decorator_list]


@pytest.mark.parametrize("fn", wiring.FUNCTIONS, ids=lambda fn: fn.key)
def test_every_handler_clears_its_log_state_per_invocation(fn: wiring.Function) -> None:
    decorators = _handler_decorators(fn)
    assert any(d.startswith("logger.inject_lambda_context(") and "clear_state=True" in d for d in decorators), (
        decorators
    )


@pytest.mark.parametrize("fn", wiring.FUNCTIONS, ids=lambda fn: fn.key)
def test_metrics_are_flushed_wherever_they_are_emitted(fn: wiring.Function) -> None:
    emits = sorted(
        str(p.relative_to(REPO_ROOT))
        for p in _closure(fn.handler.rsplit(".", 1)[0])
        if "metrics.add_metric(" in p.read_text(encoding="utf-8")
    )
    flushed = "metrics.log_metrics" in _handler_decorators(fn)
    assert flushed == bool(emits), f"{fn.key}: emitted by {emits}, log_metrics: {flushed}"


@pytest.mark.parametrize("fn", [f for f in wiring.FUNCTIONS if f.sqs_sources], ids=lambda fn: fn.key)
def test_sqs_consumers_log_each_record_under_its_correlation_id(fn: wiring.Function) -> None:
    path = _module_file(fn.handler.rsplit(".", 1)[0])
    assert path is not None and "correlate(record" in path.read_text(encoding="utf-8")


def test_nothing_in_the_product_logs_through_stdlib_logging() -> None:
    offenders = [
        str(path.relative_to(REPO_ROOT))
        for package in ("shared", "lambdas")
        for path in (REPO_ROOT / package).rglob("*.py")
        if any(
            (isinstance(n, ast.Import) and any(a.name == "logging" for a in n.names))
            or (isinstance(n, ast.ImportFrom) and n.module == "logging")
            for n in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        )
    ]
    assert not offenders


def _record(body: str) -> SQSRecord:
    return SQSRecord({"messageId": "msg-1", "body": body, "attributes": {}})


def test_an_event_from_the_bus_is_correlated_by_its_event_id() -> None:
    body = json.dumps({"version": "0", "id": "ev-42", "detail-type": "lead.enriched", "detail": {}})
    assert correlate(_record(body)) == "ev-42"
    assert logger.thread_safe_get_current_keys()["correlation_id"] == "ev-42"


def test_other_bodies_by_their_message_id_unless_the_caller_knows_better() -> None:
    assert correlate(_record('{"job_id": "j-1", "id": "not-an-event"}')) == "msg-1"
    assert correlate(_record("{}"), "job-7") == "job-7"
    assert logger.thread_safe_get_current_keys()["correlation_id"] == "job-7"
