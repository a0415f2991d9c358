"""The admin side of the browser console in real headless Chromium (Debian's, driven by Playwright)
on the local runtime: upload, jobs, leads, ask, queue and agents, callers; and what an agent token sees.

Screenshots of every view go to test-artifacts/console-admin-*.png (git-ignored). Each test leaves
no email Pending and no agent online, because the runtime is shared.
"""

from __future__ import annotations

import csv
import io
import json
import random
import re
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, BrowserContext, Page, Route, ViewportSize, expect

from leadflow.client import ApiError, LeadflowClient
from leadflow.local.fake_llm import FakeLlm
from leadflow.local.runtime import LocalRuntime
from shared.enrichment.llm import ChatClient
from tests.e2e.browser import screenshot
from tests.e2e.test_phone_e2e import contact_event

pytestmark = pytest.mark.e2e

LAPTOP: ViewportSize = {"width": 1280, "height": 800}
PHONE: ViewportSize = {"width": 390, "height": 844}


class Pages:
    """Browser contexts of one test (each its own sessionStorage), checked for page errors at the end."""

    def __init__(self, browser: Browser) -> None:
        self.browser = browser
        self.contexts: list[BrowserContext] = []
        self.errors: list[str] = []

    def new(self, viewport: ViewportSize = LAPTOP) -> Page:
        context = self.browser.new_context(viewport=viewport, accept_downloads=True)
        self.contexts.append(context)
        page = context.new_page()
        page.on("pageerror", lambda exc: self.errors.append(str(exc)))
        return page


@pytest.fixture
def pages(browser: Browser) -> Iterator[Pages]:
    made = Pages(browser)
    yield made
    for context in made.contexts:
        context.close()
    assert not made.errors, f"the page raised: {made.errors}"


@pytest.fixture
def page(pages: Pages) -> Page:
    return pages.new()


def multi_sheet_workbook(path: Path) -> None:
    """Two worksheets of leads new to the session (the bundled sample is the ingestion tests' own:
    uploaded here first, its leads would be duplicates there), with a bad row in each."""
    from openpyxl import Workbook

    tag = path.stem
    wb = Workbook()
    for sheet_index, name in enumerate(("Trade show", "Webinar")):
        ws = wb.active if sheet_index == 0 else wb.create_sheet()
        ws.title = name
        ws.append(["First Name", "Last Name", "Email", "Company"])
        for i in range(2, 14):
            if i == 10:  # row 10: no way to reach this person
                ws.append([f"Nobody{i}", "Reach", "", f"Expo {tag}"])
            else:
                ws.append(
                    [
                        f"Ann{sheet_index}{i:02d}",
                        f"Lee {tag}",
                        f"ann{sheet_index}{i:02d}-{tag}@example.com",
                        f"Expo {tag}",
                    ]
                )
    wb.save(path)


def _tag() -> str:
    return uuid.uuid4().hex[:8]


def shot(page: Page, name: str) -> None:
    screenshot(page, f"console-admin-{name}")


def sign_in(page: Page, runtime: LocalRuntime, token: str, view: str = "") -> None:
    page.goto(runtime.console_url + (f"#{view}" if view else ""))
    page.get_by_label("Your agent token").fill(token)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_text("Checking your token…")).to_be_hidden()


def nav(page: Page) -> list[str]:
    return page.get_by_role("navigation", name="Console views").get_by_role("link").all_inner_texts()


def no_sideways_scroll(page: Page) -> None:
    width = page.viewport_size["width"] if page.viewport_size else 0
    assert page.evaluate("document.documentElement.scrollWidth") <= width, "no sideways scroll"


def count_of(page: Page, name: str) -> str:
    return page.locator(f'#job-counts [data-count="{name}"]').inner_text()


# ---------------------------------------------------------------------------- the API the page needs


def test_jobs_are_listed_newest_first_for_admins_and_answers_carry_cors_headers(
    runtime: LocalRuntime, client: LeadflowClient, tmp_path: Path
) -> None:
    tag = _tag()
    ids = []
    for n in (1, 2):
        path = tmp_path / f"list-{tag}-{n}.csv"
        path.write_text(f"Email\nlist{n}-{tag}@example.com\n")
        ids.append(client.upload(path)["job_id"])
    listed = client.http.get("/jobs", params={"limit": 50}).json()["jobs"]
    mine = [j for j in listed if j["job_id"] in ids]
    assert [j["filename"] for j in mine] == [f"list-{tag}-2.csv", f"list-{tag}-1.csv"]
    assert all("rejections" in j and "sk" not in j and "ref" not in j for j in listed)
    created = [j["created_at"] for j in listed]
    assert created == sorted(created, reverse=True)
    assert len(client.http.get("/jobs", params={"limit": 1}).json()["jobs"]) == 1
    invalid = client.http.get("/jobs", params={"limit": 0})
    assert invalid.status_code == 422 and invalid.json()["message"].startswith("query limit:")
    agent = LeadflowClient(runtime.rest_url, runtime.create_token("agent", f"no-jobs-{tag}"))
    try:
        assert agent.http.get("/jobs").status_code == 403
    finally:
        agent.close()
    # a browser on another origin may read the answers (and is told so before it sends the token)
    origin = "http://127.0.0.1:1"
    answer = client.http.get("/jobs", params={"limit": 1}, headers={"Origin": origin})
    assert answer.headers["access-control-allow-origin"] in (origin, "*")
    assert "X-Lead-Count" in answer.headers.get("access-control-expose-headers", "")
    preflight = httpx.options(
        runtime.rest_url + "/jobs",
        headers={
            "Origin": origin,
            "Access-Control-Request-Method": "GET",
            "Access-Control-Request-Headers": "authorization",
        },
    )
    assert preflight.status_code in (200, 204) and preflight.headers["access-control-allow-origin"] == "*"
    # the console may post a presigned form to the local S3, and nowhere else
    csp = httpx.get(runtime.console_url).headers["content-security-policy"]
    assert runtime.moto.url in csp


# ---------------------------------------------------------------------------- upload and jobs


def test_an_admin_uploads_a_multi_sheet_workbook_straight_to_s3_and_watches_it_complete(
    runtime: LocalRuntime, client: LeadflowClient, admin_token: str, page: Page, tmp_path: Path
) -> None:
    # the workbook is 8 KB: a lower direct-upload limit in config.json sends it through the presigned POST
    def small_limit(route: Route) -> None:
        response = route.fetch()
        route.fulfill(response=response, json={**response.json(), "directUploadMaxBytes": 1024})

    page.route("**/config.json", small_limit)
    workbook = tmp_path / f"expo-{_tag()}.xlsx"
    multi_sheet_workbook(workbook)
    s3_posts: list[str] = []
    page.on("request", lambda r: s3_posts.append(r.url) if r.url.startswith(runtime.moto.url) else None)
    sign_in(page, runtime, admin_token)
    # Given an admin: every view is in the nav and the upload view comes first
    assert nav(page) == ["Upload", "Jobs", "Leads", "Ask", "Queue", "Callers", "Agent"]
    expect(page.get_by_role("heading", name="Upload leads")).to_be_visible()
    shot(page, "upload-empty")
    # When the workbook is chosen (the same input a drop fills)
    page.get_by_label("Choose a CSV or workbook").set_input_files(workbook)
    # Then it goes straight to S3 and the job runs to completion with live counts
    expect(page.locator("#job-status")).to_have_text(re.compile(r"Completed\.$"), timeout=60_000)
    assert len(s3_posts) == 1, s3_posts
    assert page.locator("section[data-path]").get_attribute("data-path") == "presigned"
    [job] = [j for j in client.http.get("/jobs", params={"limit": 10}).json()["jobs"] if j["filename"] == workbook.name]
    job = client.job(job["job_id"])
    assert job["status"] == "completed" and job["leads_stored"] + job["leads_duplicate"] > 0
    assert count_of(page, "rows") == str(job["rows_total"])
    assert count_of(page, "stored") == str(job["leads_stored"])
    assert count_of(page, "rejected") == str(job["rows_rejected"])
    assert count_of(page, "duplicates") == str(job["leads_duplicate"])
    assert count_of(page, "batches") == f"{job['batches_done']} of {job['batches_total']}"
    # the rejected rows, by worksheet and row
    rows = page.get_by_role("region", name=re.compile("^Rejected rows")).locator("tbody tr")
    shown = [(c[0], int(c[1])) for c in (rows.nth(i).locator("td").all_inner_texts() for i in range(rows.count()))]
    expected = sorted((r["worksheet"] or "(the file)", r["row"]) for r in job["rejections"])
    assert shown == expected and ("Trade show", 10) in shown, shown
    expect(page.get_by_role("button", name="Cancel this upload")).to_be_disabled()
    shot(page, "upload-completed")
    # And the jobs view lists it with its status
    page.get_by_role("link", name="Jobs").click()
    row = page.get_by_role("row").filter(has_text=workbook.name)
    expect(row).to_contain_text("completed")
    expect(row.get_by_role("link", name=f"Show the leads of {workbook.name}")).to_be_visible()
    shot(page, "jobs")
    # whose leads are one link away
    row.get_by_role("link").click()
    expect(page.get_by_label("Job id")).to_have_value(job["job_id"])
    page.get_by_label("Per page").select_option("100")
    page.get_by_role("button", name="Apply filters").click()
    # (a lead seen in an earlier upload of the same sample keeps that job: the API says how many are this job's)
    n = len(client.leads(job_id=job["job_id"], limit=100)["leads"])
    summary = f"Page 1: {n} lead{'' if n == 1 else 's'}, newest first." if n else "No lead matches these filters."
    expect(page.locator("#leads-summary")).to_have_text(summary)


def test_a_small_csv_dropped_in_goes_in_the_body_and_an_upload_can_be_cancelled(
    runtime: LocalRuntime, client: LeadflowClient, admin_token: str, page: Page, tmp_path: Path
) -> None:
    tag = _tag()
    path = tmp_path / f"many-{tag}.csv"
    # rows without email or phone: rejected, so that no lead (and no notice about one) outlives the test
    path.write_text("Name,Company\n" + "".join(f"Person {i},Cancel {tag}\n" for i in range(1000)))
    sign_in(page, runtime, admin_token, "upload")
    # dropped on the drop zone, as from a file manager
    dropped = page.evaluate_handle(
        "([name, text]) => { const d = new DataTransfer(); d.items.add(new File([text], name)); return d; }",
        [path.name, path.read_text()],
    )
    page.dispatch_event("#dropzone", "drop", {"dataTransfer": dropped})
    cancel = page.get_by_role("button", name="Cancel this upload")
    expect(cancel).to_be_enabled(timeout=15_000)
    assert page.locator("section[data-path]").get_attribute("data-path") == "direct"
    # the keyboard: focus the button and press Enter
    cancel.focus()
    page.keyboard.press("Enter")
    expect(page.locator("#job-status")).to_have_text(re.compile(r"Cancelled\.$"))
    expect(cancel).to_be_disabled()
    [job] = [j for j in client.http.get("/jobs", params={"limit": 10}).json()["jobs"] if j["filename"] == path.name]
    assert job["status"] == "cancelled"
    shot(page, "upload-cancelled")
    assert runtime.wait_idle(120)


# ---------------------------------------------------------------------------- leads


def test_an_admin_filters_pages_opens_and_exports_leads(
    runtime: LocalRuntime, client: LeadflowClient, admin_token: str, pages: Pages, tmp_path: Path
) -> None:
    tag = _tag()
    company = f"Filterco {tag}"
    path = tmp_path / f"filter-{tag}.csv"
    people = [(f"Ann{i:02d}", f"Lee{tag}", f"ann{i:02d}-{tag}@example.com") for i in range(30)]
    path.write_text(
        "First Name,Last Name,Email,Company,Notes\n"
        + "".join(f"{f},{last},{e},{company},note {i}\n" for i, (f, last, e) in enumerate(people))
        + f"Other,Person,other-{tag}@example.com,Elsewhere {tag},x\n"
    )
    job = client.wait(client.upload(path)["job_id"], timeout_s=60)
    assert job["status"] == "completed" and job["leads_stored"] == 31, job
    page = pages.new()
    sign_in(page, runtime, admin_token, "leads")
    # When the admin filters by company prefix with the keyboard (Enter submits)
    page.get_by_label("Company starts with").fill(company.lower())
    page.get_by_label("Company starts with").press("Enter")
    # Then the first page has 25 of the 30, and the cursor leads to the other 5
    summary = page.locator("#leads-summary")
    expect(summary).to_have_text("Page 1: 25 leads, newest first; more on the next page.")
    listed = page.get_by_role("region", name="Leads, page 1").locator("tbody tr")
    expect(listed).to_have_count(25)
    assert all(company in t for t in listed.all_inner_texts())
    shot(page, "leads")
    page.get_by_role("button", name="Next page").click()
    expect(summary).to_have_text("Page 2: 5 leads, newest first.")
    expect(page.get_by_role("button", name="Next page")).to_be_disabled()
    page2 = page.get_by_role("region", name="Leads, page 2").locator("tbody tr")
    seen = {t.split("\t")[0] for t in page2.all_inner_texts()}
    page.get_by_role("button", name="Previous page").click()
    expect(summary).to_contain_text("Page 1: 25 leads")
    seen |= {t.split("\t")[0] for t in listed.all_inner_texts()}
    assert len(seen) == 30
    # And one lead's detail: its fields, sources and the columns that are not lead fields
    email = listed.nth(3).locator("td").nth(1).inner_text()
    [stored] = client.leads(email=email)["leads"]
    name = f"{stored['first_name']} {stored['last_name']}"  # as the rules cased it
    listed.nth(3).get_by_role("button", name=f"Details of {name}").click()
    detail = page.locator("#lead-detail")
    expect(page.get_by_role("heading", name=f"Lead: {name}")).to_be_focused()
    expect(detail).to_contain_text(email)
    expect(detail.locator("#lead-sources")).to_contain_text(f"upload:{job['job_id']}")
    expect(detail).to_contain_text(f"note {int(email[3:5])}")
    expect(detail).to_contain_text("No SMS messages for this lead.")
    shot(page, "lead-detail")
    page.get_by_role("button", name="Back to the list").click()
    expect(page.get_by_role("button", name=f"Details of {name}")).to_be_focused()
    # And the export has the same filters: the 30, not the other company's lead
    with page.expect_download() as download:
        page.get_by_role("button", name="Export CSV").click()
    data = Path(download.value.path()).read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")
    exported = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))
    assert sorted(r["email"] for r in exported) == sorted(e for _, _, e in people)
    assert download.value.suggested_filename == "leads.csv"
    expect(page.locator("#export-note")).to_have_text("30 leads exported to leads.csv.")
    # On a phone the same view needs no sideways scrolling
    phone = pages.new(PHONE)
    sign_in(phone, runtime, admin_token, "leads")
    phone.get_by_label("Company starts with").fill(company)
    phone.get_by_role("button", name="Apply filters").click()
    expect(phone.locator("#leads-summary")).to_contain_text("Page 1: 25 leads")
    no_sideways_scroll(phone)
    shot(phone, "leads-phone")


# ---------------------------------------------------------------------------- ask


def test_ask_says_plainly_when_no_llm_is_configured_and_shows_the_query_when_one_is(
    runtime: LocalRuntime, client: LeadflowClient, admin_token: str, page: Page, monkeypatch: pytest.MonkeyPatch
) -> None:
    sign_in(page, runtime, admin_token, "ask")
    question = page.get_by_label("Your question about the leads")
    question.fill("qualified leads from the website")
    page.get_by_role("button", name="Ask").click()
    notice = page.get_by_role("alert").filter(has_text="No LLM is configured for this stage.")
    expect(notice).to_be_visible()
    with pytest.raises(ApiError) as refused:
        client.ask("qualified leads from the website")
    assert refused.value.status == 503 and refused.value.message in notice.inner_text()
    shot(page, "ask-no-llm")
    # With a provider (the local OpenAI-compatible fake) the same API answers with the query it ran
    import shared.enrichment.chat

    with FakeLlm() as fake:
        chat_client = ChatClient(fake.url, "fake-llm-key", "fake-model", timeout_s=5, max_attempts=2, backoff_s=0.01)
        monkeypatch.setattr(shared.enrichment.chat, "provider", lambda: chat_client)
        question.fill("leads from upload")
        question.press("Tab")
        page.keyboard.press("Enter")
        expect(page.get_by_role("heading", name=re.compile(r"^Answer: \d+ leads?$"))).to_be_visible()
        query = json.loads(page.locator("#answer-query").inner_text())
        assert {"field": "source", "op": "eq", "value": "upload"} in query["filters"]
        expected = client.http.post("/chat", json={"question": "leads from upload"}).json()
    assert query == expected["query"]
    heading = page.get_by_role("heading", name=re.compile("^Answer: "))
    assert heading.inner_text() == f"Answer: {expected['count']} lead{'' if expected['count'] == 1 else 's'}"
    if expected["count"]:
        expect(page.locator("#answer tbody tr")).to_have_count(expected["count"])
        expect(page.locator("#answer tbody tr").first).to_contain_text("upload")
    shot(page, "ask-answer")


# ---------------------------------------------------------------------------- queue, agents, callers


def upload_emails(client: LeadflowClient, tmp_path: Path, rows: list[tuple[str, str, str, str]]) -> None:
    path = tmp_path / f"inbox-{_tag()}.csv"
    path.write_text("\n".join(["Sender,Subject,Body,Received", *(",".join(r) for r in rows)]) + "\n")
    job = client.wait(client.upload(path)["job_id"], timeout_s=60)
    assert job["status"] == "completed", job


def pending_of(client: LeadflowClient, tag: str) -> list[dict[str, Any]]:
    response = client.http.get("/emails", params={"status": "Pending", "limit": 200})
    assert response.status_code == 200, response.text
    return [e for e in response.json()["emails"] if tag in e["sender"]]


def test_the_admin_sees_the_queue_change_while_an_agent_receives_and_dispositions_an_email(
    runtime: LocalRuntime, client: LeadflowClient, admin_token: str, pages: Pages, tmp_path: Path
) -> None:
    tag = _tag()
    user = f"queue-agent-{tag}"
    admin = pages.new()
    sign_in(admin, runtime, admin_token, "queue")
    agent = pages.new(PHONE)
    sign_in(agent, runtime, runtime.create_token("agent", user))
    expect(agent.get_by_text("Connected.")).to_be_visible()
    # Given an email waiting while the agent is away
    agent.get_by_label("Away").check()
    expect(agent.get_by_text("Away: you get no emails.")).to_be_visible()
    subject = f"Pricing question {tag}"
    email = (f"buyer-{tag}@example.com", subject, "How much for 5 seats?", "2001-01-01 09:00")
    upload_emails(client, tmp_path, [email])
    queue = admin.get_by_role("region", name="Pending emails, oldest first")
    queue_row = queue.get_by_role("row").filter(has_text=subject)
    expect(queue_row).to_contain_text("waiting", timeout=15_000)
    expect(queue_row).to_contain_text(re.compile(r"\d+ d \d+ h"))  # its age
    agent_row = admin.locator("#agents-list").get_by_role("row").filter(has_text=user)
    expect(agent_row).to_contain_text("away")
    shot(admin, "queue-waiting")
    # When the agent goes online, the email is theirs and the admin sees who holds it
    agent.get_by_label("Online").check()
    expect(agent.get_by_role("heading", name=subject)).to_be_visible(timeout=30_000)
    expect(queue_row).to_contain_text(user)
    expect(agent_row).to_contain_text("busy")
    expect(agent_row).to_contain_text(subject)
    shot(admin, "queue-assigned")
    # When the agent answers it, it leaves the queue
    agent.get_by_role("button", name="Positive Reply").click()
    expect(agent.get_by_text("No email right now: the next one comes here as soon as it arrives.")).to_be_visible()
    expect(queue_row).to_have_count(0)
    expect(agent_row).to_contain_text("online")
    expect(agent_row).not_to_contain_text(subject)
    assert pending_of(client, tag) == []
    shot(admin, "queue-done")
    agent.get_by_label("Offline").check()
    expect(agent_row).to_contain_text("offline")


def test_recent_callers_and_a_phone_leads_vanity_numbers(
    runtime: LocalRuntime, client: LeadflowClient, admin_token: str, pages: Pages
) -> None:
    number = f"+1415555{random.randrange(10_000):04d}"
    answer = runtime.invokers["connect-vanity"](contact_event(number))
    assert answer["status"] == "ok"
    vanity = [answer[f"vanity{i}"] for i in range(1, 6)]
    page = pages.new(PHONE)
    sign_in(page, runtime, admin_token, "callers")
    newest = page.locator(".caller").first
    expect(newest).to_contain_text(number)
    offered = newest.get_by_role("list", name=f"Vanity numbers for {number}").get_by_role("listitem")
    assert offered.all_inner_texts() == vanity
    no_sideways_scroll(page)
    shot(page, "callers-phone")
    # the caller became a lead; its detail shows the same vanity numbers
    deadline = time.monotonic() + 30
    while not any(lead["phone"] == number for lead in client.leads(source="phone", limit=10)["leads"]):
        assert time.monotonic() < deadline, "the caller did not become a lead"
        time.sleep(0.3)
    page.set_viewport_size(LAPTOP)
    page.get_by_role("link", name="Leads").click()
    page.get_by_label("Source").select_option("phone")
    page.get_by_role("button", name="Apply filters").click()
    page.get_by_role("button", name=f"Details of {number}").first.click()
    expect(page.locator("#lead-vanity li")).to_have_text(vanity)
    shot(page, "lead-phone-detail")


# ---------------------------------------------------------------------------- roles


def test_a_token_without_the_admin_role_sees_no_admin_view(runtime: LocalRuntime, page: Page) -> None:
    token = runtime.create_token("agent", f"no-admin-{_tag()}")
    admin_headings = (
        "Upload leads",
        "Recent jobs",
        "Leads",
        "Ask about the leads",
        "Queue and agents",
        "Recent callers",
    )
    for view in ("upload", "jobs", "leads", "ask", "queue", "callers"):
        sign_in(page, runtime, token, view)
        # the nav names the agent view only and the hash of an admin view shows the agent view
        assert nav(page) == ["Agent"]
        expect(page.get_by_role("heading", name="Current email")).to_be_visible()
        expect(page.get_by_text("Connected.")).to_be_visible()
        for heading in admin_headings:
            expect(page.get_by_role("heading", name=heading, exact=True)).to_have_count(0)
        page.get_by_role("button", name="Sign out").click()
    sign_in(page, runtime, token, "queue")
    page.evaluate("window.location.hash = '#leads'")
    expect(page.get_by_role("heading", name="Current email")).to_be_visible()
    assert nav(page) == ["Agent"]
    shot(page, "agent-token-no-admin")


# ---------------------------------------------------------------------------- configuration as deployed


def test_as_deployed_the_rest_url_comes_from_config_rest_json_and_its_absence_is_quiet(
    runtime: LocalRuntime, admin_token: str, pages: Pages
) -> None:
    # config.json as the assignment stack writes it (no REST URL); config.rest.json as the ingestion
    # stack writes it (the local console serves it with the runtime's REST URL)
    def without_rest_url(route: Route) -> None:
        response = route.fetch()
        route.fulfill(response=response, json={**response.json(), "restUrl": None})

    def fetched(page: Page) -> list[str]:
        urls: list[str] = []
        page.on("request", lambda r: urls.append(r.url) if r.url.endswith("/config.rest.json") else None)
        return urls

    # Given config.json with both URLs (locally): config.rest.json is not even asked for
    local = pages.new()
    asked = fetched(local)
    sign_in(local, runtime, admin_token)
    assert nav(local) == ["Upload", "Jobs", "Leads", "Ask", "Queue", "Callers", "Agent"] and asked == []
    # Given a deployed console: the REST URL comes from config.rest.json, so the admin views are there
    deployed = pages.new()
    deployed.route("**/config.json", without_rest_url)
    asked = fetched(deployed)
    sign_in(deployed, runtime, admin_token, "jobs")
    assert nav(deployed) == ["Upload", "Jobs", "Leads", "Ask", "Queue", "Callers", "Agent"]
    expect(deployed.get_by_role("heading", name="Recent jobs", exact=True)).to_be_visible()
    assert len(asked) == 1
    # Given the ingestion stack not deployed yet (S3 through CloudFront answers 403 for a missing key):
    # no error, only the agent view, which needs the WebSocket alone
    early = pages.new()
    early.route("**/config.json", without_rest_url)
    early.route("**/config.rest.json", lambda route: route.fulfill(status=403, body="AccessDenied"))
    sign_in(early, runtime, admin_token, "jobs")
    assert nav(early) == ["Agent"]
    expect(early.get_by_role("heading", name="Current email")).to_be_visible()
    expect(early.get_by_text("Connected.")).to_be_visible()
    early.get_by_role("button", name="Sign out").click()
