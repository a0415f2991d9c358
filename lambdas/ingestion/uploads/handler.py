"""POST /uploads (a file in the body) and POST /uploads/presign (a presigned S3 POST)."""

from __future__ import annotations

import base64
from functools import cache
from typing import Annotated, Any
from urllib.parse import unquote

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.openapi.params import Body, Header, Query
from aws_lambda_powertools.utilities.typing import LambdaContext

from shared.core.api import make_resolver, require_route_role
from shared.core.errors import BadInput
from shared.core.observability import logger
from shared.core.settings import UploadsEnv, load
from shared.ingestion.jobs import JobRepository
from shared.ingestion.uploads import PresignRequest, Uploads, parse_multipart

app = make_resolver()


@cache
def uploads() -> Uploads:
    env = load(UploadsEnv)
    return Uploads(
        jobs=JobRepository(env.JOBS_TABLE),
        bucket=env.UPLOADS_BUCKET,
        max_direct_bytes=env.MAX_DIRECT_UPLOAD_BYTES,
        max_presigned_bytes=env.MAX_PRESIGNED_UPLOAD_BYTES,
    )


def _body_bytes() -> bytes:
    event = app.current_event
    body = event.body or ""
    return base64.b64decode(body) if event.is_base64_encoded else body.encode("utf-8", "surrogateescape")


@app.post("/uploads", status_code=202)
def direct_upload(
    filename: Annotated[str | None, Query(description="the file's name (or the X-Filename header)")] = None,
    x_filename: Annotated[str | None, Header(alias="X-Filename", description="the file's name, URL-encoded")] = None,
) -> Response[Any]:
    """The file is the raw body (any media type: CSV, XLSX) or the file field of a multipart form."""
    who = require_route_role(app)
    content_type = next((v for k, v in app.current_event.headers.items() if k.lower() == "content-type"), "")
    body = _body_bytes()
    if content_type.lower().startswith("multipart/form-data"):
        name, body = parse_multipart(body, content_type)
    else:
        # one of two places, so no single parameter can be required: the rule is checked here
        given = filename or x_filename
        if not given:
            raise BadInput("name the file: ?filename=leads.xlsx, an X-Filename header, or a multipart file field")
        name = unquote(given)
    job = uploads().direct(filename=name, content=body, created_by=who.user)
    logger.info("upload accepted", job_id=job.job_id, size_bytes=len(body))
    return Response(202, content_types.APPLICATION_JSON, job.public())


@app.post("/uploads/presign", status_code=202)
def presign(request: Annotated[PresignRequest, Body()]) -> Response[Any]:
    who = require_route_role(app)
    result = uploads().presign(
        filename=request.filename, size=request.size, content_type=request.content_type, created_by=who.user
    )
    logger.info("presigned upload", job_id=result.job_id)
    return Response(202, content_types.APPLICATION_JSON, result.model_dump(mode="json"))


@logger.inject_lambda_context(correlation_id_path="requestContext.requestId", clear_state=True)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
