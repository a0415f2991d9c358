"""GET /callers: the last callers, newest first, read from the calls table's time-ordered index.

Apart from `shared.phone.calls`, which answers a call: listing callers needs neither the vanity engine
nor the lead queue, so the function that lists them does not load either at its cold start.
"""

from __future__ import annotations

from shared.core.dynamo import call, from_attr, to_attr
from shared.core.models import Call, RecentCaller

#: the `kind` every call has (`Call.kind`): the partition key of the time-ordered `recent` index
CALL_KIND = "call"
MAX_LIST = 50


def recent_callers(calls_table: str, limit: int) -> list[RecentCaller]:
    """The last callers, newest first: one Query on the time-ordered index."""
    response = call(
        "query",
        TableName=calls_table,
        IndexName="recent",
        KeyConditionExpression="kind = :k",
        ExpressionAttributeValues=to_attr({":k": CALL_KIND}),
        ScanIndexForward=False,
        Limit=max(1, min(limit, MAX_LIST)),
    )
    return [RecentCaller.of(Call.model_validate(from_attr(i))) for i in response.get("Items", [])]
