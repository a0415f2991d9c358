"""The OpenAPI document: fresh (the committed file is what the routes make today), one method for
each route the wiring declares and none other, with the security and the refusals the API answers;
and the one CORS declaration that the resolver, the stacks and the local gateway read."""

from __future__ import annotations

import json
from typing import Any

import pytest

from leadflow import openapi, wiring
from leadflow.local.rest import CORS_HEADERS
from shared.core.api import CORS_CONFIG, validation_problems
from shared.core.cors import CORS

METHODS = {"get", "put", "post", "delete", "patch", "head", "options"}


@pytest.fixture(scope="module")
def doc() -> dict[str, Any]:
    return openapi.build()


def operations(doc: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    return {
        (method.upper(), path): op
        for path, item in doc["paths"].items()
        for method, op in item.items()
        if method in METHODS
    }


def test_the_committed_document_is_what_the_routes_make_today(doc: dict[str, Any]) -> None:
    committed = openapi.DOC_PATH.read_text() if openapi.DOC_PATH.exists() else ""
    assert committed == openapi.render(doc), "docs/openapi.json is stale: run `make openapi`"


def test_the_check_command_says_stale_for_a_changed_file(tmp_path: Any) -> None:
    out = tmp_path / "openapi.json"
    assert openapi.main(["--out", str(out)]) == 0
    assert openapi.main(["--out", str(out), "--check"]) == 0
    out.write_text(out.read_text().replace('"/jobs"', '"/jobz"'))
    assert openapi.main(["--out", str(out), "--check"]) == 1


def test_every_declared_route_is_documented_and_nothing_else(doc: dict[str, Any]) -> None:
    declared = {(r.method, r.path) for r, _ in wiring.rest_routes()}
    documented = set(operations(doc))
    assert documented - declared == set(), "documented but not routed by API Gateway"
    assert declared - documented == set(), "routed but missing from the document"


def test_each_operation_names_the_function_that_serves_it(doc: dict[str, Any]) -> None:
    served_by = {(r.method, r.path): fn.key for r, fn in wiring.rest_routes()}
    assert {key: op["x-leadflow-function"] for key, op in operations(doc).items()} == served_by


def test_a_token_is_needed_everywhere_but_on_public_routes(doc: dict[str, Any]) -> None:
    assert doc["info"]["title"] == openapi.TITLE and doc["info"]["version"] == openapi.api_version()
    scheme = doc["components"]["securitySchemes"][openapi.SECURITY_SCHEME]
    assert scheme == {**scheme, "type": "http", "scheme": "bearer"}
    assert doc["security"] == [{openapi.SECURITY_SCHEME: []}]
    public = {(r.method, r.path) for r, _ in wiring.rest_routes() if r.auth == "none"}
    assert public, "the wiring has a public route (Twilio's webhook)"
    for key, op in operations(doc).items():
        assert (op.get("security") == []) == (key in public), key


def test_paths_are_as_api_gateway_serves_them_under_the_stage(doc: dict[str, Any]) -> None:
    assert all(path.startswith("/") and "<" not in path for path in doc["paths"])
    assert all(server["url"].endswith("/{stage}") for server in doc["servers"])


def test_typed_parameters_and_bodies_are_in_the_document(doc: dict[str, Any]) -> None:
    ops = operations(doc)
    jobs_limit = next(p for p in ops[("GET", "/jobs")]["parameters"] if p["name"] == "limit")
    assert jobs_limit["in"] == "query" and jobs_limit["schema"]["minimum"] == 1
    leads_params = {p["name"] for p in ops[("GET", "/leads")]["parameters"] if p["in"] == "query"}
    assert {"status", "company", "created_from", "limit", "cursor"} <= leads_params
    presign = ops[("POST", "/uploads/presign")]["requestBody"]["content"]["application/json"]["schema"]
    assert presign == {"$ref": "#/components/schemas/PresignRequest"}
    assert doc["components"]["schemas"]["PresignRequest"]["required"] == ["filename"]
    assert "application/octet-stream" in ops[("POST", "/uploads")]["requestBody"]["content"]


def test_the_422_documented_is_the_body_the_api_answers(doc: dict[str, Any]) -> None:
    schemas = doc["components"]["schemas"]
    assert "HTTPValidationError" not in schemas
    assert set(schemas["InvalidRequest"]["required"]) == {"message", "problems", "detail"}
    for key, op in operations(doc).items():
        if "422" in op["responses"]:
            ref = op["responses"]["422"]["content"]["application/json"]["schema"]["$ref"]
            assert ref == "#/components/schemas/InvalidRequest", key


def test_the_document_is_plain_json_with_sorted_paths(doc: dict[str, Any]) -> None:
    text = openapi.render(doc)
    assert json.loads(text) == doc
    assert list(doc["paths"]) == sorted(doc["paths"])


def test_a_validation_error_reads_as_one_sentence_per_field() -> None:
    errors = [
        {"loc": ("query", "limit"), "type": "less_than_equal", "msg": "Input should be less than or equal to 100"},
        {"loc": ("query", "filters", "limit"), "type": "greater_than_equal", "msg": "Input should be >= 1"},
        {"loc": ("body", "filename"), "type": "missing", "msg": "Field required"},
        {"loc": ("body", 12), "type": "json_invalid", "msg": "JSON decode error"},
        {"loc": ("body",), "type": "missing", "msg": "Field required"},
    ]
    assert validation_problems(errors) == [
        "query limit: Input should be less than or equal to 100",
        "query limit: Input should be >= 1",
        "body filename: Field required",
        "body: not valid JSON",
        "body: Field required",
    ]


def test_cors_is_declared_once_and_read_by_the_resolver_and_the_local_gateway() -> None:
    answered = CORS_CONFIG.to_dict("http://127.0.0.1:1")  # what a function's answer carries
    assert CORS_CONFIG.allowed_origin("http://127.0.0.1:1") == CORS.allow_origin
    assert set(CORS.allow_headers) <= set(answered["Access-Control-Allow-Headers"].split(","))
    assert answered["Access-Control-Expose-Headers"].split(",") == list(CORS.expose_headers)
    assert CORS_HEADERS["Access-Control-Allow-Headers"].split(",") == list(CORS.allow_headers)
    assert "X-Filename" in CORS.allow_headers  # the uploads route reads it: a browser may send it


def test_every_operation_documents_the_429_of_its_own_throttle(doc: dict[str, Any]) -> None:
    throttles = {(r.method, r.path): r.throttle for r, _ in wiring.rest_routes()}
    assert any(t is not None for t in throttles.values()), "some route has its own limit (Twilio's webhook)"
    for key, op in operations(doc).items():
        description = op["responses"]["429"]["description"]
        throttle = throttles[key]
        if throttle is None:
            assert "the stage's limit" in description, key
        else:
            assert f"{throttle.rate:g} requests a second with bursts of {throttle.burst}" in description, key
