"""Environment read once into typed settings, per function, at first use.

A settings class names each variable it reads as an annotated attribute (`str`, `int`, `float`,
`bool` or `tuple[str, ...]`, comma-separated), with a default where one may be left out. `load(Model)`
reads it once per execution environment; a missing or malformed variable fails at the first `load`,
loudly, naming every bad variable.

This is plain Python, not pydantic: it is the one thing every function reads at cold start, and the
authorizers need nothing else of pydantic; importing pydantic and building a model costs about
90 ms CPU, a third of a bare boto3 client (bench/cold_start.py). The checks a setting needs beyond
its type go in `check()`.
"""

from __future__ import annotations

import os
import typing
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any, ClassVar, TypeVar


class SettingsError(RuntimeError):
    """The environment does not fit a function's settings class (a deployment mistake)."""


@dataclass(frozen=True)
class Setting:
    name: str
    kind: Any
    required: bool
    default: Any = None


class _Env:
    """Base of every settings class; instances are read-only."""

    _fields: ClassVar[dict[str, Setting] | None] = None

    def __init__(self, **values: Any) -> None:
        for name, value in values.items():
            object.__setattr__(self, name, value)

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"settings are read-only: {name}")

    def __repr__(self) -> str:
        shown = ", ".join(f"{name}={getattr(self, name)!r}" for name in self.settings())
        return f"{type(self).__name__}({shown})"

    def check(self) -> None:
        """Checks beyond each variable's type; raise ValueError with a sentence."""

    @classmethod
    def settings(cls) -> dict[str, Setting]:
        """The variables this class reads, by name, with their types and defaults."""
        if cls.__dict__.get("_fields") is None:
            hints = typing.get_type_hints(cls)
            fields = {}
            for name, kind in hints.items():
                if name.startswith("_") or typing.get_origin(kind) is ClassVar or kind is ClassVar:
                    continue
                has_default = any(name in vars(base) for base in cls.__mro__ if base is not object)
                fields[name] = Setting(name, kind, not has_default, getattr(cls, name, None))
            cls._fields = fields
        return cls.__dict__["_fields"]  # type: ignore[no-any-return]


T = TypeVar("T", bound=_Env)


def read(model: type[T], environ: Mapping[str, str]) -> T:
    """`model` filled from `environ`; every missing or malformed variable is named in one error."""
    values: dict[str, Any] = {}
    problems: list[str] = []
    for name, setting in model.settings().items():
        raw = environ.get(name)
        if raw is None:
            if setting.required:
                problems.append(f"{name} is missing")
            else:
                values[name] = setting.default
            continue
        try:
            values[name] = _convert(raw, setting.kind)
        except ValueError as exc:
            problems.append(f"{name}={raw!r}: {exc}")
    if not problems:
        settings = model(**values)
        try:
            settings.check()
        except ValueError as exc:
            problems.append(str(exc))
        else:
            return settings
    raise SettingsError(f"{model.__name__}: " + "; ".join(problems))


@cache
def load(model: type[T]) -> T:
    """Read the environment into `model`, once per execution environment."""
    return read(model, os.environ)


def _convert(raw: str, kind: Any) -> Any:
    if kind is str:
        return raw
    if kind is int:
        return int(raw.strip())
    if kind is float:
        return float(raw.strip())
    if kind is bool:
        value = raw.strip().lower()
        if value in ("1", "true", "yes", "on"):
            return True
        if value in ("0", "false", "no", "off", ""):
            return False
        raise ValueError("not a boolean (true/false)")
    if kind == tuple[str, ...]:
        return tuple(part.strip() for part in raw.split(",") if part.strip())
    raise TypeError(f"settings cannot read a {kind!r}")  # a programming error, not a deployment one


class TokensEnv(_Env):
    TOKENS_TABLE: str


class TokensApiEnv(TokensEnv):
    #: the stage's default lifetime of a new token (`token_expiry_days` in cdk.json)
    TOKEN_EXPIRY_DAYS: int
    #: audit events (token.created, token.revoked) go to the bus; the assignment domain closes a
    #: revoked token's WebSocket connections on token.revoked
    EVENT_BUS: str


class JobsEnv(_Env):
    JOBS_TABLE: str


class UploadsEnv(JobsEnv):
    UPLOADS_BUCKET: str
    MAX_DIRECT_UPLOAD_BYTES: int
    MAX_PRESIGNED_UPLOAD_BYTES: int


class SplitterEnv(JobsEnv):
    UPLOADS_BUCKET: str
    LEAD_BATCHES_QUEUE_URL: str
    MAX_PRESIGNED_UPLOAD_BYTES: int
    MAX_UNCOMPRESSED_BYTES: int
    BATCH_MESSAGE_BYTES: int


class LlmEnv(_Env):
    DEFAULT_COUNTRY: str = "US"
    #: local and dev only; a deployed stage keeps the key in Secrets Manager (LLM_SECRET_ARN)
    LLM_API_KEY: str = ""
    LLM_BASE_URL: str = ""
    LLM_MODEL: str = ""
    LLM_SECRET_ARN: str = ""


class StoreLeadsEnv(JobsEnv, LlmEnv):
    LEADS_TABLE: str
    EVENT_BUS: str
    DATA_BUCKET: str


class LeadsApiEnv(LlmEnv):
    LEADS_TABLE: str
    DATA_BUCKET: str
    DELIVERIES_TABLE: str


class CallsEnv(_Env):
    CALLS_TABLE: str


class ConnectEnv(CallsEnv):
    LEAD_BATCHES_QUEUE_URL: str
    DEFAULT_COUNTRY: str
    CALLER_WINDOW_MINUTES: int
