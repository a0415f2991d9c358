"""The fake provider itself: routes, auth, recording, scripting, and answers derived from the request."""

from __future__ import annotations

import json
import time

import httpx
import pytest
from llm_support import KEY, client_for, running_fake

from leadflow.local.fake_llm import FakeLlm
from shared.enrichment.llm.assist import cell_requests, parse_cells
from shared.enrichment.llm.client import LlmUnavailable
from shared.enrichment.llm.prompts import CELLS_PROMPT, LAYOUT_PROMPT
from shared.enrichment.standardize import map_headers, standardize_row


def post(fake: FakeLlm, path: str, body: object, key: str = KEY) -> httpx.Response:
    return httpx.post(f"{fake.url}{path}", json=body, headers={"Authorization": f"Bearer {key}"}, timeout=5)


def layout_body(headers: list[str], rows: list[list[str]]) -> dict[str, object]:
    question = json.dumps({"headers": headers, "sample_rows": rows})
    return {
        "model": "m",
        "messages": [{"role": "system", "content": LAYOUT_PROMPT}, {"role": "user", "content": question}],
    }


def test_it_serves_both_openai_paths_and_nothing_else() -> None:
    with running_fake() as fake:
        body = layout_body(["Email"], [])
        assert post(fake, "/chat/completions", body).status_code == 200
        assert post(fake, "/v1/chat/completions", body).status_code == 200
        assert post(fake, "/completions", body).status_code == 404
        assert fake.calls == 2


def test_it_requires_the_key_it_was_started_with() -> None:
    with running_fake("the-key") as fake:
        fake.script.server_error()
        refused = post(fake, "/chat/completions", layout_body(["Email"], []), key="another-key")
        missing = httpx.post(f"{fake.url}/chat/completions", json=layout_body(["Email"], []), timeout=5)

        assert refused.status_code == missing.status_code == 401
        assert refused.json()["error"]["type"] == "authentication_error"
        assert len(fake.script) == 1  # refused requests take no fault
        assert fake.calls == 2 and not any(request.authorized for request in fake.requests)


def test_a_body_without_messages_is_400() -> None:
    with running_fake() as fake:
        assert post(fake, "/chat/completions", {"model": "m"}).status_code == 400


def test_layouts_are_mapped_by_header_words_then_by_sample_values() -> None:
    with running_fake() as fake:
        body = layout_body(
            ["ID", "Column B", "Column C", "Nachname", "Company Name"],
            [["1", "ana@acme.com", "+1 212 555 0178", "Lima", "Acme"]],
        )
        content = post(fake, "/chat/completions", body).json()["choices"][0]["message"]["content"]

        assert json.loads(content) == {
            "mapping": {
                "ID": None,
                "Column B": "email",
                "Column C": "phone",
                "Nachname": "last_name",
                "Company Name": "company",
            }
        }


def test_retry_after_is_sent_as_scripted() -> None:
    with running_fake() as fake:
        fake.script.rate_limit(retry_after=7).rate_limit(retry_after="Wed, 21 Oct 2015 07:28:00 GMT")
        first = post(fake, "/chat/completions", layout_body(["Email"], []))
        second = post(fake, "/chat/completions", layout_body(["Email"], []))

        assert (first.status_code, first.headers["Retry-After"]) == (429, "7")
        assert second.headers["Retry-After"] == "Wed, 21 Oct 2015 07:28:00 GMT"
        assert [request.fault for request in fake.requests] == ["status", "status"]


def test_stop_does_not_wait_for_a_slow_answer() -> None:
    fake = FakeLlm(KEY).start()
    fake.script.slow(30)
    client = client_for(fake, timeout_s=0.1, max_attempts=1)
    with pytest.raises(LlmUnavailable, match="timed out"):
        client.complete_json(
            [{"role": "system", "content": CELLS_PROMPT}, {"role": "user", "content": '{"cells": []}'}]
        )
    started = time.monotonic()
    fake.stop()

    assert time.monotonic() - started < 2


def test_reset_forgets_requests_and_faults() -> None:
    with running_fake() as fake:
        fake.script.server_error()
        post(fake, "/chat/completions", layout_body(["Email"], []))
        fake.script.server_error()

        fake.reset()

        assert fake.calls == 0 and fake.requests == [] and len(fake.script) == 0


def test_a_spelled_out_phone_the_rules_leave_unparsed_is_read_by_the_fake() -> None:
    row = {"Name": "Bo Berg", "Phone": "five five five, one two three, four five six seven"}
    mapping = map_headers(tuple(row))
    rules = standardize_row(row, mapping=mapping)
    assert "phone" in rules.unparsed

    with running_fake() as fake:
        (result,) = parse_cells(client_for(fake), cell_requests("job#1", row, mapping, rules))

    assert result.values == {"phone": "5551234567"} and not result.fallback


def test_a_prompt_without_a_marker_is_400_unless_a_reply_is_scripted() -> None:
    body = {"model": "m", "messages": [{"role": "system", "content": "You are helpful."}]}
    with running_fake() as fake:
        assert post(fake, "/chat/completions", body).status_code == 400
        fake.script.reply({"anything": True})
        content = post(fake, "/chat/completions", body).json()["choices"][0]["message"]["content"]
        assert json.loads(content) == {"anything": True}
