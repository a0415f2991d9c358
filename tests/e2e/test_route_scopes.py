"""Every REST route by every role through the local REST gateway, with real tokens and the real authorizer.

The expected answer comes from the wiring's scope table. A role the table names must get past the
gateway (any 2xx or 4xx but 401/403 counts: a probe with no valid body may well get 422 or 404); any
other role must get API Gateway's own 403 from the authorizer's policy, before a handler runs. So a
handler that disagrees with the table fails here (it refuses an allowed role), and so does an
authorizer that allows the whole stage (the refusal would then come from the handler, not the gateway).
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import httpx
import pytest

from leadflow import wiring
from leadflow.local.runtime import LocalRuntime
from shared.core.auth import Role

#: API Gateway's answer when the authorizer's policy does not allow the method ARN
GATEWAY_DENIED = {"message": "User is not authorized to access this resource"}

TOKEN_ROUTES = [(r, fn) for r, fn in wiring.rest_routes() if r.auth == "token"]


def _probe_path(path: str) -> str:
    return re.sub(r"\{(\w+)\}", lambda m: f"scope-probe-{m.group(1)}", path)


@pytest.fixture(scope="module")
def tokens(runtime: LocalRuntime) -> dict[Role, str]:
    return {role: runtime.create_token(role.value, f"scopes-{role.value}") for role in Role}


@pytest.fixture(scope="module")
def http(runtime: LocalRuntime) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=runtime.rest_url, timeout=30) as c:
        yield c


def test_every_route_the_gateway_serves_is_in_the_table(runtime: LocalRuntime) -> None:
    table = wiring.route_roles()
    served = {(r.method, r.path) for r in runtime.gateway.routes if r.auth == "token"}
    missing = sorted(f"{m} {p}" for m, p in served if f"{m} {p}" not in table)
    assert not missing, f"routes served without scopes: {missing}"
    assert served == {(r.method, r.path) for r, _ in TOKEN_ROUTES}


@pytest.mark.parametrize("role", list(Role), ids=lambda r: r.value)
@pytest.mark.parametrize(("route", "fn"), TOKEN_ROUTES, ids=lambda x: getattr(x, "key", ""))
def test_route_scope(
    route: wiring.Route, fn: wiring.Function, role: Role, tokens: dict[Role, str], http: httpx.Client
) -> None:
    roles = wiring.route_roles().get(route.key)
    assert roles, f"{route.key} ({fn.key}) is not in the scope table"
    body = {} if route.method in ("POST", "PUT", "PATCH") else None
    answer = http.request(
        route.method, _probe_path(route.path), json=body, headers={"Authorization": f"Bearer {tokens[role]}"}
    )
    if role.value in roles:
        assert answer.status_code not in (401, 403), (route.key, role.value, answer.text)
        assert answer.status_code < 500, (route.key, role.value, answer.text)
    else:
        assert answer.status_code == 403, (route.key, role.value, answer.status_code, answer.text)
        assert answer.json() == GATEWAY_DENIED, (route.key, role.value, "refused by the handler, not the policy")


def test_an_unknown_or_missing_token_gets_401(http: httpx.Client) -> None:
    assert http.get("/jobs").status_code == 401
    answer = http.get("/jobs", headers={"Authorization": "Bearer lf_not-a-token"})
    assert answer.status_code == 401 and answer.json() == {"message": "Unauthorized"}


def test_integrations_see_and_cancel_only_their_own_jobs(runtime: LocalRuntime, http: httpx.Client) -> None:
    owner = {"Authorization": f"Bearer {runtime.create_token('integration', 'scopes-owner')}"}
    other = {"Authorization": f"Bearer {runtime.create_token('integration', 'scopes-other')}"}
    admin = {"Authorization": f"Bearer {runtime.create_token('admin', 'scopes-admin')}"}
    created = http.post("/uploads/presign", json={"filename": "leads.csv"}, headers=owner)
    assert created.status_code == 202, created.text
    job_id = created.json()["job_id"]

    assert [j["job_id"] for j in http.get("/jobs", headers=owner).json()["jobs"]] == [job_id]
    assert job_id not in {j["job_id"] for j in http.get("/jobs", headers=other).json()["jobs"]}
    assert job_id in {j["job_id"] for j in http.get("/jobs", params={"limit": 50}, headers=admin).json()["jobs"]}

    for method in ("GET", "DELETE"):
        refused = http.request(method, f"/jobs/{job_id}", headers=other)
        assert refused.status_code == 404 and refused.json() == {"message": f"job {job_id} not found"}
    assert http.get(f"/jobs/{job_id}", headers=owner).json()["status"] == "uploading"
    cancelled = http.delete(f"/jobs/{job_id}", headers=owner)
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
