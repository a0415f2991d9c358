"""The browser agent console in real headless Chromium (Debian's, driven by Playwright) on the local runtime.

Each test leaves no email Pending and its agent disconnected, because the runtime is shared.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from pathlib import Path

import boto3
import httpx
import pytest
from playwright.sync_api import Browser, Page, Route, ViewportSize, expect

from leadflow.client import LeadflowClient
from leadflow.local.limits import ConnectionLimits
from leadflow.local.runtime import LocalRuntime
from tests.e2e.browser import screenshot
from tests.e2e.conftest import ASSIGNMENT_TIMEOUT_S

pytestmark = pytest.mark.e2e

PHONE: ViewportSize = {"width": 390, "height": 844}


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport=PHONE)
    pg = context.new_page()
    errors: list[str] = []
    pg.on("pageerror", lambda exc: errors.append(str(exc)))
    yield pg
    context.close()
    assert not errors, f"the page raised: {errors}"


def _tag() -> str:
    return uuid.uuid4().hex[:8]


def upload_emails(client: LeadflowClient, tmp_path: Path, rows: list[tuple[str, str, str, str]]) -> None:
    """An email list with Sender, Subject, Body and Received columns, through the REST API."""
    path = tmp_path / f"inbox-{_tag()}.csv"
    path.write_text("\n".join(["Sender,Subject,Body,Received", *(",".join(r) for r in rows)]) + "\n")
    job = client.wait(client.upload(path)["job_id"], timeout_s=60)
    assert job["status"] == "completed", job


def sign_in(page: Page, runtime: LocalRuntime, token: str) -> None:
    page.goto(runtime.console_url)
    page.get_by_label("Your agent token").fill(token)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_text("Connected.")).to_be_visible()


def shot(page: Page, name: str) -> None:
    screenshot(page, f"console-{name}")


def _pending_of(client: LeadflowClient, tag: str) -> list[str]:
    response = client.http.get("/emails", params={"status": "Pending", "limit": 200})
    assert response.status_code == 200, response.text
    return [e["subject"] for e in response.json()["emails"] if tag in e["sender"]]


def test_the_console_serves_its_config_and_refuses_paths_outside_its_folder(runtime: LocalRuntime) -> None:
    config = httpx.get(runtime.console_url + "config.json").json()
    assert config == {"restUrl": runtime.rest_url, "websocketUrl": runtime.websocket_url}
    # and the file the ingestion stack deploys, for the same page
    assert httpx.get(runtime.console_url + "config.rest.json").json() == {"restUrl": runtime.rest_url}
    page = httpx.get(runtime.console_url)
    assert page.status_code == 200 and "text/html" in page.headers["content-type"]
    assert "connect-src 'self' http://127.0.0.1:" in page.headers["content-security-policy"]
    assert httpx.get(runtime.console_url + "agent.js").headers["content-type"].startswith("text/javascript")
    assert httpx.get(runtime.console_url + "..%2Fpyproject.toml").status_code == 404


def test_an_agent_signs_in_goes_online_and_works_off_emails_oldest_first_with_the_buttons(
    runtime: LocalRuntime, client: LeadflowClient, page: Page, tmp_path: Path
) -> None:
    tag = _tag()
    token = runtime.create_token("agent", f"browser-{tag}")
    # Given an agent signed in on a phone-sized screen
    sign_in(page, runtime, token)
    assert page.evaluate("sessionStorage.getItem('leadflow.token')") == token
    expect(page.get_by_role("link", name="Agent")).to_have_attribute("aria-current", "page")
    expect(page.get_by_role("alert")).to_have_count(0)
    # When the agent goes online and two emails arrive
    page.get_by_label("Online").check()
    expect(page.get_by_text("Online: waiting for the next email.")).to_be_visible()
    upload_emails(
        client,
        tmp_path,
        [
            (f"later-{tag}@example.com", "Second question", "Do you ship abroad?", "2004-04-02 10:00"),
            (f"first-{tag}@example.com", "First question", "How much for 10 seats?", "2004-04-01 10:00"),
        ],
    )
    # Then the oldest shows with its lead, a running countdown and enabled buttons
    expect(page.get_by_role("heading", name="First question")).to_be_visible(timeout=30_000)
    expect(page.get_by_text("How much for 10 seats?")).to_be_visible()
    expect(page.locator("#lead")).to_contain_text(f"first-{tag}@example.com")
    expect(page.get_by_role("timer")).to_have_text(re.compile(r"^0:0[0-2]"))
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"], "no sideways scroll on a phone"
    shot(page, "assigned-phone")
    # When the agent picks a disposition, the next email follows at once
    page.get_by_role("button", name="Positive Reply").click()
    expect(page.get_by_role("heading", name="Second question")).to_be_visible()
    # And with the keyboard: focus the button and press Enter
    page.get_by_role("button", name="Not a lead").focus()
    page.keyboard.press("Enter")
    expect(page.get_by_text("No email right now: the next one comes here as soon as it arrives.")).to_be_visible()
    expect(page.get_by_role("button", name="Neutral Reply")).to_be_hidden()
    shot(page, "empty")
    assert _pending_of(client, tag) == []
    page.get_by_label("Offline").check()
    expect(page.get_by_text("Offline: you get no emails.")).to_be_visible()


def test_an_email_left_unanswered_expires_and_the_console_says_the_agent_is_offline(
    runtime: LocalRuntime, client: LeadflowClient, page: Page, tmp_path: Path
) -> None:
    tag = _tag()
    token = runtime.create_token("agent", f"browser-slow-{tag}")
    page.set_viewport_size({"width": 1024, "height": 768})
    sign_in(page, runtime, token)
    page.get_by_label("Online").check()
    upload_emails(client, tmp_path, [(f"wait-{tag}@example.com", "Nobody answers", "hello?", "2005-05-05 05:05")])
    expect(page.get_by_role("heading", name="Nobody answers")).to_be_visible(timeout=30_000)
    # When the agent does nothing for longer than the timeout
    notice = page.get_by_role("alert").filter(has_text="You were set offline.")
    expect(notice).to_be_visible(timeout=(ASSIGNMENT_TIMEOUT_S + 15) * 1000)
    # Then the email is gone from the page, the switch says offline and the notice has the focus
    expect(page.get_by_text(f"you did not act within {ASSIGNMENT_TIMEOUT_S} s")).to_be_visible()
    expect(page.get_by_label("Offline")).to_be_checked()
    expect(page.get_by_role("heading", name="Nobody answers")).to_be_hidden()
    assert page.evaluate("document.activeElement.id") == "notice"
    shot(page, "expired")
    assert _pending_of(client, tag) == ["Nobody answers"]
    # When the agent comes back online, the same email is theirs again; they answer it this time
    page.get_by_role("button", name="Dismiss").click()
    page.get_by_label("Online").check()
    expect(page.get_by_role("heading", name="Nobody answers")).to_be_visible(timeout=15_000)
    page.get_by_role("button", name="Neutral Reply").click()
    expect(page.get_by_text("No email right now")).to_be_visible()
    assert _pending_of(client, tag) == []
    page.get_by_label("Offline").check()
    expect(page.get_by_text("Offline: you get no emails.")).to_be_visible()


def test_a_refused_token_is_told_plainly_and_sign_out_forgets_the_token(runtime: LocalRuntime, page: Page) -> None:
    page.goto(runtime.console_url)
    page.get_by_label("Your agent token").fill("lf_not-a-token")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_text("Could not connect: the token was refused")).to_be_visible()
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_label("Your agent token")).to_be_focused()
    assert page.evaluate("sessionStorage.getItem('leadflow.token')") is None


def _short_client_timers(page: Page, *, heartbeat_ms: int) -> None:
    """The page's config with a heartbeat and reconnect waits that fit the tests' short limits."""

    def fulfill(route: Route) -> None:
        config = route.fetch().json()
        route.fulfill(json={**config, "heartbeatMs": heartbeat_ms, "reconnectBaseMs": 150, "reconnectCapMs": 300})

    page.route("**/config.json", fulfill)


def _watch_connection_line(page: Page) -> None:
    """Keep every text the connection line shows (the live region), however briefly."""
    page.evaluate(
        """() => {
          const line = document.querySelector('#connection');
          window.connectionTexts = [line.textContent];
          new MutationObserver(() => window.connectionTexts.push(line.textContent)).observe(
            line, { childList: true, characterData: true, subtree: true });
        }"""
    )


def test_the_console_says_reconnecting_when_the_connection_drops_and_recovers_online(
    runtime: LocalRuntime, client: LeadflowClient, page: Page, tmp_path: Path
) -> None:
    assert runtime.websocket is not None
    tag = _tag()
    token = runtime.create_token("agent", f"browser-drop-{tag}")
    _short_client_timers(page, heartbeat_ms=240_000)
    before = set(runtime.websocket.connection_ids())
    sign_in(page, runtime, token)
    page.get_by_label("Online").check()
    expect(page.get_by_text("Online: waiting for the next email.")).to_be_visible()
    [connection_id] = set(runtime.websocket.connection_ids()) - before
    _watch_connection_line(page)
    # When the gateway closes the connection (as at API Gateway's idle or lifetime limit)
    api = boto3.client(
        "apigatewaymanagementapi", endpoint_url=runtime.websocket.management_endpoint, region_name="us-east-1"
    )
    api.delete_connection(ConnectionId=connection_id)
    # Then the console says it is reconnecting, in its live region, and comes back
    line = page.get_by_role("status").filter(has_text="Connected again.")
    expect(line).to_be_visible(timeout=10_000)
    texts = page.evaluate("window.connectionTexts")
    assert any(t.startswith("Connection lost. Reconnecting") for t in texts), texts
    assert page.locator("#connection").get_attribute("data-reconnects") == "1"
    assert connection_id not in runtime.websocket.connection_ids()
    # And the agent is still online (back within the grace) and gets the next email
    expect(page.get_by_label("Online")).to_be_checked()
    expect(page.get_by_text("Online: waiting for the next email.")).to_be_visible()
    upload_emails(client, tmp_path, [(f"back-{tag}@example.com", "After the drop", "hello", "2006-06-06 06:06")])
    expect(page.get_by_role("heading", name="After the drop")).to_be_visible(timeout=30_000)
    shot(page, "reconnected")
    page.get_by_role("button", name="Positive Reply").click()
    expect(page.get_by_text("No email right now")).to_be_visible()
    assert _pending_of(client, tag) == []
    page.get_by_label("Offline").check()
    expect(page.get_by_text("Offline: you get no emails.")).to_be_visible()


def test_the_console_heartbeat_keeps_an_idle_agent_connected_past_the_idle_limit(
    runtime: LocalRuntime, client: LeadflowClient, page: Page, tmp_path: Path
) -> None:
    assert runtime.websocket is not None
    tag = _tag()
    token = runtime.create_token("agent", f"browser-idle-{tag}")
    idle_s = 1.2
    _short_client_timers(page, heartbeat_ms=300)
    sign_in(page, runtime, token)
    page.get_by_label("Online").check()
    expect(page.get_by_text("Online: waiting for the next email.")).to_be_visible()
    _watch_connection_line(page)
    closed_before = runtime.websocket.closed_at_limit["idle"]
    runtime.websocket.set_limits(ConnectionLimits(idle_s=idle_s, lifetime_s=3600))
    try:
        # When the agent waits quietly for three idle limits
        page.wait_for_timeout(int(3 * idle_s * 1000) + 500)
        # Then the gateway closed nothing and the console never lost its connection
        assert runtime.websocket.closed_at_limit["idle"] == closed_before
        assert page.evaluate("window.connectionTexts") == ["Connected."]
        upload_emails(client, tmp_path, [(f"quiet-{tag}@example.com", "Quiet wait", "hi", "2006-06-07 06:06")])
        expect(page.get_by_role("heading", name="Quiet wait")).to_be_visible(timeout=30_000)
        page.get_by_role("button", name="Neutral Reply").click()
        expect(page.get_by_text("No email right now")).to_be_visible()
    finally:
        runtime.websocket.set_limits(ConnectionLimits())
    assert page.locator("#connection").get_attribute("data-reconnects") == "0"
    assert _pending_of(client, tag) == []
    page.get_by_label("Offline").check()
    expect(page.get_by_text("Offline: you get no emails.")).to_be_visible()
