"""Web-form leads through the local runtime: the webhook, idempotency, the open-lead rules (one test
each), SMS conversations with Twilio's signature, and durable forwarding to the marketing sink."""

from __future__ import annotations

import itertools
import time
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from leadflow.cli import main
from leadflow.client import LeadflowClient
from leadflow.local.forms import LocalForms
from leadflow.local.runtime import LocalRuntime
from leadflow.local.twilio_sink import simulate_inbound

pytestmark = pytest.mark.e2e

_customers = itertools.count(100)
_locations = itertools.count(100)


def customer_phone() -> str:
    return f"+1415555{next(_customers):04d}"


def location_phone() -> str:
    return f"+1212555{next(_locations):04d}"


@pytest.fixture(scope="module")
def forms(runtime: LocalRuntime) -> LocalForms:
    assert runtime.forms is not None
    return runtime.forms


@pytest.fixture(scope="module")
def api(runtime: LocalRuntime, client: LeadflowClient) -> Iterator[httpx.Client]:
    """An integration's client, as a web form's backend holds one."""
    token = client.create_token("integration", "web-forms")["token"]
    with httpx.Client(base_url=runtime.rest_url, headers={"Authorization": f"Bearer {token}"}, timeout=30) as c:
        yield c


@pytest.fixture(scope="module")
def admin(client: LeadflowClient) -> httpx.Client:
    """An operator's client: location numbers, threads and closing leads are admin-only (issue 15)."""
    return client.http


def location(admin: httpx.Client, phone: str | None = None) -> tuple[str, str, str]:
    """A new dealer location with its phone on file: (dealer id, location id, phone)."""
    dealer, loc, phone = f"D-{uuid.uuid4().hex[:8]}", "L1", phone or location_phone()
    assert admin.put(f"/locations/{dealer}/{loc}", json={"phone": phone}).status_code == 200
    return dealer, loc, phone


def submission(phone: str, dealer: str, loc: str, **extra: Any) -> dict[str, Any]:
    return {
        "first_name": "Ana",
        "last_name": "Lima",
        "email": f"ana.{uuid.uuid4().hex[:6]}@example.org",
        "phone": phone,
        "dealer_id": dealer,
        "location_id": loc,
        "form_id": "test-drive",
        "page_url": "https://dealer.example.com/test-drive",
        "message": "Is the blue one still there?",
        **extra,
    }


def thread(admin: httpx.Client, lead_id: str) -> dict[str, Any]:
    response = admin.get(f"/leads/{lead_id}/messages")
    assert response.status_code == 200, response.text
    form_leads: list[dict[str, Any]] = response.json()["form_leads"]
    assert len(form_leads) == 1
    return form_leads[0]


def settled(admin: httpx.Client, form_lead_id: str, timeout_s: float = 20.0) -> dict[str, Any]:
    """The form lead once every forward step is final (and it is marked forwarded, off the in-flight list)."""
    deadline = time.monotonic() + timeout_s
    while True:
        lead = thread(admin, form_lead_id)
        if all(s["state"] in ("done", "skipped", "failed") for s in lead["steps"].values()) and lead["forwarded_at"]:
            return lead
        assert time.monotonic() < deadline, f"forward steps still running: {lead['steps']}"
        time.sleep(0.2)


# ---------------------------------------------------------------- the webhook


@pytest.mark.stock_moto
def test_a_form_lead_is_answered_202_with_the_id_it_is_stored_under(
    admin: httpx.Client, api: httpx.Client, forms: LocalForms
) -> None:
    dealer, loc, dealer_phone = location(admin)
    customer = customer_phone()
    response = api.post("/leads", json=submission(customer, dealer, loc))
    assert response.status_code == 202, response.text
    body = response.json()
    lead = settled(admin, body["form_lead_id"])
    assert {name: s["state"] for name, s in lead["steps"].items()} == {
        "store": "done",
        "marketing": "done",
        "sms_customer": "done",
        "sms_dealer": "done",
    }
    deadline = time.monotonic() + 15
    while (stored := admin.get(f"/leads/{body['lead_id']}")).status_code == 404 and time.monotonic() < deadline:
        time.sleep(0.2)
    assert stored.status_code == 200 and stored.json()["source"] == "form" and stored.json()["phone"] == customer
    # both parties were texted from the conversation's pool number
    assert [m.from_ for m in forms.twilio.sent_to(customer)] == [body["pool_number"]]  # type: ignore[union-attr]
    assert [m.from_ for m in forms.twilio.sent_to(dealer_phone)] == [body["pool_number"]]  # type: ignore[union-attr]


def test_an_invalid_submission_is_refused_with_the_reasons(api: httpx.Client) -> None:
    response = api.post("/leads", json={"first_name": "No Contact", "dealer_id": "D 1"})
    assert response.status_code == 422
    assert any("dealer_id" in p for p in response.json()["problems"]) and "dealer_id" in response.json()["message"]
    assert api.post("/leads", json={"first_name": "No Contact"}).status_code == 400


def test_a_redelivered_webhook_returns_the_first_answer_and_creates_nothing(
    admin: httpx.Client, api: httpx.Client, forms: LocalForms
) -> None:
    dealer, loc, _ = location(admin)
    form = submission(customer_phone(), dealer, loc)
    key = {"Idempotency-Key": uuid.uuid4().hex}
    first = api.post("/leads", json=form, headers=key)
    again = api.post("/leads", json=form, headers=key)
    assert first.status_code == again.status_code == 202
    assert again.json() == first.json()
    settled(admin, first.json()["form_lead_id"])
    # one form lead for the person, one delivery to the marketing platform
    person = admin.get(f"/leads/{first.json()['lead_id']}/messages").json()["form_leads"]
    assert [f["form_lead_id"] for f in person] == [first.json()["form_lead_id"]]
    assert len(forms.marketing.deliveries_for(first.json()["form_lead_id"])) == 1  # type: ignore[union-attr]
    # the same key with another body is a client bug, not a retry
    other = api.post("/leads", json={**form, "message": "changed"}, headers=key)
    assert other.status_code == 422


# ---------------------------------------------------------------- the open-lead rules


def test_same_phone_dealer_and_location_is_409_with_the_open_lead_unless_replaced(
    admin: httpx.Client, api: httpx.Client
) -> None:
    dealer, loc, _ = location(admin)
    customer = customer_phone()
    first = api.post("/leads", json=submission(customer, dealer, loc)).json()

    refused = api.post("/leads", json=submission(customer, dealer, loc))
    assert refused.status_code == 409
    assert refused.json()["open_lead_id"] == first["form_lead_id"]

    replaced = api.post("/leads", params={"replace": "true"}, json=submission(customer, dealer, loc))
    assert replaced.status_code == 202, replaced.text
    new = replaced.json()
    assert new["form_lead_id"] != first["form_lead_id"] and new["replaced"] == first["form_lead_id"]
    old = thread(admin, first["form_lead_id"])
    assert old["status"] == "closed" and old["replaced_by"] == new["form_lead_id"]
    assert thread(admin, new["form_lead_id"])["status"] == "open"
    # the new lead is the open one now
    assert api.post("/leads", json=submission(customer, dealer, loc)).json()["open_lead_id"] == new["form_lead_id"]


def test_a_closed_lead_frees_its_phone_dealer_and_location(
    admin: httpx.Client, api: httpx.Client, client: LeadflowClient
) -> None:
    dealer, loc, _ = location(admin)
    customer = customer_phone()
    first = api.post("/leads", json=submission(customer, dealer, loc)).json()
    closed = admin.post(f"/leads/{first['form_lead_id']}/close")
    assert closed.status_code == 200 and closed.json()["status"] == "closed"
    assert admin.post(f"/leads/{first['form_lead_id']}/close").status_code == 409
    second = api.post("/leads", json=submission(customer, dealer, loc))
    assert second.status_code == 202 and second.json()["form_lead_id"] != first["form_lead_id"]
    # the conversation goes on for the new lead (same two parties)
    assert second.json()["conversation_id"] == first["conversation_id"]
    open_ids = {c["conversation_id"]: c["leads"] for c in client.http.get("/admin/inflight").json()["conversations"]}
    assert open_ids[first["conversation_id"]] == [second.json()["form_lead_id"]]


def test_same_phone_and_dealer_at_another_location_is_two_leads_and_two_conversations(
    admin: httpx.Client, api: httpx.Client
) -> None:
    dealer, first_location, _ = location(admin)
    assert admin.put(f"/locations/{dealer}/L2", json={"phone": location_phone()}).status_code == 200
    customer = customer_phone()
    one = api.post("/leads", json=submission(customer, dealer, first_location))
    two = api.post("/leads", json=submission(customer, dealer, "L2"))
    assert one.status_code == two.status_code == 202
    assert one.json()["form_lead_id"] != two.json()["form_lead_id"]
    assert one.json()["conversation_id"] != two.json()["conversation_id"]
    # the customer talks to each location on its own pool number, so replies find their conversation
    assert one.json()["pool_number"] != two.json()["pool_number"]


def test_two_locations_sharing_a_phone_share_one_conversation(admin: httpx.Client, api: httpx.Client) -> None:
    shared = location_phone()
    dealer, _, _ = location(admin, shared)
    assert admin.put(f"/locations/{dealer}/L2", json={"phone": shared}).status_code == 200
    customer = customer_phone()
    one = api.post("/leads", json=submission(customer, dealer, "L1")).json()
    two = api.post("/leads", json=submission(customer, dealer, "L2")).json()
    assert one["form_lead_id"] != two["form_lead_id"]
    assert one["conversation_id"] == two["conversation_id"]
    inflight = api.get("/admin/inflight")
    assert inflight.status_code == 403  # an integration token is not an admin's


def test_a_location_changing_its_phone_keeps_open_leads_on_the_old_number(
    admin: httpx.Client, api: httpx.Client, runtime: LocalRuntime, forms: LocalForms
) -> None:
    old_phone, new_phone = location_phone(), location_phone()
    dealer, loc, _ = location(admin, old_phone)
    early_customer, late_customer = customer_phone(), customer_phone()
    early = api.post("/leads", json=submission(early_customer, dealer, loc)).json()
    settled(admin, early["form_lead_id"])

    assert admin.put(f"/locations/{dealer}/{loc}", json={"phone": new_phone}).status_code == 200
    late = api.post("/leads", json=submission(late_customer, dealer, loc)).json()
    settled(admin, late["form_lead_id"])

    assert thread(admin, early["form_lead_id"])["location_phone"] == old_phone
    assert thread(admin, late["form_lead_id"])["location_phone"] == new_phone
    # the early customer's reply still goes to the old number
    reply = simulate_inbound(
        f"{runtime.rest_url}/twilio/sms", forms.auth_token, from_=early_customer, to=early["pool_number"], text="Hi!"
    )
    assert reply.status_code == 200
    relayed = [m for m in thread(admin, early["form_lead_id"])["messages"] if m["body"].endswith(": Hi!")]
    assert [m["to"] for m in relayed] == [old_phone]


# ---------------------------------------------------------------- SMS conversations


@pytest.mark.stock_moto
def test_inbound_sms_is_signature_checked_relayed_and_tracked(
    admin: httpx.Client, api: httpx.Client, runtime: LocalRuntime, forms: LocalForms
) -> None:
    dealer, loc, dealer_phone = location(admin)
    customer = customer_phone()
    lead = api.post("/leads", json=submission(customer, dealer, loc)).json()
    settled(admin, lead["form_lead_id"])
    url, pool = f"{runtime.rest_url}/twilio/sms", lead["pool_number"]

    tampered = simulate_inbound(url, forms.auth_token, from_=customer, to=pool, text="Price?", tamper=True)
    assert tampered.status_code == 403
    wrong_key = simulate_inbound(url, "not-the-token", from_=customer, to=pool, text="Price?")
    assert wrong_key.status_code == 403

    sid = "SM" + uuid.uuid4().hex
    ok = simulate_inbound(url, forms.auth_token, from_=customer, to=pool, text="Price?", sid=sid)
    assert ok.status_code == 200 and "<Response>" in ok.text
    again = simulate_inbound(url, forms.auth_token, from_=customer, to=pool, text="Price?", sid=sid)  # Twilio retries
    assert again.status_code == 200
    answer = simulate_inbound(url, forms.auth_token, from_=dealer_phone, to=pool, text="25k")
    assert answer.status_code == 200

    tracked = thread(admin, lead["form_lead_id"])
    bodies = [(m["direction"], m["to"], m["body"]) for m in tracked["messages"]]
    assert ("inbound", pool, "Price?") in bodies
    assert bodies.count(("outbound", dealer_phone, "Ana Lima: Price?")) == 1  # relayed once despite the retry
    assert ("outbound", customer, "25k") in bodies
    assert tracked["last_message"] == "25k" and tracked["last_message_from"] == "dealer"


def test_the_cli_sends_a_signed_inbound_sms(
    admin: httpx.Client, api: httpx.Client, runtime: LocalRuntime, forms: LocalForms, capsys: pytest.CaptureFixture[str]
) -> None:
    dealer, loc, dealer_phone = location(admin)
    customer = customer_phone()
    lead = api.post("/leads", json=submission(customer, dealer, loc)).json()
    code = main(
        ["sms", "simulate", "--from", customer, "--to", lead["pool_number"], "Hello from the CLI",
         "--api", runtime.rest_url, "--auth-token", forms.auth_token]
    )  # fmt: skip
    assert code == 0, capsys.readouterr()
    assert any(m.body.endswith("Hello from the CLI") for m in forms.twilio.sent_to(dealer_phone))  # type: ignore[union-attr]


# ---------------------------------------------------------------- durable forwarding


def test_marketing_failures_end_with_exactly_one_delivery(
    admin: httpx.Client, api: httpx.Client, forms: LocalForms
) -> None:
    assert forms.marketing is not None
    dealer, loc, _ = location(admin)
    form = submission(customer_phone(), dealer, loc)
    # a refusal, then a lost answer (the lead was taken but the reply was a 500): the retry must not duplicate
    forms.marketing.fail(times=1, status=503, match=form["email"])
    forms.marketing.fail(times=1, status=500, after_accept=True, match=form["email"])
    lead = api.post("/leads", json=form).json()
    done = settled(admin, lead["form_lead_id"])
    marketing = done["steps"]["marketing"]
    assert marketing["state"] == "done" and marketing["attempts"] == 3, marketing
    deliveries = forms.marketing.deliveries_for(lead["form_lead_id"])
    assert len(deliveries) == 1 and deliveries[0].key == f"form-{lead['form_lead_id']}-marketing"


def test_admin_sees_forwards_in_flight_until_they_finish(
    admin: httpx.Client, api: httpx.Client, client: LeadflowClient, forms: LocalForms, runtime: LocalRuntime,
    capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    assert forms.marketing is not None
    dealer, loc, _ = location(admin)
    form = submission(customer_phone(), dealer, loc)
    forms.marketing.fail(times=3, status=502, match=form["email"])
    lead = api.post("/leads", json=form).json()

    deadline = time.monotonic() + 15
    while True:
        inflight = client.http.get("/admin/inflight").json()
        mine = [f for f in inflight["forwards"] if f["form_lead_id"] == lead["form_lead_id"]]
        if mine and mine[0]["steps"]["marketing"]["state"] == "retrying":
            break
        assert time.monotonic() < deadline, inflight
        time.sleep(0.1)
    assert "502" in mine[0]["steps"]["marketing"]["error"]
    assert any(c["conversation_id"] == lead["conversation_id"] for c in inflight["conversations"])
    assert main(["inflight", "--api", runtime.rest_url, "--token", client.http.headers["Authorization"][7:]]) == 0
    assert lead["form_lead_id"] in capsys.readouterr().out

    done = settled(admin, lead["form_lead_id"], timeout_s=30)
    assert done["steps"]["marketing"]["attempts"] == 4 and done["forwarded_at"]
    after = client.http.get("/admin/inflight").json()["forwards"]
    assert lead["form_lead_id"] not in [f["form_lead_id"] for f in after]
    assert len(forms.marketing.deliveries_for(lead["form_lead_id"])) == 1
