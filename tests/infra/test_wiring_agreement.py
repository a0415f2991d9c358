"""The synthesized templates and the local runtime run the same functions the same way.

Both read `leadflow.wiring`; this test reads what each one actually built: for every function its
name, handler, environment variable names, SQS queues, REST routes and whether it is the REST
authorizer, from the CloudFormation templates on one side and `local_functions()` on the other.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .cfn import flatten, function_names, invoked_function, props, resources, rest_path, target
from .conftest import Synthesized

#: Environment variables CDK adds to functions on its own, which the local runtime need not set.
#: None for Python: CDK adds AWS_NODEJS_CONNECTION_REUSE_ENABLED to Node.js functions only.
CDK_ADDED_ENV: frozenset[str] = frozenset()


@dataclass
class Deployed:
    name: str
    handler: str
    env_names: frozenset[str]
    timeout_s: int
    memory_mb: int
    sqs_queues: set[str] = field(default_factory=set)
    routes: set[tuple[str, str]] = field(default_factory=set)
    is_authorizer: bool = False

    def as_tuple(self) -> tuple[Any, ...]:
        return (
            self.name,
            self.handler,
            self.env_names,
            frozenset(self.sqs_queues),
            frozenset(self.routes),
            self.is_authorizer,
            self.timeout_s,
            self.memory_mb,
        )


def _queue_name(template: dict[str, Any], arn: Any) -> str:
    """A queue's name from an event source ARN: its own stack's queue, or a name-derived ARN."""
    queues = resources(template, "AWS::SQS::Queue")
    lid = target(arn)
    if lid in queues:
        return str(props(queues[lid])["QueueName"])
    return flatten(arn).rsplit(":", 1)[-1]


def deployed_functions(synth: Synthesized) -> dict[str, Deployed]:
    deployed: dict[str, Deployed] = {}
    for template in synth.templates.values():
        for res in resources(template, "AWS::Lambda::Function").values():
            p = props(res)
            if "FunctionName" not in p:  # CDK's own deployment helpers (S3 notifications, auto-delete)
                continue
            env = frozenset(p.get("Environment", {}).get("Variables", {})) - CDK_ADDED_ENV
            deployed[p["FunctionName"]] = Deployed(p["FunctionName"], p["Handler"], env, p["Timeout"], p["MemorySize"])
    for template in synth.templates.values():
        names = function_names(template)
        for res in resources(template, "AWS::Lambda::EventSourceMapping").values():
            p = props(res)
            deployed[names[target(p["FunctionName"]) or ""]].sqs_queues.add(_queue_name(template, p["EventSourceArn"]))
        for res in resources(template, "AWS::ApiGateway::Method").values():
            p = props(res)
            if p["HttpMethod"] == "OPTIONS":  # CORS preflight: a mock integration, no function
                continue
            fn = invoked_function(template, p["Integration"]["Uri"])
            deployed[fn].routes.add((p["HttpMethod"], rest_path(template, p["ResourceId"])))
        for res in resources(template, "AWS::ApiGateway::Authorizer").values():
            deployed[invoked_function(template, props(res)["AuthorizerUri"])].is_authorizer = True
    return deployed


def test_templates_and_local_runtime_agree(synth: Synthesized) -> None:
    from leadflow.local.registry import local_functions

    local = {
        fn.name: (
            fn.name,
            fn.handler,
            fn.env_names,
            fn.sqs_queues,
            fn.routes,
            fn.is_authorizer,
            fn.timeout_s,
            fn.memory_mb,
        )
        for fn in local_functions(synth.config).values()
    }
    deployed = {name: fn.as_tuple() for name, fn in deployed_functions(synth).items()}
    assert deployed == local


def test_extraction_sees_every_trigger(synth: Synthesized) -> None:
    """Guards the test above against agreeing on nothing."""
    deployed = deployed_functions(synth).values()
    assert sum(len(fn.routes) for fn in deployed) >= 1
    assert sum(len(fn.sqs_queues) for fn in deployed) >= 1
    assert [fn.name for fn in deployed if fn.is_authorizer] == [synth.config.name("authorizer")]
