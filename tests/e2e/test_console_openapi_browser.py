"""The browser console's Leads and Upload calls, as Chromium sends them, checked against
docs/openapi.json: each method and path is documented, and every query parameter, custom header
and JSON body field the page sends is one the document declares for it.

The calls are recorded from the page itself (every filter filled, a next page, the export, a
direct and a presigned upload), so a new filter or field in `web/` that the API does not declare
fails here rather than being silently ignored by the resolver.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest
from playwright.sync_api import Browser, Page, Request, Route, expect

from leadflow import openapi
from leadflow.client import LeadflowClient
from leadflow.local.runtime import LocalRuntime
from shared.core.cors import CORS

pytestmark = pytest.mark.e2e

#: the headers the page itself may set on a cross-origin call (the CORS declaration's), less the
#: token (the security scheme) and the body's media type: each must be a declared header parameter
PAGE_HEADERS = {h.lower() for h in CORS.allow_headers} - {"authorization", "content-type"}


@dataclass(frozen=True)
class Call:
    method: str
    path: str
    query: tuple[str, ...]
    headers: tuple[str, ...]
    body: Any


@pytest.fixture(scope="module")
def doc() -> dict[str, Any]:
    return dict(json.loads(openapi.DOC_PATH.read_text()))


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    errors: list[str] = []
    p = context.new_page()
    p.on("pageerror", lambda exc: errors.append(str(exc)))
    yield p
    context.close()
    assert not errors, errors


def record(page: Page, runtime: LocalRuntime) -> list[Call]:
    calls: list[Call] = []
    base = urlsplit(runtime.rest_url)

    def seen(request: Request) -> None:
        url = urlsplit(request.url)
        if url.netloc != base.netloc or request.method == "OPTIONS":
            return
        body = None
        if "application/json" in (request.headers.get("content-type") or ""):
            body = request.post_data_json
        calls.append(
            Call(
                method=request.method,
                path=url.path.removeprefix(base.path),
                query=tuple(name for name, _ in parse_qsl(url.query, keep_blank_values=True)),
                headers=tuple(h.lower() for h in request.headers if h.lower() in PAGE_HEADERS),
                body=body,
            )
        )

    page.on("request", seen)
    return calls


def operation(doc: dict[str, Any], call: Call) -> dict[str, Any]:
    """The documented operation a call reaches (templates such as /jobs/{job_id} match any segment)."""
    for template, item in doc["paths"].items():
        if re.fullmatch(re.sub(r"\{[^/]+\}", "[^/]+", template), call.path) and call.method.lower() in item:
            return dict(item[call.method.lower()])
    raise AssertionError(f"{call.method} {call.path} is not in docs/openapi.json")


def body_fields(doc: dict[str, Any], op: dict[str, Any]) -> set[str]:
    schema = op["requestBody"]["content"]["application/json"]["schema"]
    if "$ref" in schema:
        schema = doc["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    return set(schema.get("properties", {}))


def undeclared(doc: dict[str, Any], calls: list[Call]) -> list[str]:
    problems = []
    for call in calls:
        op = operation(doc, call)
        declared = {(p["in"], p["name"].lower()) for p in op.get("parameters", [])}
        where = f"{call.method} {call.path}"
        problems += [f"{where}: query {q}" for q in call.query if ("query", q.lower()) not in declared]
        problems += [f"{where}: header {h}" for h in call.headers if ("header", h) not in declared]
        if isinstance(call.body, dict):
            extra = set(call.body) - body_fields(doc, op)
            problems += [f"{call.method} {call.path}: body {f}" for f in sorted(extra)]
    return problems


def sign_in(page: Page, runtime: LocalRuntime, token: str, view: str) -> None:
    page.goto(f"{runtime.console_url}#{view}")
    page.get_by_label("Your agent token").fill(token)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_text("Checking your token…")).to_be_hidden()


def test_the_leads_views_calls_use_only_documented_parameters(
    runtime: LocalRuntime, client: LeadflowClient, admin_token: str, page: Page, doc: dict[str, Any], tmp_path: Path
) -> None:
    tag = uuid.uuid4().hex[:8]
    company = f"Specco {tag}"
    path = tmp_path / f"spec-{tag}.csv"
    path.write_text("Email,Company\n" + "".join(f"spec{i:02d}-{tag}@example.com,{company}\n" for i in range(30)))
    assert client.wait(client.upload(path)["job_id"], timeout_s=60)["status"] == "completed"
    calls = record(page, runtime)
    sign_in(page, runtime, admin_token, "leads")
    summary = page.locator("#leads-summary")
    # every filter the form has, at once
    form = page.locator("#lead-filters")
    for select in form.locator("select").all():
        select.select_option(index=1)
    values = {"date": "2020-01-02", "email": "nobody@example.com"}  # valid for the input, so the form submits
    for field in form.locator("input").all():
        field.fill(values.get(field.get_attribute("type") or "", "x"))
    page.get_by_role("button", name="Apply filters").click()
    expect(summary).to_have_text("No lead matches these filters.")
    page.get_by_role("button", name="Export CSV").click()
    expect(page.locator("#export-note")).not_to_be_empty()
    # then one filter with two pages: the cursor of the next page
    page.get_by_role("button", name="Clear").click()
    page.get_by_label("Company starts with").fill(company)
    page.get_by_role("button", name="Apply filters").click()
    expect(summary).to_contain_text("more on the next page")
    page.get_by_role("button", name="Next page").click()
    expect(summary).to_have_text("Page 2: 5 leads, newest first.")

    leads = [c for c in calls if c.path == "/leads" and c.method == "GET"]
    sent = {q for c in leads for q in c.query}
    assert {"status", "source", "email", "name", "company", "country", "job_id", "created_from", "created_to"} <= sent
    assert {"limit", "cursor"} <= sent and any(c.path == "/leads/export" for c in calls)
    assert undeclared(doc, calls) == []


def test_the_upload_views_calls_use_only_documented_parameters(
    runtime: LocalRuntime, admin_token: str, page: Page, doc: dict[str, Any], tmp_path: Path
) -> None:
    tag = uuid.uuid4().hex[:8]

    # a low direct-upload limit in config.json: the small file goes in the body, the other presigned
    def low_limit(route: Route) -> None:
        response = route.fetch()
        route.fulfill(response=response, json={**response.json(), "directUploadMaxBytes": 64})

    page.route("**/config.json", low_limit)
    calls = record(page, runtime)
    sign_in(page, runtime, admin_token, "upload")
    small = tmp_path / f"direct-{tag}.csv"
    big = tmp_path / f"presigned-{tag}.csv"
    # no email or phone: every row is rejected and nothing is stored
    small.write_text("Name,Company\nNo Contact,Direct\n")
    big.write_text("Name,Company\n" + "".join(f"No Contact {i},Presigned\n" for i in range(10)))
    for path, way in ((small, "direct"), (big, "presigned")):
        page.get_by_label("Choose a CSV or workbook").set_input_files(path)
        expect(page.locator("#job-status")).to_have_text(
            re.compile(rf"^{re.escape(path.name)}.*(Completed|Failed)\.$"), timeout=60_000
        )
        assert page.locator("section[data-path]").get_attribute("data-path") == way

    posted = {(c.method, c.path) for c in calls}
    assert {("POST", "/uploads"), ("POST", "/uploads/presign")} <= posted, posted
    [presign] = [c for c in calls if c.path == "/uploads/presign"]
    assert isinstance(presign.body, dict) and presign.body["filename"] == big.name
    assert undeclared(doc, calls) == []
    assert runtime.wait_idle(60)
