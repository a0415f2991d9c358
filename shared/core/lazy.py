"""A package whose public names load from their own modules at first use (PEP 562).

The package lists each name with the module that declares it, and imports them under `TYPE_CHECKING`
for mypy. At run time `exports` gives it the `__getattr__` and `__dir__` that import a name's module
when the name is first read, and keep the value in the package, so the next read is a plain lookup.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Mapping
from typing import Any


def exports(package: str, homes: Mapping[str, str]) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """`__getattr__` and `__dir__` for `package`, whose name `n` is declared in `package.<homes[n]>`."""
    namespace = vars(sys.modules[package])
    names = sorted(homes)

    def __getattr__(name: str) -> Any:
        home = homes.get(name)
        if home is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(f"{package}.{home}"), name)
        namespace[name] = value
        return value

    def __dir__() -> list[str]:
        return names

    return __getattr__, __dir__
