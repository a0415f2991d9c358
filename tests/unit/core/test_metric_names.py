"""The custom metrics' names are declared once (`shared.core.metric_names`): the handlers that emit
them and the stacks that alarm on them import the same constants. A name or the namespace typed as a
literal anywhere else in shared/, lambdas/, stacks/, leadflow/ or bench/ fails here, and so does a declared name that
no handler emits (an alarm on it would wait for data forever)."""

from __future__ import annotations

import ast
from pathlib import Path

from shared.core import metric_names

ROOT = Path(__file__).resolve().parents[3]
DECLARED = ROOT / "shared" / "core" / "metric_names.py"


def _sources(*folders: str) -> list[Path]:
    return sorted(p for folder in folders for p in (ROOT / folder).rglob("*.py") if p != DECLARED)


def _docstrings(tree: ast.AST) -> set[int]:
    """ids of the string constants that are docstrings or bare string statements (prose, not values)"""
    return {
        id(node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant) and isinstance(node.value.value, str)
    }


def _namespace_values(tree: ast.AST) -> set[int]:
    """ids of the values given to a namespace: `namespace=...`, `POWERTOOLS_METRICS_NAMESPACE=...`,
    `NAMESPACE = ...` (the word alone is also the stacks' name prefix, which is not a metric's)"""
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.keyword) and node.arg and "namespace" in node.arg.lower():
            found.add(id(node.value))
        elif isinstance(node, ast.Assign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            if any(isinstance(t, ast.Name) and "NAMESPACE" in t.id for t in targets) and node.value is not None:
                found.add(id(node.value))
    return found


def literals(source: str) -> list[tuple[int, str]]:
    tree = ast.parse(source)
    prose = _docstrings(tree)
    namespaces = _namespace_values(tree)
    return [
        (node.lineno, node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant)
        and id(node) not in prose
        and (node.value in metric_names.ALL or (node.value == metric_names.NAMESPACE and id(node) in namespaces))
    ]


def test_no_metric_name_or_namespace_is_typed_outside_its_declaration() -> None:
    found = [
        f"{path.relative_to(ROOT)}:{line}: {value!r}"
        for path in _sources("shared", "lambdas", "stacks", "leadflow", "bench")
        for line, value in literals(path.read_text())
    ]
    assert not found, "use shared.core.metric_names instead of:\n" + "\n".join(found)


def test_the_check_sees_a_literal_in_code_and_not_in_prose() -> None:
    code = '"""Emits `AssignmentExpired`."""\nmetrics.add_metric(name="AssignmentExpired", unit="Count", value=1)\n'
    assert literals(code) == [(2, "AssignmentExpired")]
    assert literals('Metrics(namespace="Leadflow")') == [(1, "Leadflow")]
    assert literals('NAMESPACE = "Leadflow"') == [(1, "Leadflow")]
    assert literals('env.update(POWERTOOLS_METRICS_NAMESPACE="Leadflow")') == [(1, "Leadflow")]
    assert literals('STACK_PREFIX = "Leadflow"') == [], "the same word as a stack name is not a metric namespace"
    assert literals("metrics.add_metric(name=metric_names.ASSIGNMENT_EXPIRED)") == []


def test_every_declared_name_is_emitted_by_a_handler() -> None:
    constants = {value: key for key, value in vars(metric_names).items() if isinstance(value, str) and key.isupper()}
    used: set[str] = set()
    for path in _sources("shared", "lambdas"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "metric_names":
                used.add(node.attr)
            elif isinstance(node, ast.ImportFrom) and node.module == "shared.core.metric_names":
                used.update(alias.name for alias in node.names)
    unemitted = sorted(constants[name] for name in metric_names.ALL if constants[name] not in used)
    assert not unemitted, f"declared but emitted by nothing: {unemitted}"
    assert set(constants.values()) - {"NAMESPACE"} == {constants[n] for n in metric_names.ALL}, "ALL lists every name"
