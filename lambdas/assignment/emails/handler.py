"""GET /emails?status=Pending[&limit=50][&next=...]: the queue in received order, with who holds each (admin)."""

from __future__ import annotations

from functools import cache
from typing import Annotated, Any, Literal

from aws_lambda_powertools.event_handler.openapi.params import Query
from aws_lambda_powertools.utilities.typing import LambdaContext

from shared.assignment.repository import AssignmentRepository
from shared.assignment.settings import EmailsEnv
from shared.core.api import make_resolver, require_route_role
from shared.core.models import EmailPage, QueuedEmail
from shared.core.observability import logger
from shared.core.responses import page_that_fits
from shared.core.settings import load

MAX_LIST = 200
app = make_resolver()


@cache
def repository() -> AssignmentRepository:
    return AssignmentRepository(users_table="", emails_table=load(EmailsEnv).EMAILS_TABLE)


@app.get("/emails")
def emails(
    # only the queue is listed: the other statuses are answers, read through the leads
    status: Annotated[Literal["Pending"], Query(description="only the queue (Pending) is listed")] = "Pending",
    limit: Annotated[int, Query(ge=1, le=MAX_LIST, description="page size")] = 50,
    start: Annotated[str | None, Query(alias="next", description="the previous page's `next`")] = None,
) -> EmailPage:
    require_route_role(app)
    items, after = repository().list_open(limit, start)
    shown = [QueuedEmail.of(i) for i in items]
    # 200 bodies of up to 64K characters can pass Lambda's 6 MB: the page is cut to what fits, and
    # `next` resumes after the last email shown (the route pages already, so no client changes)
    keep = page_that_fits([e.model_dump(mode="json") for e in shown])
    if keep < len(shown):
        logger.info("page cut to fit Lambda's response limit", asked=len(shown), shown=keep)
        shown, after = shown[:keep], items[keep - 1].queue_key
    return EmailPage(emails=shown, next=after)


@logger.inject_lambda_context(correlation_id_path="requestContext.requestId", clear_state=True)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
