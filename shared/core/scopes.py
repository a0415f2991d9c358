"""Route scopes: which roles may call which route, read from the one table the wiring renders.

`leadflow.wiring` declares the roles of every REST route ("GET /jobs/{job_id}") and WebSocket route
("$connect", "setStatus") and passes the table to each function as the `ROUTE_ROLES` environment
variable (compact JSON, roles space-separated), because a Lambda package has `shared/` but not
`leadflow/`. The REST authorizer turns it into the policy API Gateway enforces; the handlers check
the same table again as a second line, so the two cannot drift.

Deny by default: a route missing from the table, or a missing table, allows no role.
"""

from __future__ import annotations

import json
import os
import re
from functools import cache
from typing import Any

from shared.core.auth import Role

ENV = "ROUTE_ROLES"


@cache
def route_roles() -> dict[str, frozenset[Role]]:
    """The table, read once per cold start. Unknown role names fail loudly: a typo must not widen."""
    raw = json.loads(os.environ.get(ENV) or "{}")
    return {str(key): frozenset(Role(r) for r in str(roles).split()) for key, roles in raw.items()}


def may_call(role: Role, route_key: str, table: dict[str, frozenset[Role]] | None = None) -> bool:
    return role in (route_roles() if table is None else table).get(route_key, frozenset())


def rest_key(method: str, resource: str) -> str:
    """A REST route's key: its method and resource template, as API Gateway names the resource."""
    return f"{method.upper()} {resource}"


# ---------------------------------------------------------------- the authorizer's policy


def resource_arn(stage_arn: str, method: str, path: str) -> str:
    """The execute-api ARN of a route: `{api}/{stage}/{METHOD}/{path}`, each path parameter a `*`.

    `*` matches any characters, `/` included (IAM wildcards know no segments), so `GET/jobs/*`
    also covers `GET/jobs/a/b`; `rest_policy` adds explicit Denies where that would widen a role."""
    pattern = re.sub(r"\{[^}/]+\}", "*", path)
    return f"{stage_arn}/{method.upper()}/{pattern.lstrip('/')}"


def _sample_arn(stage_arn: str, method: str, path: str) -> str:
    """One concrete request ARN of a route (every path parameter "x")."""
    concrete = re.sub(r"\{[^}/]+\}", "x", path)
    return f"{stage_arn}/{method.upper()}/{concrete.lstrip('/')}"


def arn_matches(pattern: str, arn: str) -> bool:
    """IAM's resource matching: `*` any run of characters, `?` exactly one, everything else literal
    and case-sensitive (no character classes, no segment boundaries)."""
    regex = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.fullmatch(regex, arn, flags=re.DOTALL) is not None


def stage_arn_of(method_arn: str) -> str:
    """`arn:aws:execute-api:region:account:api/stage/GET/jobs` → `arn:aws:execute-api:region:account:api/stage`."""
    api, _, rest = method_arn.partition("/")
    return f"{api}/{rest.split('/', 1)[0]}"


def rest_policy(role: Role, method_arn: str, table: dict[str, frozenset[Role]] | None = None) -> list[dict[str, Any]]:
    """The statements of a token's policy: an Allow for every REST route its role may call, whatever
    route was called, since API Gateway caches the policy per token for every route of the API.

    A parameterized route's `*` may also match another route the role may not call (`GET/leads/*`
    covers `GET/leads/export`): such a route gets an explicit Deny, which wins over any Allow. A role
    that may call nothing gets a Deny of the whole stage (an empty policy is not a valid answer)."""
    table = route_roles() if table is None else table
    stage = stage_arn_of(method_arn)
    routes = [key.split(" ", 1) for key in table if " " in key]  # WebSocket route keys have no method
    allowed = [(m, p) for m, p in routes if role in table[f"{m} {p}"]]
    refused = [(m, p) for m, p in routes if role not in table[f"{m} {p}"]]
    allow = [resource_arn(stage, m, p) for m, p in allowed]
    deny = []
    for m, p in refused:
        if not any(arn_matches(a, _sample_arn(stage, m, p)) for a in allow):
            continue
        pattern = resource_arn(stage, m, p)
        clash = [f"{am} {ap}" for am, ap in allowed if arn_matches(pattern, _sample_arn(stage, am, ap))]
        if clash:
            # neither an Allow nor a Deny can tell these two apart: the routes need other paths
            raise ValueError(f"{m} {p} cannot be denied to {role.value} without denying {', '.join(clash)}")
        deny.append(pattern)
    if not allow:
        return [{"Action": "execute-api:Invoke", "Effect": "Deny", "Resource": f"{stage}/*"}]
    statements = [{"Action": "execute-api:Invoke", "Effect": "Allow", "Resource": sorted(allow)}]
    if deny:
        statements.append({"Action": "execute-api:Invoke", "Effect": "Deny", "Resource": sorted(deny)})
    return statements


def policy_allows(statements: list[dict[str, Any]], method_arn: str) -> bool:
    """How API Gateway evaluates an authorizer's policy: an explicit Deny wins, else an Allow is needed."""
    allowed = False
    for statement in statements:
        resources = statement.get("Resource", [])
        resources = [resources] if isinstance(resources, str) else resources
        if any(arn_matches(str(r), method_arn) for r in resources):
            if statement.get("Effect") == "Deny":
                return False
            allowed = statement.get("Effect") == "Allow" or allowed
    return allowed
