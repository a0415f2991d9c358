"""POST /chat's query: the schema refuses anything outside the whitelist, and questions become validated queries."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest
from llm_support import client_for, running_fake
from pydantic import ValidationError

from leadflow.local.fake_llm import FakeLlm
from shared.enrichment.llm.client import ChatClient, LlmBadOutput, LlmUnavailable
from shared.enrichment.llm.prompts import QUERY_MARKER
from shared.enrichment.llm.query import (
    ALLOWED_OPS,
    MAX_QUESTION_CHARS,
    NO_PROVIDER_MESSAGE,
    Filter,
    LeadQuery,
    parse_query,
    query_prompt,
    question_to_query,
)

TODAY = date(2025, 1, 8)


@pytest.fixture(scope="module")
def server() -> Iterator[FakeLlm]:
    with running_fake() as running:
        yield running


@pytest.fixture
def fake(server: FakeLlm) -> Iterator[FakeLlm]:
    server.reset()  # one server per module, a clean slate per test
    yield server
    server.reset()


@pytest.fixture
def client(fake: FakeLlm) -> ChatClient:
    return client_for(fake, max_attempts=2, backoff_s=0.01)


# --- the schema ---------------------------------------------------------------------------------------------


def test_defaults() -> None:
    query = LeadQuery.model_validate({})

    assert query.filters == [] and query.limit == 20 and query.order == "newest"


@pytest.mark.parametrize(
    "condition",
    [
        {"field": "password", "op": "eq", "value": "x"},  # not a whitelisted field
        {"field": "attributes", "op": "eq", "value": "x"},
        {"field": "email", "op": "regex", "value": ".*"},  # not an operator
        {"field": "email", "op": "contains", "value": "gmail"},  # not one email allows
        {"field": "created_at", "op": "eq", "value": "2025-01-01"},
        {"field": "status", "op": "prefix", "value": "q"},
        {"field": "status", "op": "eq", "value": "hot"},  # not a status
        {"field": "country", "op": "eq", "value": "Atlantis"},
        {"field": "created_at", "op": "gte", "value": "last tuesday"},
        {"field": "company", "op": "eq", "value": "   "},
        {"field": "company", "op": "eq", "value": "x" * 201},
        {"field": "company", "op": "eq", "value": "Acme", "or": {"field": "status"}},  # no extra keys
        {"field": "company", "op": "eq"},
    ],
)
def test_conditions_outside_the_whitelist_are_refused(condition: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        LeadQuery.model_validate({"filters": [condition]})


@pytest.mark.parametrize("limit", [0, -1, 101, 10_000, "many"])
def test_out_of_range_limits_are_refused(limit: object) -> None:
    with pytest.raises(ValidationError):
        LeadQuery.model_validate({"limit": limit})


@pytest.mark.parametrize("extra", [{"order": "random"}, {"sql": "DROP TABLE leads"}, {"filters": "status=new"}])
def test_other_shapes_are_refused(extra: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        LeadQuery.model_validate(extra)


def test_one_condition_per_field_and_operator_and_at_most_ten() -> None:
    twice = [{"field": "status", "op": "eq", "value": "new"}, {"field": "status", "op": "eq", "value": "contacted"}]
    with pytest.raises(ValidationError, match="twice"):
        LeadQuery.model_validate({"filters": twice})
    many = [{"field": "company", "op": "contains", "value": str(i)} for i in range(11)]
    with pytest.raises(ValidationError):
        LeadQuery.model_validate({"filters": many})


def test_every_whitelisted_field_and_operator_is_accepted() -> None:
    values = {"status": "new", "country": "DE", "created_at": "2025-01-01"}
    for name, ops in ALLOWED_OPS.items():
        for op in ops:
            condition = Filter.model_validate({"field": name, "op": op, "value": values.get(name, "abc")})
            assert (condition.field, condition.op) == (name, op)


def test_values_are_normalized() -> None:
    query = LeadQuery.model_validate(
        {
            "filters": [
                {"field": "status", "op": "eq", "value": "Qualified"},
                {"field": "email", "op": "prefix", "value": "Ana.Lima@"},
                {"field": "country", "op": "eq", "value": "Deutschland"},
                {"field": "created_at", "op": "gte", "value": "2025-01-01"},
                {"field": "created_at", "op": "lte", "value": "2025-01-07"},
                {"field": "job_id", "op": "eq", "value": 12345},
            ],
            "limit": "5",
            "order": "oldest",
        }
    )

    assert query.value("status") == "qualified"
    assert query.value("email", "prefix") == "ana.lima@"
    assert query.value("country") == "DE"
    # In the leads' own created_at format, the end date included whole.
    assert query.value("created_at", "gte") == "2025-01-01T00:00:00.000+00:00"
    assert query.value("created_at", "lte") == "2025-01-07T23:59:59.999+00:00"
    assert query.value("job_id") == "12345"
    assert query.value("company") is None
    assert query.limit == 5 and query.order == "oldest"


def test_date_times_are_turned_into_utc() -> None:
    condition = Filter(field="created_at", op="gte", value="2025-01-01T10:00:00+02:00")
    naive = Filter(field="created_at", op="lte", value="2025-01-01T10:00:00Z")

    assert condition.value == "2025-01-01T08:00:00.000+00:00"
    assert naive.value == "2025-01-01T10:00:00.000+00:00"


def test_parse_query_clamps_a_large_limit_and_treats_null_as_default() -> None:
    assert parse_query({"limit": 500}).limit == 100
    assert parse_query({"filters": None, "limit": None, "order": None}) == LeadQuery()
    with pytest.raises(LlmBadOutput, match="limit"):
        parse_query({"limit": 0})
    with pytest.raises(LlmBadOutput, match=r"filters\.0\.field"):
        parse_query({"filters": [{"field": "password", "op": "eq", "value": "x"}]})


# --- questions through the fake provider ----------------------------------------------------------------------


def test_leads_from_the_website_last_week(client: ChatClient, fake: FakeLlm) -> None:
    query = question_to_query(client, "leads from the website last week", today=TODAY)

    assert query == LeadQuery(
        filters=[
            Filter(field="source", op="eq", value="website"),
            Filter(field="created_at", op="gte", value="2025-01-01"),
        ]
    )
    messages = fake.requests[0].body["messages"]  # type: ignore[index]
    assert messages[0]["content"].startswith(QUERY_MARKER)
    assert "Today is 2025-01-08" in messages[0]["content"]
    assert json.loads(messages[1]["content"]) == {"question": "leads from the website last week"}


def test_a_question_with_status_company_country_limit_and_order(client: ChatClient) -> None:
    query = question_to_query(client, "the first 5 qualified leads at Acme in Germany, oldest first", today=TODAY)

    assert query.value("status") == "qualified"
    assert query.value("company", "prefix") == "Acme"
    assert query.value("country") == "DE"
    assert query.limit == 5 and query.order == "oldest"


def test_a_hallucinated_query_is_bad_output(client: ChatClient, fake: FakeLlm) -> None:
    fake.script.hallucinate()

    with pytest.raises(LlmBadOutput, match="query rejected"):
        question_to_query(client, "all leads", today=TODAY)


@pytest.mark.parametrize(
    "answer",
    [
        {"filters": [{"field": "email", "op": "contains", "value": "@gmail"}]},
        {"filters": [], "limit": 20, "order": "newest", "explanation": "all leads"},
        {"query": "SELECT * FROM leads"},
    ],
)
def test_answers_outside_the_schema_are_bad_output(client: ChatClient, fake: FakeLlm, answer: dict[str, Any]) -> None:
    fake.script.reply(answer)

    with pytest.raises(LlmBadOutput):
        question_to_query(client, "leads with gmail addresses", today=TODAY)


def test_an_unavailable_provider_is_unavailable(client: ChatClient, fake: FakeLlm) -> None:
    fake.script.server_error(times=2)

    with pytest.raises(LlmUnavailable):
        question_to_query(client, "new leads", today=TODAY)


@pytest.mark.parametrize("question", ["", "   ", "x" * (MAX_QUESTION_CHARS + 1)])
def test_empty_or_long_questions_are_refused_before_any_request(
    client: ChatClient, fake: FakeLlm, question: str
) -> None:
    with pytest.raises(ValueError, match="question"):
        question_to_query(client, question)
    assert fake.calls == 0


def test_the_prompt_states_the_whitelist_and_the_date() -> None:
    prompt = query_prompt(TODAY)

    assert prompt.startswith(QUERY_MARKER)
    assert "2025-01-08" in prompt and "JSON" in prompt
    for name, ops in ALLOWED_OPS.items():
        assert f"- {name} ({', '.join(sorted(ops))})" in prompt


def test_the_no_provider_message_is_a_clear_sentence() -> None:
    assert NO_PROVIDER_MESSAGE.endswith(".")
    assert "LLM_API_KEY" in NO_PROVIDER_MESSAGE and "GET /leads" in NO_PROVIDER_MESSAGE
