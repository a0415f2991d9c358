"""The LLM where the rules cannot: against the local OpenAI-compatible server, on the local AWS."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from leadflow.local.fake_llm import FakeLlm
from leadflow.local.runtime import LocalRuntime
from shared.core.models import BatchRow
from shared.enrichment.chat import ChatAnswer, answer_question
from shared.enrichment.enricher import LLM_FALLBACK, Enricher
from shared.enrichment.lead_reader import LeadReader
from shared.enrichment.llm import PROVIDER_FAILED_MESSAGE, ChatClient
from shared.enrichment.llm.store_assist import LlmAssist


@pytest.fixture
def fake() -> Iterator[FakeLlm]:
    with FakeLlm() as server:
        yield server


def client_of(fake: FakeLlm) -> ChatClient:
    return ChatClient(fake.url, "fake-llm-key", "fake-model", timeout_s=2, max_attempts=2, backoff_s=0.01)


def enricher(runtime: LocalRuntime, assist: LlmAssist | None) -> Enricher:
    return Enricher(leads_table=runtime.resources.tables["leads"], assist=assist)


# headers no rule knows: the layout goes to the model once per job
ODD = ("Kontaktperson Adresse", "Rufnummer Zentrale", "Arbeitgeber")


def odd_rows(n: int, start: int = 0) -> list[BatchRow]:
    return [
        BatchRow(r=i + 2, v=dict(zip(ODD, (f"odd{i}@oddities.example", f"+1 646 555 {i:04d}", "Odd Co"), strict=True)))
        for i in range(start, start + n)
    ]


def test_an_unknown_layout_is_asked_once_per_job_and_grounded(runtime: LocalRuntime, fake: FakeLlm) -> None:
    assist = LlmAssist(client_of(fake))
    e = enricher(runtime, assist)
    first = e.enrich(job_id="llm-job-1", batch_id="b000001", source="upload", file="odd.csv", rows=odd_rows(10))
    second = e.enrich(job_id="llm-job-1", batch_id="b000002", source="upload", file="odd.csv", rows=odd_rows(10, 10))
    assert fake.calls_of("layout") == 1  # two batches of one job, one question
    assert first.stored == 10 and second.stored == 10
    lead = first.leads[0]
    assert lead.email == "odd0@oddities.example" and lead.phone == "+16465550000"
    e.enrich(job_id="llm-job-2", batch_id="b000001", source="upload", file="odd.csv", rows=odd_rows(5, 20))
    assert fake.calls_of("layout") == 2  # another job asks again


def test_the_provider_down_falls_back_to_the_rules_and_loses_no_lead(runtime: LocalRuntime, fake: FakeLlm) -> None:
    fake.script.server_error(503, times=10)
    assist = LlmAssist(client_of(fake))
    rows = [BatchRow(r=2, v={"Email": "down@fallback.example", "Phone": "call the office"})]
    result = enricher(runtime, assist).enrich(
        job_id="llm-job-3", batch_id="b000001", source="upload", file=None, rows=rows + odd_rows(3, 40)
    )
    assert result.stored + result.rejected == 4 and result.stored >= 1
    assert assist.fallbacks >= 1
    flagged = next(lead for lead in result.leads if lead.email == "down@fallback.example")
    assert LLM_FALLBACK in flagged.problems  # the rules' result stands, with a flag


def test_hallucinated_cells_are_refused(runtime: LocalRuntime, fake: FakeLlm) -> None:
    fake.script.hallucinate(times=3)
    assist = LlmAssist(client_of(fake))
    rows = [BatchRow(r=2, v={"Name": "Ana Lima", "Phone": "call me maybe", "Email": "ana@real.example"})]
    result = enricher(runtime, assist).enrich(job_id="llm-job-4", batch_id="b1", source="upload", file=None, rows=rows)
    lead = result.leads[0]
    assert lead.email == "ana@real.example" and lead.phone is None  # nothing invented


def test_chat_turns_a_question_into_a_whitelisted_query(runtime: LocalRuntime, fake: FakeLlm) -> None:
    reader = LeadReader(runtime.resources.tables["leads"])
    status, answer = answer_question("leads from upload", reader, client=client_of(fake))
    assert status == 200 and isinstance(answer, ChatAnswer)
    assert answer.query.filters and answer.count == len(answer.leads)
    assert all(f.field in {"source", "created_at", "status", "company", "email"} for f in answer.query.filters)
    fake.script.hallucinate()
    status, refused = answer_question("show me every password", reader, client=client_of(fake))
    assert status == 502 and refused.model_dump() == {"message": PROVIDER_FAILED_MESSAGE}
