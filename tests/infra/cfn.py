"""Reading synthesized CloudFormation templates: resources by type, references, REST paths."""

from __future__ import annotations

import json
import re
from typing import Any

Template = dict[str, Any]


def resources(template: Template, resource_type: str) -> dict[str, dict[str, Any]]:
    """The template's resources of one type, by logical id."""
    return {lid: res for lid, res in template["Resources"].items() if res["Type"] == resource_type}


def props(resource: dict[str, Any]) -> dict[str, Any]:
    return dict(resource.get("Properties", {}))


def target(value: Any) -> str | None:
    """The logical id a `Ref` or `Fn::GetAtt` points at, else None."""
    if isinstance(value, dict) and "Ref" in value:
        return str(value["Ref"])
    if isinstance(value, dict) and "Fn::GetAtt" in value:
        return str(value["Fn::GetAtt"][0])
    return None


def referenced(value: Any) -> set[str]:
    """Every logical id or pseudo parameter referenced anywhere inside `value`."""
    found: set[str] = set()
    if isinstance(value, dict):
        ref = target(value)
        if ref is not None:
            found.add(ref)
        for item in value.values():
            found |= referenced(item)
    elif isinstance(value, list):
        for item in value:
            found |= referenced(item)
    return found


def flatten(value: Any) -> str:
    """A string property with intrinsics, as text: `Fn::Join` parts joined, references as `<Id>`."""
    if isinstance(value, str):
        return value
    if isinstance(value, dict) and "Fn::Join" in value:
        delimiter, parts = value["Fn::Join"]
        return str(delimiter).join(flatten(part) for part in parts)
    ref = target(value)
    if ref is not None:
        return f"<{ref}>"
    return json.dumps(value, sort_keys=True)


def rest_path(template: Template, resource_id: Any) -> str:
    """The full path of an API Gateway resource (`/jobs/{job_id}`), walking up its parents."""
    api_resources = resources(template, "AWS::ApiGateway::Resource")
    parts: list[str] = []
    current = target(resource_id)
    while current in api_resources:
        resource = props(api_resources[current])
        parts.append(resource["PathPart"])
        current = target(resource["ParentId"])
    return "/" + "/".join(reversed(parts))


def function_names(template: Template) -> dict[str, str]:
    """Physical function name by logical id (CDK's own, unnamed deployment helpers left out)."""
    return {
        lid: props(res)["FunctionName"]
        for lid, res in resources(template, "AWS::Lambda::Function").items()
        if "FunctionName" in props(res)
    }


def invoked_function(template: Template, uri: Any) -> str:
    """The function name an API Gateway integration or authorizer URI invokes (one per URI)."""
    names = function_names(template)
    targets = {names[lid] for lid in referenced(uri) if lid in names}
    if not targets:
        # a function of another domain's stack, invoked by its name (no exports between stacks)
        text = json.dumps(uri)
        targets = set(re.findall(r":function:([A-Za-z0-9_-]+)", text))
    assert len(targets) == 1, f"expected one function in {uri}, found {targets}"
    return targets.pop()
