"""What the local runtime runs, read from `wiring`: each function's handler, environment and triggers.

`local_functions` is what the wiring-agreement test compares with the synthesized templates.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from leadflow import wiring
from leadflow.config import StageConfig
from leadflow.local.aws import ACCOUNT, Resources
from shared.core import metric_names

Handler = Callable[[dict[str, Any], Any], Any]
#: set by the runtime itself for every function (Powertools' service name is one per process locally)
RUNTIME_ENV = ("POWERTOOLS_SERVICE_NAME",)


@dataclass(frozen=True)
class LocalFunction:
    key: str
    name: str
    handler: str
    env_names: frozenset[str]
    sqs_queues: frozenset[str]
    routes: frozenset[tuple[str, str]]
    is_authorizer: bool
    timeout_s: int
    memory_mb: int

    def load(self) -> Handler:
        module, _, attr = self.handler.rpartition(".")
        fn: Handler = getattr(importlib.import_module(module), attr)
        return fn


def local_functions(config: StageConfig) -> dict[str, LocalFunction]:
    out = {}
    for fn in wiring.FUNCTIONS:
        out[fn.key] = LocalFunction(
            key=fn.key,
            name=config.name(fn.key),
            handler=fn.handler,
            env_names=frozenset(fn.env) | frozenset(RUNTIME_ENV),
            sqs_queues=frozenset(config.name(s.queue) for s in fn.sqs_sources),
            routes=frozenset((r.method, r.path) for r in fn.routes),
            is_authorizer=any(isinstance(t, wiring.RestAuthorizer) for t in fn.triggers),
            timeout_s=fn.timeout_s,
            memory_mb=fn.memory_mb,
        )
    return out


def resolve_env(fn: wiring.Function, config: StageConfig, res: Resources) -> dict[str, str]:
    """The environment values of one function, with local names and URLs."""
    env: dict[str, str] = {}
    for name, ref in fn.env.items():
        if isinstance(ref, wiring.TableName):
            env[name] = res.tables[ref.table]
        elif isinstance(ref, wiring.QueueUrl):
            env[name] = res.queues[ref.queue]
        elif isinstance(ref, wiring.BucketName):
            env[name] = res.buckets[ref.bucket]
        elif isinstance(ref, wiring.TopicArn):
            env[name] = res.topics[ref.topic]
        elif isinstance(ref, wiring.BusName):
            env[name] = res.buses[ref.bus]
        elif isinstance(ref, wiring.SecretArn):
            env[name] = res.secrets[ref.secret]
        elif isinstance(ref, wiring.WebSocketEndpoint):
            env[name] = res.websocket_endpoint
        elif isinstance(ref, wiring.Setting):
            env[name] = wiring.render_setting(getattr(config, ref.attribute))
        elif isinstance(ref, wiring.RouteRoles):
            env[name] = wiring.route_roles_json()
        else:
            env[name] = ref.value
    return env


def process_env(config: StageConfig, res: Resources) -> dict[str, str]:
    """All functions share this process, so their environments must agree where names meet."""
    merged: dict[str, str] = {}
    for fn in wiring.FUNCTIONS:
        for name, value in resolve_env(fn, config, res).items():
            if merged.get(name, value) != value:
                raise ValueError(f"{name} differs between functions ({merged[name]!r} vs {value!r})")
            merged[name] = value
    merged.update(
        POWERTOOLS_SERVICE_NAME="leadflow-local",
        POWERTOOLS_TRACE_DISABLED="true",
        # EMF metrics are CloudWatch's business; locally they would only be JSON lines on stdout
        POWERTOOLS_METRICS_DISABLED="true",
        POWERTOOLS_METRICS_NAMESPACE=metric_names.NAMESPACE,
        AWS_ACCOUNT_ID=ACCOUNT,
    )
    return merged
