"""cdk-nag (AwsSolutions) on every synth, and the one way this app acknowledges a finding.

cdk-nag 3 is a CDK validation plugin: an unacknowledged finding makes `app.synth()` raise and is
listed in `policy-validation-report.json` in the output folder. An acknowledgment names one
finding precisely (IAM findings carry the policy or the wildcard resource in their id) and says
why it is acceptable; it covers the construct it is made on and everything below it.
"""

from __future__ import annotations

import json
from typing import Any

from aws_cdk import Acknowledgment, App, Stack, Validations
from cdk_nag import AwsSolutionsChecks
from constructs import IConstruct

PACK = "AwsSolutions"


def add_checks(app: App) -> None:
    """Run the AwsSolutions pack on every synth; acknowledged findings are written to the templates."""
    Validations.of(app).add_plugins(AwsSolutionsChecks(app, verbose=True, write_suppressions_to_cloud_formation=True))


def acknowledge(scope: IConstruct, rule: str, reason: str) -> None:
    """Acknowledge one finding (`rule` without the pack prefix, e.g. `L1` or `IAM5[Resource::*]`)."""
    Validations.of(scope).acknowledge(Acknowledgment(id=f"{PACK}-{rule}", reason=reason))


def managed_policy(name: str) -> str:
    """The IAM4 finding for an AWS managed policy, e.g. `service-role/AWSLambdaBasicExecutionRole`."""
    return f"IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/{name}]"


def wildcard_resource(scope: IConstruct, resource: str) -> str:
    """The IAM5 finding for a resource (a string that may hold tokens) as cdk-nag spells it."""
    return f"IAM5[Resource::{_flatten(Stack.of(scope).resolve(resource))}]"


def _flatten(node: Any) -> str:
    """cdk-nag's `flattenCfnReference`: intrinsics become `<Logical.Attr>` / `<Ref>` text."""
    if isinstance(node, str):
        return node.replace("${", "<").replace("}", ">")
    if isinstance(node, dict) and "Fn::Join" in node:
        delimiter, items = node["Fn::Join"]
        return str(delimiter).join(_flatten(item) for item in items)
    if isinstance(node, dict) and "Fn::Sub" in node:
        return _flatten(node["Fn::Sub"])
    if isinstance(node, dict) and "Fn::GetAtt" in node:
        resource, attribute = node["Fn::GetAtt"]
        return f"<{_flatten(resource)}.{_flatten(attribute)}>"
    if isinstance(node, dict) and "Fn::ImportValue" in node:
        return _flatten(node["Fn::ImportValue"])
    if isinstance(node, dict) and "Ref" in node:
        return f"<{_flatten(node['Ref'])}>"
    return json.dumps(node, separators=(",", ":"))
