"""REST answers that fit Lambda's synchronous response limit (6 MB, `shared.core.limits`).

A handler behind a REST route hands its proxy response to `fit` before returning it. `fit` measures
the response as Lambda serializes it (JSON, non-ASCII escaped); one over `INLINE_RESPONSE_BYTES` has
its body written to the data bucket (under `exports/responses/`) and is answered with a small JSON
`BodyLink` instead: a presigned GET URL (no token needed, valid `expires_in` seconds) where the whole body
waits, with its type and size. Status and the other headers stay; `X-Body-Link: 1` tells a client
that the JSON it got is the link, not the body.

Without it, Lambda refuses the response ("Response payload size exceeded maximum allowed payload
size (6291556 bytes)") and API Gateway answers 502: a big page of leads would never arrive.
"""

from __future__ import annotations

import base64
import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from aws_lambda_powertools.event_handler.openapi.types import OpenAPIResponse
from pydantic import BaseModel, Field

from shared.core import limits
from shared.core.aws import client
from shared.core.observability import logger

#: a response up to this size goes back inline; the margin under Lambda's 6 MB covers what our
#: measure and Lambda's serializer may count differently
INLINE_RESPONSE_BYTES = limits.LAMBDA_SYNC_RESPONSE_BYTES - 256 * limits.KIB
#: how long a link works
LINK_EXPIRES_S = 3600
#: under exports/: the leads-api may write there, and the bucket expires it with the exports
LINK_PREFIX = "exports/responses/"
LINK_HEADER = "X-Body-Link"


class BodyLink(BaseModel):
    """The answer in place of a body larger than Lambda may return: GET `body_url` (no token) in time."""

    body_url: str = Field(description="presigned S3 GET URL of the whole answer")
    content_type: str = Field(description="the answer's type, e.g. application/json")
    size_bytes: int = Field(description="the answer's size")
    expires_in: int = Field(description="seconds the link works, from the time of the answer")
    expires_at: str = Field(description="ISO time the link stops working")


def may_be_linked(what: str) -> dict[int, OpenAPIResponse]:
    """The OpenAPI `responses` of a route whose answer may come as a `BodyLink`."""
    return {
        200: {
            "description": f"{what}; when larger than Lambda may return (6 MB), a `BodyLink` to it instead,"
            f" with the header `{LINK_HEADER}: 1`: GET its `body_url` for the answer",
            "headers": {LINK_HEADER: {"description": "1 when the body is a BodyLink", "schema": {"type": "string"}}},
            "content": {
                "application/json": {
                    "schema": {"anyOf": [{"type": "object", "title": "the answer"}, BodyLink.model_json_schema()]}
                }
            },
        }
    }


def response_bytes(response: dict[str, Any]) -> int:
    """The size of a proxy response as Lambda's runtime serializes it."""
    return len(json.dumps(response).encode())


def _content_type(response: dict[str, Any]) -> str:
    for name, value in (response.get("headers") or {}).items():
        if name.lower() == "content-type":
            return str(value)
    for name, values in (response.get("multiValueHeaders") or {}).items():
        if name.lower() == "content-type" and values:
            return str(values[0])
    return "application/json"


def _without_content_headers(headers: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in headers.items() if k.lower() not in ("content-type", "content-disposition")}


def page_that_fits(items: list[Any], budget_bytes: int = INLINE_RESPONSE_BYTES // 2) -> int:
    """How many of `items`, from the first, fit `budget_bytes` as JSON (at least one): for a route that
    pages, a page cut short (its cursor after the last item kept) is the answer that fits. The budget
    is half the inline size: inside the proxy response the page is JSON again, and escaping can
    double what quotes and backslashes take."""
    used = 0
    for n, item in enumerate(items):
        used += len(json.dumps(item).encode()) + 1
        if used > budget_bytes:
            return max(1, n)
    return len(items)


def fit(
    response: dict[str, Any],
    *,
    bucket: str,
    inline_bytes: int = INLINE_RESPONSE_BYTES,
    expires_s: int = LINK_EXPIRES_S,
) -> dict[str, Any]:
    """`response` itself when it fits; else the same status with a `BodyLink` to its body in S3."""
    size = response_bytes(response)
    if size <= inline_bytes:
        return response
    raw = response.get("body") or ""
    body = base64.b64decode(raw) if response.get("isBase64Encoded") else str(raw).encode()
    content_type = _content_type(response)
    key = f"{LINK_PREFIX}{uuid.uuid4().hex}"
    s3 = client("s3")
    s3.put_object(Bucket=bucket, Key=key, Body=body, ContentType=content_type)
    url = s3.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": key}, ExpiresIn=expires_s)
    expires_at = (datetime.now(UTC) + timedelta(seconds=expires_s)).isoformat(timespec="seconds")
    link = BodyLink(
        body_url=url, content_type=content_type, size_bytes=len(body), expires_in=expires_s, expires_at=expires_at
    )
    logger.info("answer too large for Lambda, sent as a link", key=key, response_bytes=size, body_bytes=len(body))
    headers = {
        **_without_content_headers(response.get("headers") or {}),
        "Content-Type": "application/json",
        LINK_HEADER: "1",
    }
    multi = _without_content_headers(response.get("multiValueHeaders") or {})
    out = {**response, "headers": headers, "body": link.model_dump_json(), "isBase64Encoded": False}
    if multi or "multiValueHeaders" in response:
        out["multiValueHeaders"] = multi
    return out
