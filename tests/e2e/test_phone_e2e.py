"""Phone leads on the local runtime: the Connect function on contact-flow events, GET /callers, the CLI."""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

import pytest

from leadflow.cli import main
from leadflow.client import ApiError, LeadflowClient
from leadflow.local.runtime import LocalRuntime
from shared.phone.vanity.keypad import spell_back


def contact_event(number: str | None, contact_id: str | None = None) -> dict[str, Any]:
    """The shape Amazon Connect sends to a Lambda in a contact flow."""
    endpoint = {"Address": number, "Type": "TELEPHONE_NUMBER"} if number is not None else None
    return {
        "Name": "ContactFlowEvent",
        "Details": {
            "ContactData": {
                "Attributes": {},
                "Channel": "VOICE",
                "ContactId": contact_id or str(uuid.uuid4()),
                "CustomerEndpoint": endpoint,
                "InitialContactId": "x",
                "InitiationMethod": "INBOUND",
                "InstanceARN": "arn:aws:connect:us-east-1:123456789012:instance/abc",
                "SystemEndpoint": {"Address": "+18005550100", "Type": "TELEPHONE_NUMBER"},
            },
            "Parameters": {},
        },
    }


def call(runtime: LocalRuntime, number: str | None, contact_id: str | None = None) -> dict[str, Any]:
    answer: dict[str, Any] = runtime.invokers["connect-vanity"](contact_event(number, contact_id))
    return answer


def calls_stored(runtime: LocalRuntime) -> int:
    return int(runtime.aws("dynamodb").scan(TableName=runtime.resources.tables["calls"], Select="COUNT")["Count"])


@pytest.mark.stock_moto
def test_a_caller_gets_five_vanity_numbers_as_a_flat_map_and_becomes_a_lead(runtime: LocalRuntime) -> None:
    answer = call(runtime, "+1 (800) 468-5865")
    # Connect rejects nested values: every value is a string
    assert all(isinstance(v, str) for v in answer.values())
    assert answer["status"] == "ok" and answer["caller"] == "+18004685865" and answer["count"] == "5"
    vanity = [answer[f"vanity{i}"] for i in range(1, 6)]
    assert len(set(vanity)) == 5 and "1-800-GOT-JUNK" in vanity
    assert all(spell_back(v) == "18004685865" for v in vanity)
    assert {"speech1", "speech2", "speech3"} <= answer.keys() and "speech4" not in answer
    assert runtime.wait_idle(30)
    from shared.core.dynamo import from_attr
    from shared.enrichment.enricher import lead_id_for

    lead_id = lead_id_for("+18004685865")  # the dedupe key of a lead known only by phone
    item = runtime.aws("dynamodb").get_item(
        TableName=runtime.resources.tables["leads"], Key={"lead_id": {"S": lead_id}}
    )
    lead = from_attr(item["Item"])
    assert lead["phone"] == "+18004685865" and lead["source"] == "phone"


def answer_contact(runtime: LocalRuntime, caller: str) -> str:
    from shared.core.dynamo import from_attr

    items = runtime.aws("dynamodb").scan(TableName=runtime.resources.tables["calls"])["Items"]
    return next(from_attr(i)["contact_id"] for i in items if from_attr(i)["caller"] == caller)


def test_the_same_contact_twice_is_stored_once(runtime: LocalRuntime) -> None:
    contact = str(uuid.uuid4())
    before = calls_stored(runtime)
    first = call(runtime, "+12125550123", contact)
    again = call(runtime, "+12125550123", contact)
    assert calls_stored(runtime) == before + 1
    assert {k: v for k, v in first.items() if k != "reused"} == {k: v for k, v in again.items() if k != "reused"}
    assert again["reused"] == "true"


def test_a_caller_seen_within_the_window_gets_the_stored_result(
    runtime: LocalRuntime, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = call(runtime, "+13125550188")
    assert first["reused"] == "false"
    import shared.phone.calls

    def must_not_compute(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("recomputed for a caller seen within the window")

    monkeypatch.setattr(shared.phone.calls, "vanity_numbers", must_not_compute)
    second = call(runtime, "+1 312 555 0188")
    assert second["reused"] == "true" and second["vanity1"] == first["vanity1"]


@pytest.mark.parametrize("number", [None, "", "anonymous", "+1", "not a number"])
def test_withheld_or_malformed_numbers_get_a_graceful_answer(runtime: LocalRuntime, number: str | None) -> None:
    answer = call(runtime, number)
    assert answer["status"] == "no_number" and answer["count"] == "0"
    assert all(isinstance(v, str) for v in answer.values()) and answer["message"]


def test_recent_callers_newest_first_through_the_api_and_the_cli(
    runtime: LocalRuntime, client: LeadflowClient, admin_token: str, capsys: pytest.CaptureFixture[str]
) -> None:
    numbers = ["+14155550101", "+14155550102", "+14155550103"]
    for number in numbers:
        call(runtime, number)
        time.sleep(0.01)
    callers = client.callers(limit=2)
    assert [c["caller"] for c in callers] == ["+14155550103", "+14155550102"]
    assert all(len(c["vanity"]) == 5 for c in callers)
    # recent callers are people's phone numbers: admins only (issue 15), agents and integrations are refused
    for role in ("agent", "integration"):
        other = LeadflowClient(runtime.rest_url, client.create_token(role, f"cal-{role}")["token"])
        with pytest.raises(ApiError) as denied:
            other.callers()
        assert denied.value.status == 403
    with pytest.raises(ApiError) as bad:
        client.callers(limit=0)
    assert bad.value.status == 422 and "query limit" in bad.value.message
    assert main(["callers", "--limit", "1", "--json", "--api", runtime.rest_url, "--token", admin_token]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed[0]["caller"] == "+14155550103"


def test_recent_callers_is_a_query_never_a_scan(runtime: LocalRuntime, client: LeadflowClient) -> None:
    import shared.core.aws

    seen: list[str] = []

    def hook(model: Any, **_: Any) -> None:
        seen.append(model.name)

    events = shared.core.aws.client("dynamodb").meta.events  # the handlers' own client
    events.register("before-call.dynamodb", hook)
    try:
        client.callers(limit=5)
    finally:
        events.unregister("before-call.dynamodb", hook)
    assert "Query" in seen and "Scan" not in seen


def test_vanity_cli_prints_five(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["vanity", "+18003569377"]) == 0
    lines = capsys.readouterr().out.split()
    assert len(lines) == 5 and "1-800-FLOWERS" in lines
    assert main(["vanity", "anonymous"]) == 2
