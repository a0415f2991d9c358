"""Route scopes: the wiring's table, the REST authorizer's policy per role, IAM's wildcard matching.

The policy is evaluated here with `policy_allows`, the same evaluator the local REST gateway uses;
its wildcard semantics are pinned against AWS's documented examples below. The authorizer itself,
with real tokens, is walked route by route in tests/e2e/test_route_scopes.py.
"""

from __future__ import annotations

import dataclasses
import json

import pytest

from leadflow import wiring
from shared.core import scopes
from shared.core.auth import Role
from shared.core.scopes import arn_matches, policy_allows, rest_policy

STAGE = "arn:aws:execute-api:us-east-1:123456789012:abc123/dev"


def _table() -> dict[str, frozenset[Role]]:
    return {k: frozenset(Role(r) for r in v) for k, v in wiring.route_roles().items()}


def _concrete(path: str) -> str:
    return path.replace("{", "").replace("}", "")  # /jobs/{job_id} → /jobs/job_id: a value, not a template


# ---------------------------------------------------------------- the table in the wiring


def test_every_token_route_names_known_roles_and_public_routes_none() -> None:
    for route, fn in wiring.rest_routes():
        if route.auth == "none":
            assert not route.roles, f"{route.key} ({fn.key}) is public and names roles"
        else:
            assert route.roles, f"{route.key} ({fn.key}) names no roles"
            assert set(route.roles) <= {r.value for r in Role}
    for ws, fn in wiring.websocket_routes():
        assert ws.roles and set(ws.roles) <= {r.value for r in Role}, f"{ws.route_key} ({fn.key})"


def test_wiring_role_names_are_the_token_roles() -> None:
    assert set(wiring.ROLE_NAMES) == {r.value for r in Role}


def test_a_token_route_without_roles_is_a_wiring_error(monkeypatch: pytest.MonkeyPatch) -> None:
    jobs = wiring.function("jobs")
    bare = dataclasses.replace(jobs, triggers=(*jobs.triggers, wiring.Route("GET", "/jobs/{job_id}/rows")))
    monkeypatch.setattr(wiring, "FUNCTIONS", tuple(bare if f.key == "jobs" else f for f in wiring.FUNCTIONS))
    with pytest.raises(ValueError, match=r"GET /jobs/\{job_id\}/rows \(jobs\) names no roles"):
        wiring.route_roles()


def test_every_function_that_checks_roles_gets_the_table() -> None:
    """Without the table a handler's second line refuses everyone: deny by default, but a broken route."""
    checkers = (wiring.RestAuthorizer, wiring.WebSocketAuthorizer, wiring.WebSocketRoute)
    for fn in wiring.FUNCTIONS:
        token_routes = [r for r in fn.routes if r.auth == "token"]
        if token_routes or any(isinstance(t, checkers) for t in fn.triggers):
            assert isinstance(fn.env.get("ROUTE_ROLES"), wiring.RouteRoles), fn.key


def test_the_issue_scopes() -> None:
    """Issue 15: integration submits leads and works its own jobs, agent has its WebSocket, admin all."""
    table = wiring.route_roles()
    integration = {k for k, v in table.items() if "integration" in v}
    assert integration == {
        "POST /leads",
        "POST /uploads",
        "POST /uploads/presign",
        "GET /jobs",
        "GET /jobs/{job_id}",
        "DELETE /jobs/{job_id}",
    }
    agent = {k for k, v in table.items() if "agent" in v}
    assert agent == {k for k, _ in ((ws.route_key, fn) for ws, fn in wiring.websocket_routes())}
    assert all("admin" in v for v in table.values())


def test_the_table_fits_in_the_environment() -> None:
    # Lambda allows 4 KB of environment per function; the table must leave room for the rest
    assert len(wiring.route_roles_json()) < 1500
    assert json.loads(wiring.route_roles_json())["GET /jobs"] == "admin integration"


# ---------------------------------------------------------------- IAM wildcards


@pytest.mark.parametrize(
    ("pattern", "arn", "expected"),
    [
        (f"{STAGE}/GET/jobs", f"{STAGE}/GET/jobs", True),
        (f"{STAGE}/GET/jobs", f"{STAGE}/GET/jobs/j1", False),
        (f"{STAGE}/GET/jobs/*", f"{STAGE}/GET/jobs/j1", True),
        # `*` crosses `/`: a parameter's wildcard covers deeper paths too (hence the explicit Denies)
        (f"{STAGE}/GET/user/*", f"{STAGE}/GET/user/u1/sensitive", True),
        (f"{STAGE}/*/foo/bar/*", f"{STAGE}/POST/foo/bar/x", True),
        (f"{STAGE}/*/foo/bar/*", f"{STAGE}/POST/foo", False),
        (f"{STAGE}/GET/jobs/?", f"{STAGE}/GET/jobs/a", True),
        (f"{STAGE}/GET/jobs/?", f"{STAGE}/GET/jobs/ab", False),
        (f"{STAGE}/GET/Jobs", f"{STAGE}/GET/jobs", False),
        (f"{STAGE}/GET/jobs.x", f"{STAGE}/GET/jobsXx", False),
        (f"{STAGE}/*", f"{STAGE}/DELETE/jobs/j1", True),
    ],
)
def test_arn_matching_follows_iam(pattern: str, arn: str, expected: bool) -> None:
    assert arn_matches(pattern, arn) is expected


# ---------------------------------------------------------------- the authorizer's policy


@pytest.mark.parametrize("role", list(Role))
def test_policy_allows_exactly_the_routes_of_the_role(role: Role) -> None:
    table = _table()
    called = f"{STAGE}/GET/jobs"
    statements = rest_policy(role, called, table)
    for key, roles in table.items():
        if " " not in key:
            continue  # WebSocket routes: the $connect authorizer's business
        method, path = key.split(" ", 1)
        arn = f"{STAGE}/{method}{_concrete(path)}"
        assert policy_allows(statements, arn) is (role in roles), f"{role.value} {key}"
    # nothing outside the table, and nothing of another stage or API
    assert not policy_allows(statements, f"{STAGE}/GET/nothing-here")
    assert not policy_allows(statements, f"{STAGE}/PATCH/jobs/j1")
    assert not policy_allows(statements, "arn:aws:execute-api:us-east-1:123456789012:abc123/prod/GET/jobs")
    assert not any(r.endswith("/dev/*") and s["Effect"] == "Allow" for s in statements for r in s["Resource"])


def test_policy_denies_what_a_parameter_wildcard_would_widen() -> None:
    table = {
        "GET /leads/{lead_id}": frozenset({Role.ADMIN, Role.AGENT}),
        "GET /leads/export": frozenset({Role.ADMIN}),
        "GET /leads/{lead_id}/messages": frozenset({Role.ADMIN}),
    }
    statements = rest_policy(Role.AGENT, f"{STAGE}/GET/leads/l1", table)
    assert policy_allows(statements, f"{STAGE}/GET/leads/l1")
    assert not policy_allows(statements, f"{STAGE}/GET/leads/export")
    assert not policy_allows(statements, f"{STAGE}/GET/leads/l1/messages")


def test_routes_a_policy_cannot_tell_apart_are_refused() -> None:
    # GET/a/* (allowed) covers GET /a/{y}/c, whose Deny GET/a/*/c would also hit the allowed GET /a/b/c
    both = frozenset({Role.ADMIN, Role.AGENT})
    table = {"GET /a/{x}": both, "GET /a/b/c": both, "GET /a/{y}/c": frozenset({Role.ADMIN})}
    with pytest.raises(ValueError, match=r"GET /a/\{y\}/c cannot be denied to agent without denying GET /a/b/c"):
        rest_policy(Role.AGENT, f"{STAGE}/GET/a/b/c", table)


def test_a_role_with_no_routes_is_denied_the_stage() -> None:
    statements = rest_policy(Role.AGENT, f"{STAGE}/GET/jobs", _table())
    assert statements == [{"Action": "execute-api:Invoke", "Effect": "Deny", "Resource": f"{STAGE}/*"}]


def test_a_missing_table_allows_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ROUTE_ROLES", raising=False)
    scopes.route_roles.cache_clear()
    try:
        assert not policy_allows(rest_policy(Role.ADMIN, f"{STAGE}/GET/jobs"), f"{STAGE}/GET/jobs")
    finally:
        scopes.route_roles.cache_clear()
