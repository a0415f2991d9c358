"""No module of `shared/` outside `core/` passes an untyped mapping (`dict[str, Any]`, `Mapping[str, Any]`)
across a public function or a public class's field: the domain speaks in the models of
`shared/core/models.py`. Untyped items stay at the AWS edge, in `shared/core/` (item marshalling, events).

`NOT_YET` listed what still did, by domain, while the models moved in; it is empty now and may stay so.
The test fails for a new one, and for an entry that no longer needs to be listed."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
UNTYPED = re.compile(r"\b(dict|Dict|Mapping|MutableMapping)\[str, Any\]")

NOT_YET: set[str] = set()


def untyped_boundaries() -> set[str]:
    found: set[str] = set()
    for path in sorted((ROOT / "shared").rglob("*.py")):
        rel = path.relative_to(ROOT)
        if rel.parts[1] == "core":
            continue
        tree = ast.parse(path.read_text())
        _visit(tree.body, rel.as_posix(), "", found, _untyped_aliases(tree.body))
    return found


def _untyped_aliases(body: list[ast.stmt]) -> re.Pattern[str] | None:
    """A module's own aliases of an untyped mapping (`Row = dict[str, Any]`), as a pattern of their names."""
    names = []
    for node in body:
        value = node.value if isinstance(node, (ast.Assign, ast.AnnAssign)) else None
        targets = (
            node.targets if isinstance(node, ast.Assign) else [node.target] if isinstance(node, ast.AnnAssign) else []
        )
        if value is not None and UNTYPED.search(ast.unparse(value)):
            names += [t.id for t in targets if isinstance(t, ast.Name)]
    return re.compile(r"\b(" + "|".join(map(re.escape, names)) + r")\b") if names else None


def _visit(
    body: list[ast.stmt], path: str, owner: str, found: set[str], aliases: re.Pattern[str] | None = None
) -> None:
    def untyped(annotation: ast.expr) -> bool:
        text = ast.unparse(annotation)
        return bool(UNTYPED.search(text) or (aliases and aliases.search(text)))

    for node in body:
        if isinstance(node, ast.ClassDef) and not node.name.startswith("_"):
            _visit(node.body, path, node.name, found, aliases)
        elif isinstance(node, ast.AnnAssign) and owner and isinstance(node.target, ast.Name):
            if not node.target.id.startswith("_") and untyped(node.annotation):
                found.add(f"{path}::{owner}.{node.target.id}")
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            if node.name.startswith("_") and node.name not in ("__init__", "__call__"):
                continue
            args = node.args
            annotations = [a.annotation for a in (*args.posonlyargs, *args.args, *args.kwonlyargs) if a.annotation]
            annotations += [a.annotation for a in (args.vararg, args.kwarg) if a is not None and a.annotation]
            if node.returns is not None:
                annotations.append(node.returns)
            if any(untyped(a) for a in annotations):
                found.add(f"{path}::{owner + '.' if owner else ''}{node.name}")


def test_no_new_untyped_boundary() -> None:
    new = sorted(untyped_boundaries() - NOT_YET)
    assert not new, (
        "these pass dict[str, Any] across a public boundary; use a model of shared/core/models: " + ", ".join(new)
    )


def test_the_list_only_shrinks() -> None:
    fixed = sorted(NOT_YET - untyped_boundaries())
    assert not fixed, "typed now: remove from NOT_YET: " + ", ".join(fixed)


def test_the_check_sees_an_untyped_parameter(tmp_path: Path) -> None:
    source = (
        "from typing import Any\nRow = list[dict[str, Any]]\ndef f(x: dict[str, Any]) -> int: ...\n"
        "def g() -> Row | None: ...\ndef _h(x: Row) -> None: ...\nclass C:\n    y: Mapping[str, Any]\n"
    )
    tree = ast.parse(source)
    found: set[str] = set()
    _visit(tree.body, "m.py", "", found, _untyped_aliases(tree.body))
    assert found == {"m.py::f", "m.py::g", "m.py::C.y"}
