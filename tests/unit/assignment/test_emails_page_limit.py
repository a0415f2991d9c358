"""GET /emails stays inside Lambda's 6 MB: 14 emails with 64K-character bodies already pass it (200 may be
asked for), so the page is cut where it stops fitting and `next` resumes right after the last email
shown. Through the real handler (resolver, validation, role check) over an in-memory queue."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from leadflow import wiring
from shared.core import limits, scopes
from shared.core.models import EmailRecord, EmailStatus
from shared.core.responses import response_bytes

EMAILS = 40
BODY = "é" * (64 * 1024)  # the longest body intake keeps, in the characters JSON escapes most


class InMemoryQueue:
    """`list_open` as the repository answers it: line order, a page, the last key as `next`."""

    def __init__(self, n: int) -> None:
        self.items = [
            EmailRecord(
                email_id=f"em_{i:04d}",
                queue_key=f"2024-05-01T00:00:{i:04d}#em_{i:04d}",
                sender=f"s{i}@x.example",
                body=BODY,
                received_at="2024-05-01T00:00:00Z",
                status=EmailStatus.PENDING,
                queue="waiting",
            )
            for i in range(n)
        ]

    def list_open(self, limit: int, start: str | None = None) -> tuple[list[EmailRecord], str | None]:
        keys = [i.queue_key for i in self.items]
        first = keys.index(start) + 1 if start else 0
        page = self.items[first : first + limit]
        more = first + limit < len(self.items)
        return page, (page[-1].queue_key if more else None)


@pytest.fixture
def handler(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    monkeypatch.setenv("ROUTE_ROLES", wiring.route_roles_json())
    monkeypatch.setenv("EMAILS_TABLE", "unused")
    monkeypatch.setenv("POWERTOOLS_METRICS_DISABLED", "true")
    scopes.route_roles.cache_clear()
    from lambdas.assignment.emails import handler as module

    queue = InMemoryQueue(EMAILS)
    monkeypatch.setattr(module, "repository", lambda: queue)
    try:
        yield module.handler
    finally:
        scopes.route_roles.cache_clear()


class Context:
    function_name = "emails"
    memory_limit_in_mb = 256
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:emails"
    aws_request_id = "req"


def _get(handler: Any, **query: str) -> dict[str, Any]:
    event = {
        "resource": "/emails",
        "path": "/emails",
        "httpMethod": "GET",
        "headers": {},
        "multiValueHeaders": {},
        "queryStringParameters": query,
        "multiValueQueryStringParameters": {k: [v] for k, v in query.items()},
        "requestContext": {"authorizer": {"principalId": "admin", "user": "admin", "role": "admin"}},
        "body": None,
        "isBase64Encoded": False,
    }
    response: dict[str, Any] = handler(event, Context())
    return response


def test_a_page_too_large_for_lambda_is_cut_and_next_resumes_after_it(handler: Any) -> None:
    seen: list[str] = []
    start: str | None = None
    pages = 0
    while True:
        query = {"status": "Pending", "limit": str(EMAILS)}
        if start:
            query["next"] = start
        response = _get(handler, **query)
        assert response["statusCode"] == 200, response["body"][:300]
        assert response_bytes(response) <= limits.LAMBDA_SYNC_RESPONSE_BYTES
        page = json.loads(response["body"])
        assert all(e["body"] == BODY for e in page["emails"])
        seen += [e["email_id"] for e in page["emails"]]
        pages += 1
        start = page["next"]
        if not start:
            break
    # every email once, in line order, over several pages although one was asked for
    assert seen == [f"em_{i:04d}" for i in range(EMAILS)]
    assert pages > 1
