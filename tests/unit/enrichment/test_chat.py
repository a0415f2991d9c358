"""POST /chat's answer: the model's query runs on the reader's leads (the conditions no index serves
checked on each lead), and the answer is JSON of the same shape as before it was a model."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence

import pytest

from shared.core.api import ErrorBody
from shared.core.models import JsonObject, Lead, LeadStatus
from shared.enrichment import chat
from shared.enrichment.chat import ChatAnswer, answer_question
from shared.enrichment.lead_reader import LeadFilters, LeadReader
from shared.enrichment.llm import NO_PROVIDER_MESSAGE, PROVIDER_FAILED_MESSAGE, ChatClient, LlmUnavailable


class _Model(ChatClient):
    """Answers every question with one JSON object, or fails as an unreachable provider."""

    def __init__(self, answer: JsonObject | None) -> None:
        self.answer = answer

    def complete_json(self, messages: Sequence[Mapping[str, str]]) -> JsonObject:
        if self.answer is None:
            raise LlmUnavailable("connection failed")
        return self.answer


class _Reader(LeadReader):
    """The leads in order; records the filters it was asked for."""

    def __init__(self, leads: list[Lead]) -> None:
        self.leads = leads
        self.asked: list[LeadFilters] = []

    def all(self, f: LeadFilters, max_leads: int) -> Iterator[Lead]:
        self.asked.append(f)
        return iter(self.leads[:max_leads])


LEADS = [
    Lead(lead_id="a", first_name="Ana", last_name="Lima", email="ana@acme.example", company="Acme Robotics"),
    Lead(lead_id="b", first_name="Bo", last_name="Lind", company="Globex", status=LeadStatus.QUALIFIED),
    Lead(lead_id="c", first_name="Cy", last_name="Stone", company="Acme Foods", _worksheet="Sheet 2", row=7),
]


def test_the_query_runs_on_the_leads_and_the_answer_is_the_json_it_was() -> None:
    query = {"filters": [{"field": "last_name", "op": "prefix", "value": "Li"}], "limit": 5, "order": "newest"}
    reader = _Reader(LEADS)

    status, answer = answer_question("leads named Li...", reader, client=_Model(query))

    assert status == 200 and isinstance(answer, ChatAnswer)
    assert [lead.lead_id for lead in answer.leads] == ["a", "b"]
    assert reader.asked[0].oldest_first is False
    assert answer.model_dump(mode="json", by_alias=True, exclude_none=True) == {
        "question": "leads named Li...",
        "query": query,
        "count": 2,
        "leads": [LEADS[0].to_item(), LEADS[1].to_item()],
    }


def test_a_condition_on_a_status_or_a_word_of_the_company_holds_on_the_lead_itself() -> None:
    contains = {"filters": [{"field": "company", "op": "contains", "value": "acme"}]}
    status, answer = answer_question("acme?", _Reader(LEADS), client=_Model(contains))
    assert status == 200 and isinstance(answer, ChatAnswer)
    assert [lead.lead_id for lead in answer.leads] == ["a", "c"]
    dumped = answer.model_dump(mode="json", by_alias=True, exclude_none=True)
    assert dumped["leads"][1]["_worksheet"] == "Sheet 2" and "email" not in dumped["leads"][1]


def test_without_a_provider_or_with_a_failing_one_the_answer_is_one_sentence(monkeypatch: pytest.MonkeyPatch) -> None:
    status, answer = answer_question("anything", _Reader(LEADS), client=_Model(None))
    assert (status, answer) == (502, ErrorBody(message=PROVIDER_FAILED_MESSAGE))
    assert answer.model_dump(mode="json", by_alias=True, exclude_none=True) == {"message": PROVIDER_FAILED_MESSAGE}
    monkeypatch.setattr(chat, "provider", lambda: None)
    assert answer_question("anything", _Reader(LEADS)) == (503, ErrorBody(message=NO_PROVIDER_MESSAGE))
