"""Typed routes through the real local REST gateway: a bad query parameter, header or body is a 422
whose one-line `message` names the field (what the console and the CLI show), checked by the
resolver from the route's declared types, not by hand; good input still reaches the handler."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest

from leadflow.client import LeadflowClient
from leadflow.local.runtime import LocalRuntime
from shared.core.cors import CORS

pytestmark = pytest.mark.e2e


def invalid(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code == 422, (response.status_code, response.text)
    body: dict[str, Any] = response.json()
    assert isinstance(body["message"], str) and "\n" not in body["message"]
    assert body["message"] == "; ".join(body["problems"])
    assert all({"loc", "type"} <= set(d) for d in body["detail"])
    return body


BAD_QUERIES = [
    ("/jobs", {"limit": "0"}, "query limit: Input should be greater than or equal to 1"),
    ("/callers", {"limit": "abc"}, "query limit: Input should be a valid integer"),
    ("/leads", {"limit": "101"}, "query limit: Input should be less than or equal to 100"),
    ("/leads/export", {"oldest_first": "maybe"}, "query oldest_first: Input should be a valid boolean"),
    ("/emails", {"status": "Positive Reply"}, "query status: Input should be 'Pending'"),
    ("/emails", {"limit": "500"}, "query limit: Input should be less than or equal to 200"),
    ("/deliveries", {}, "query lead_id: Field required"),
    ("/jobs", {"limt": "5"}, "query limt: not a parameter of this route (this route takes "),
    ("/leads/export", {"oldest": "true"}, "query oldest: not a parameter of this route (this route takes "),
    ("/callers", {"limit": "2", "x": "1"}, "query x: not a parameter of this route (this route takes limit)"),
]


@pytest.mark.parametrize(("path", "params", "message"), BAD_QUERIES, ids=[f"{p} {q}" for p, q, _ in BAD_QUERIES])
def test_a_bad_query_parameter_is_a_422_naming_it(
    client: LeadflowClient, path: str, params: dict[str, str], message: str
) -> None:
    body = invalid(client.http.get(path, params=params))
    assert body["message"].startswith(message), body


BAD_BODIES = [
    ("POST", "/uploads/presign", {"size": -1}, ["body filename: Field required", "body size: Input should be greater"]),
    ("POST", "/tokens", {"role": "emperor"}, ["body role: Input should be 'admin', 'agent' or 'integration'"]),
    ("POST", "/chat", {"question": "   "}, ["body question: String should have at least 1 character"]),
    ("PUT", "/locations/dealer-1/loc-1", {"fone": "+12125550100"}, ["body phone: Field required"]),
    ("POST", "/leads", {"first_name": "A", "dealer_id": "D 1"}, ["body dealer_id: String should match pattern"]),
]


@pytest.mark.parametrize(("method", "path", "json", "starts"), BAD_BODIES, ids=[b[1] for b in BAD_BODIES])
def test_a_bad_body_is_a_422_naming_each_field(
    client: LeadflowClient, method: str, path: str, json: dict[str, Any], starts: list[str]
) -> None:
    body = invalid(client.http.request(method, path, json=json))
    assert len(body["problems"]) >= len(starts)
    for problem, start in zip(body["problems"], starts, strict=False):
        assert problem.startswith(start), body


def test_a_body_that_is_not_json_is_a_422_too(client: LeadflowClient) -> None:
    response = client.http.post("/uploads/presign", content=b"{not json", headers={"Content-Type": "application/json"})
    assert invalid(response)["message"] == "body: not valid JSON"


def test_a_header_is_validated_by_its_declared_name(client: LeadflowClient) -> None:
    response = client.http.post(
        "/leads", json={"first_name": "Key", "email": "key@example.com"}, headers={"Idempotency-Key": "k" * 256}
    )
    assert invalid(response)["message"].startswith("header idempotency-key: String should have at most 255")


def test_good_input_still_reaches_the_handlers(client: LeadflowClient, runtime: LocalRuntime) -> None:
    assert len(client.http.get("/jobs", params={"limit": 1}).json()["jobs"]) <= 1
    # an empty form field means "no filter", as the console sends it
    page = client.http.get("/leads", params={"status": "", "limit": "", "company": "", "oldest_first": "false"})
    assert page.status_code == 200 and "leads" in page.json()
    # the file named by the X-Filename header (a declared header parameter) reaches the upload
    name = f"header-{uuid.uuid4().hex[:8]}.csv"
    upload = client.http.post("/uploads", content=b"Name,Company\nNo Contact,X\n", headers={"X-Filename": name})
    assert upload.status_code == 202 and upload.json()["filename"] == name, upload.text
    presign = client.http.post("/uploads/presign", json={"filename": "big.csv", "size": 10})
    assert presign.status_code == 202 and presign.json()["upload"]["method"] == "POST"
    # neither ?filename= nor the header: one rule across two parameters, still a 400 with the way out
    unnamed = client.http.post("/uploads", content=b"a,b\n1,2\n")
    assert unnamed.status_code == 400 and "filename" in unnamed.json()["message"]
    assert runtime.wait_idle(60)


def test_the_preflight_allows_every_header_the_routes_read(runtime: LocalRuntime) -> None:
    preflight = httpx.options(
        runtime.rest_url + "/uploads",
        headers={
            "Origin": "http://127.0.0.1:1",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization,x-filename",
        },
    )
    assert preflight.status_code in (200, 204)
    allowed = {h.strip().lower() for h in preflight.headers["access-control-allow-headers"].split(",")}
    assert {h.lower() for h in CORS.allow_headers} <= allowed and "x-filename" in allowed
