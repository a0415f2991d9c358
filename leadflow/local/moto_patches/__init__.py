"""Everything the local runtime does to moto, in one place: `install()` (the moto server process calls it).

Each patch is one of two kinds:

- a **correctness fix** makes moto behave as AWS does where the system relies on it. It is installed
  on every moto version; if it cannot be (moto changed what it hooks into), `install` raises
  `MotoPatchError` naming the fix and the version, and the local AWS does not start.
- a **speed patch** gives the same answers as stock moto with less work. Speed patches install only
  on the moto version they were tested against (`TESTED_MOTO`, the pin in requirements-dev.txt);
  on any other version, or with `LEADFLOW_STOCK_MOTO=1`, stock moto runs and `Report.line` is the
  one line that says which were left out and why. They are imported only when installed: a
  moto that moved their hooks cannot break a stock run.

`PATCHES` lists them all; nothing else in the repository changes moto's behaviour.
"""

from __future__ import annotations

import enum
import importlib
import os
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import metadata
from typing import Any

#: the moto version the speed patches were written and tested against (requirements-dev.txt pins
#: the same; a unit test fails when the two differ, so a moto upgrade is a deliberate re-test)
TESTED_MOTO = "5.2.5"
#: `LEADFLOW_STOCK_MOTO=1`: correctness fixes only, whatever the version
STOCK_ENV = "LEADFLOW_STOCK_MOTO"
#: the file `leadflow.local.moto_main` writes its `Report` to (JSON), for the process that started it
REPORT_ENV = "LEADFLOW_MOTO_REPORT"


class Kind(enum.Enum):
    CORRECTNESS = "correctness"
    SPEED = "speed"


@dataclass(frozen=True)
class Patch:
    name: str
    kind: Kind
    #: a module of this package with a `patch()` function
    module: str
    what: str


PATCHES: tuple[Patch, ...] = (
    Patch(
        "atomic-writes",
        Kind.CORRECTNESS,
        "atomic_writes",
        "DynamoDB writes under one lock: conditional writes are atomic, and a cancelled transaction's "
        "rollback cannot erase a concurrent write",
    ),
    Patch(
        "aws-limits",
        Kind.CORRECTNESS,
        "limits",
        "AWS limits moto does not enforce: PutEvents 256 KB, a transaction's 4 MB, BatchWriteItem's 25 requests",
    ),
    Patch(
        "transactions",
        Kind.SPEED,
        "transactions",
        "TransactWriteItems checks its conditions first instead of deep-copying every table it touches",
    ),
    Patch(
        "request-paths",
        Kind.SPEED,
        "speedups",
        "item sizes measured once, AttributeValue parsing, EventBridge templates and matching, routing lists",
    ),
    Patch(
        "index-and-timers",
        Kind.SPEED,
        "index_and_timers",
        "index Query heads kept sorted, response items, update expressions, SQS queues of delayed messages",
    ),
    Patch(
        "keep-alive",
        Kind.SPEED,
        "server",
        "HTTP connections kept open between requests, and the cyclic garbage collector run less often",
    ),
)


class MotoPatchError(RuntimeError):
    """A correctness fix could not be installed on this moto."""


@dataclass(frozen=True)
class Report:
    """What `install` did: the moto version, the patches installed, and those left out with why."""

    moto: str
    installed: tuple[str, ...]
    skipped: tuple[str, ...] = ()
    reason: str = ""

    def line(self) -> str | None:
        """The one log line when stock moto runs (some speed patches left out); None otherwise."""
        if not self.skipped:
            return None
        return (
            f"local AWS runs stock moto {self.moto}: speed patches not installed ({', '.join(self.skipped)}) "
            f"because {self.reason}; correctness fixes installed ({', '.join(self.installed) or 'none'})"
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "moto": self.moto,
            "installed": list(self.installed),
            "skipped": list(self.skipped),
            "reason": self.reason,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Report:
        return cls(str(data["moto"]), tuple(data["installed"]), tuple(data["skipped"]), str(data["reason"]))


def moto_version() -> str:
    return metadata.version("moto")


def speed_refusal(version: str, env: Mapping[str, str]) -> str | None:
    """Why the speed patches do not install here, or None when they do."""
    if env.get(STOCK_ENV, "").strip() not in ("", "0"):
        return f"{STOCK_ENV}={env[STOCK_ENV]}"
    if version != TESTED_MOTO:
        return f"they were tested on moto {TESTED_MOTO} only"
    return None


def install(env: Mapping[str, str] | None = None) -> Report:
    """Every correctness fix, and the speed patches unless refused (`speed_refusal`)."""
    version = moto_version()
    refusal = speed_refusal(version, os.environ if env is None else env)
    installed: list[str] = []
    skipped: list[str] = []
    for patch in PATCHES:
        if patch.kind is Kind.SPEED and refusal is not None:
            skipped.append(patch.name)
            continue
        try:
            importlib.import_module(f"{__name__}.{patch.module}").patch()
        except Exception as err:
            if patch.kind is Kind.CORRECTNESS:
                raise MotoPatchError(
                    f"the correctness fix {patch.name!r} ({patch.what}) cannot be installed on moto {version}: "
                    f"{type(err).__name__}: {err}"
                ) from err
            raise
        installed.append(patch.name)
    return Report(version, tuple(installed), tuple(skipped), refusal or "")
