"""POST /uploads (a file in the body) and POST /uploads/presign (a presigned S3 POST)."""

from __future__ import annotations

import base64
from functools import cache
from typing import Any
from urllib.parse import unquote

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.utilities.typing import LambdaContext

from shared.core.api import make_resolver, require_role
from shared.core.auth import Role
from shared.core.errors import BadInput
from shared.core.observability import logger
from shared.core.settings import UploadsEnv, load
from shared.ingestion.jobs import JobRepository
from shared.ingestion.uploads import Uploads, parse_multipart

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


def _filename_from_request() -> str | None:
    event = app.current_event
    headers = {k.lower(): v for k, v in event.headers.items()}
    name = event.get_query_string_value("filename") or headers.get("x-filename")
    return unquote(name) if name else None


@app.post("/uploads")
def direct_upload() -> Response[Any]:
    who = require_role(app, Role.ADMIN, Role.INTEGRATION)
    content_type = next((v for k, v in app.current_event.headers.items() if k.lower() == "content-type"), "")
    body = _body_bytes()
    if content_type.lower().startswith("multipart/form-data"):
        filename, body = parse_multipart(body, content_type)
    else:
        filename = _filename_from_request() or ""
        if not filename:
            raise BadInput("name the file: ?filename=leads.xlsx, an X-Filename header, or a multipart file field")
    job = uploads().direct(filename=filename, content=body, created_by=who.user)
    logger.info("upload accepted", job_id=job.job_id, size_bytes=len(body))
    return Response(202, content_types.APPLICATION_JSON, job.public())


@app.post("/uploads/presign")
def presign() -> Response[Any]:
    who = require_role(app, Role.ADMIN, Role.INTEGRATION)
    try:
        data = app.current_event.json_body or {}
    except ValueError:
        raise BadInput('the body must be JSON: {"filename": "leads.xlsx", "size": 123}') from None
    if not isinstance(data, dict) or not isinstance(data.get("filename"), str):
        raise BadInput('the body must name the file: {"filename": "leads.xlsx", "size": 123}')
    size = data.get("size")
    if size is not None and (not isinstance(size, int) or size < 0):
        raise BadInput("size must be a whole number of bytes")
    result = uploads().presign(
        filename=data["filename"], size=size, content_type=data.get("content_type"), created_by=who.user
    )
    logger.info("presigned upload", job_id=result["job_id"])
    return Response(202, content_types.APPLICATION_JSON, result)


@logger.inject_lambda_context(correlation_id_path="requestContext.requestId", clear_state=True)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
