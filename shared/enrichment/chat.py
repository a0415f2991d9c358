"""POST /chat: a question becomes a validated, whitelisted lead query; the reader runs it.

Never free-form text from the model to the database: the model's answer must parse as a
`LeadQuery` (fields and operators from a fixed list). Conditions an index serves become
`LeadFilters`; the rest (contains, last-name prefix, exact email) are checked on the rows read.
The question's body model is in `shared.enrichment.chat_question`, which the route needs at init.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from pydantic import BaseModel, ConfigDict

from shared.core.api import ErrorBody
from shared.core.models import Lead
from shared.enrichment.lead_reader import MAX_PAGE, LeadFilters, LeadReader
from shared.enrichment.llm import NO_PROVIDER_MESSAGE, PROVIDER_FAILED_MESSAGE, ChatClient, LlmError, provider_from_env
from shared.enrichment.llm.query import Filter, LeadQuery, question_to_query

#: rows read at most to answer one question when some conditions are checked on the rows
MAX_ROWS_READ = 2_000


class ChatAnswer(BaseModel):
    """The answer of POST /chat: the question, the query it became, and the leads that query lists."""

    model_config = ConfigDict(defer_build=True)

    question: str
    query: LeadQuery
    count: int
    #: each as stored: dumped by alias and without None fields
    leads: list[Lead]


@cache
def provider() -> ChatClient | None:
    return provider_from_env()


def to_filters(query: LeadQuery) -> tuple[LeadFilters, list[Filter]]:
    """Index-served filters, and the conditions left to check on each row."""
    served: dict[str, Any] = {}
    residual: list[Filter] = []
    for f in query.filters:
        if f.field in ("status", "source", "job_id", "country") and f.op == "eq":
            served[f.field] = f.value
        elif f.field == "created_at":
            served["created_from" if f.op == "gte" else "created_to"] = f.value
        elif f.field in ("email", "company") and f.op in ("prefix", "eq"):
            served[f.field] = f.value
            if f.op == "eq":
                residual.append(f)
        elif f.field == "first_name" and "name" not in served:
            served["name"] = f.value
            if f.op == "eq":
                residual.append(f)
        else:
            residual.append(f)
    return LeadFilters(**served, limit=MAX_PAGE, oldest_first=query.order == "oldest"), residual


def _holds(condition: Filter, lead: Lead) -> bool:
    value = str(getattr(lead, condition.field) or "").lower()
    wanted = condition.value.lower()
    if condition.op == "eq":
        return value == wanted
    if condition.op == "prefix":
        return value.startswith(wanted)
    if condition.op == "contains":
        return wanted in value
    return True


def run_query(query: LeadQuery, reader: LeadReader) -> list[Lead]:
    filters, residual = to_filters(query)
    rows = []
    for n, lead in enumerate(reader.all(filters, MAX_ROWS_READ), start=1):
        if all(_holds(c, lead) for c in residual):
            rows.append(lead)
            if len(rows) == query.limit:
                break
        if n >= MAX_ROWS_READ:
            break
    return rows


def answer_question(
    question: str, reader: LeadReader, client: ChatClient | None = None
) -> tuple[int, ChatAnswer | ErrorBody]:
    """The HTTP status and the answer: 503 without a provider, 502 when it failed, else 200 and the leads."""
    client = client or provider()
    if client is None:
        return 503, ErrorBody(message=NO_PROVIDER_MESSAGE)
    try:
        query = question_to_query(client, question)
    except LlmError:
        return 502, ErrorBody(message=PROVIDER_FAILED_MESSAGE)
    rows = run_query(query, reader)
    return 200, ChatAnswer(question=question, query=query, count=len(rows), leads=rows)
