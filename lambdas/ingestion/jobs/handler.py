"""GET /jobs lists the newest jobs; GET /jobs/{job_id} shows a job with its rejected rows;
DELETE /jobs/{job_id} cancels it."""

from __future__ import annotations

from functools import cache
from typing import Annotated, Any

from aws_lambda_powertools.event_handler.openapi.params import Query
from aws_lambda_powertools.utilities.typing import LambdaContext

from shared.core.api import make_resolver, require_role
from shared.core.auth import Role
from shared.core.observability import logger
from shared.core.settings import JobsEnv, load
from shared.ingestion.jobs import MAX_RECENT, JobRepository

app = make_resolver()


@cache
def jobs() -> JobRepository:
    return JobRepository(load(JobsEnv).JOBS_TABLE)


@app.get("/jobs")
def recent(
    limit: Annotated[int, Query(ge=1, le=MAX_RECENT, description="how many jobs, newest first")] = 20,
) -> dict[str, Any]:
    require_role(app, Role.ADMIN, Role.INTEGRATION)
    return {"jobs": [job.public() for job in jobs().recent(limit)]}


@app.get("/jobs/<job_id>")
def show(job_id: str) -> dict[str, Any]:
    require_role(app, Role.ADMIN, Role.INTEGRATION)
    return jobs().get(job_id).public()


@app.delete("/jobs/<job_id>")
def cancel(job_id: str) -> dict[str, Any]:
    who = require_role(app, Role.ADMIN, Role.INTEGRATION)
    job = jobs().cancel(job_id)
    logger.info("job cancelled", job_id=job_id, by=who.user)
    return job.public()


@logger.inject_lambda_context(correlation_id_path="requestContext.requestId", clear_state=True)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
