"""GET /leads, GET /leads/{id}, GET /leads/export and POST /chat: reading and asking about leads."""

from __future__ import annotations

import uuid
from functools import cache
from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.openapi.params import Body, Query
from aws_lambda_powertools.utilities.typing import LambdaContext

from shared.core.api import make_resolver, require_route_role
from shared.core.aws import client
from shared.core.observability import logger
from shared.core.responses import fit, may_be_linked
from shared.core.settings import LeadsApiEnv, load
from shared.enrichment.chat_question import ChatQuestion
from shared.enrichment.lead_reader import LeadFilters, LeadReader, to_csv

#: an export larger than this goes to S3 and comes back as a presigned link (Lambda answers ≤ 6 MB)
INLINE_EXPORT_BYTES = 1024 * 1024
MAX_EXPORT_LEADS = 200_000
EXPORT_LINK_S = 3600

app = make_resolver()


@cache
def reader() -> LeadReader:
    return LeadReader(load(LeadsApiEnv).LEADS_TABLE)


#: the filters of GET /leads and GET /leads/export, each field a query parameter
Filters = Annotated[LeadFilters, Query()]


@app.get("/leads", responses=may_be_linked("a page of leads and the next page's cursor"))
def list_leads(
    filters: Filters,
    cursor: Annotated[str | None, Query(description="the previous page's `next_cursor`")] = None,
) -> dict[str, Any]:
    require_route_role(app)
    return reader().page(filters, cursor or None).public()


@app.get("/leads/export")
def export_leads(filters: Filters) -> Response[Any]:
    require_route_role(app)
    body, count = to_csv(reader().all(filters, MAX_EXPORT_LEADS))
    if len(body) <= INLINE_EXPORT_BYTES:
        headers = {"Content-Disposition": 'attachment; filename="leads.csv"', "X-Lead-Count": str(count)}
        return Response(200, "text/csv; charset=utf-8", body.decode("utf-8"), headers=headers)
    key = f"exports/{uuid.uuid4().hex}/leads.csv"
    bucket = load(LeadsApiEnv).DATA_BUCKET
    client("s3").put_object(Bucket=bucket, Key=key, Body=body, ContentType="text/csv; charset=utf-8")
    url = client("s3").generate_presigned_url(
        "get_object", Params={"Bucket": bucket, "Key": key}, ExpiresIn=EXPORT_LINK_S
    )
    logger.info("large export written to S3", key=key, leads=count, size_bytes=len(body))
    return Response(200, content_types.APPLICATION_JSON, {"url": url, "count": count, "expires_in": EXPORT_LINK_S})


@app.get("/leads/<lead_id>")
def show_lead(lead_id: str) -> dict[str, Any]:
    require_route_role(app)
    # here, not at the top: only this route reads a lead's deliveries
    from shared.notification.deliveries import deliveries_for

    lead = reader().get(lead_id).to_item()
    deliveries = deliveries_for(lead_id, table=load(LeadsApiEnv).DELIVERIES_TABLE)
    lead["deliveries"] = [d.model_dump(mode="json") for d in deliveries]
    return lead


@app.post("/chat", responses=may_be_linked("the answer, with the leads it lists"))
def chat(ask: Annotated[ChatQuestion, Body()]) -> Response[Any]:
    require_route_role(app)
    # here, not at the top: only this route needs the LLM client, its prompts and the rules they ground on
    from shared.enrichment.chat import answer_question

    status, answer = answer_question(ask.question, reader())
    return Response(
        status, content_types.APPLICATION_JSON, answer.model_dump(mode="json", by_alias=True, exclude_none=True)
    )


@logger.inject_lambda_context(correlation_id_path="requestContext.requestId", clear_state=True)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    # every answer of this function, measured: one past Lambda's 6 MB becomes a link to S3
    return fit(app.resolve(event, context), bucket=load(LeadsApiEnv).DATA_BUCKET)
