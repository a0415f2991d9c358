"""GET /jobs lists the newest jobs; GET /jobs/{job_id} shows a job with its rejected rows;
DELETE /jobs/{job_id} cancels it.

An integration token sees and cancels only the jobs it created; another's job is "not found" to it
(a 403 would tell a leaked token which job ids exist). Admins see every job."""

from __future__ import annotations

from functools import cache
from typing import Annotated, Any

from aws_lambda_powertools.event_handler.openapi.params import Query
from aws_lambda_powertools.utilities.typing import LambdaContext

from shared.core.api import make_resolver, require_route_role
from shared.core.auth import Principal, Role
from shared.core.errors import NotFound
from shared.core.models import Job
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
    who = require_route_role(app)
    mine = None if who.role is Role.ADMIN else who.user
    return {"jobs": [job.public() for job in jobs().recent(limit, created_by=mine)]}


def _visible(who: Principal, job: Job) -> Job:
    if who.role is not Role.ADMIN and job.created_by != who.user:
        raise NotFound(f"job {job.job_id} not found")
    return job


@app.get("/jobs/<job_id>")
def show(job_id: str) -> dict[str, Any]:
    who = require_route_role(app)
    return _visible(who, jobs().get(job_id)).public()


@app.delete("/jobs/<job_id>")
def cancel(job_id: str) -> dict[str, Any]:
    who = require_route_role(app)
    # the creator never changes, so checking it before the conditional cancel leaves no gap
    _visible(who, jobs().get(job_id, with_rejections=False))
    job = jobs().cancel(job_id)
    logger.info("job cancelled", job_id=job_id, by=who.user)
    return job.public()


@logger.inject_lambda_context(correlation_id_path="requestContext.requestId", clear_state=True)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
