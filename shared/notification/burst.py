"""Bursts become digests: past `threshold` leads in one window, the rest wait for one digest message.

Each window (epoch seconds floored to the window length) has a counter item in the deliveries table,
added to atomically, with per-source counts. The invocation that first sends leads past the
threshold schedules the digest (a conditional flag on the window picks one): a message on the
notifications queue delayed to the window's end. If sending fails the flag is taken back, so the
next message of the window schedules it; a digest sent twice would still post once (its delivery
records deduplicate it).

Counts are of leads not yet delivered when their message is handled: a message retried after a
partial failure counts its undelivered leads again, so a digest's total can run slightly high.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Any, Literal

from shared.core.aws import client
from shared.core.dynamo import ConditionFailed, call, from_attr
from shared.core.models import DigestDue

#: counters outlive their window long enough to be looked at, then expire
COUNTER_TTL_S = 7 * 24 * 3600
SOURCE_PREFIX = "src:"
DIGEST_KIND: Literal["digest"] = "digest"


@dataclass(frozen=True)
class Admission:
    window_start: int
    #: the first `individual` of the leads are announced one by one; the rest go into the digest
    individual: int


@dataclass(frozen=True)
class Window:
    start: int
    total: int
    sources: dict[str, int]


class BurstGate:
    def __init__(self, table: str, *, threshold: int, window_s: int, queue_url: str) -> None:
        self.table = table
        self.threshold = threshold
        self.window_s = window_s
        self.queue_url = queue_url

    def _key(self, window_start: int) -> dict[str, Any]:
        return {"lead_id": {"S": f"burst#{int(window_start)}"}, "delivery": {"S": "window"}}

    def admit(self, count: int, source: str, *, now: float | None = None) -> Admission:
        now = time.time() if now is None else now
        start = math.floor(now / self.window_s) * self.window_s
        if count <= 0:
            return Admission(start, 0)
        response = call(
            "update_item",
            TableName=self.table,
            Key=self._key(start),
            UpdateExpression="ADD leads :n, #src :n SET expires_at = if_not_exists(expires_at, :exp)",
            ExpressionAttributeNames={"#src": f"{SOURCE_PREFIX}{source}"},
            ExpressionAttributeValues={":n": {"N": str(count)}, ":exp": {"N": str(int(start) + COUNTER_TTL_S)}},
            ReturnValues="ALL_NEW",
        )
        item = from_attr(response["Attributes"])
        before = int(item["leads"]) - count
        individual = max(0, min(count, self.threshold - before))
        if individual < count and not item.get("digest_scheduled"):
            self._schedule(start, now)
        return Admission(start, individual)

    def _schedule(self, start: int, now: float) -> None:
        try:
            call(
                "update_item",
                TableName=self.table,
                Key=self._key(start),
                UpdateExpression="SET digest_scheduled = :t",
                ConditionExpression="attribute_not_exists(digest_scheduled)",
                ExpressionAttributeValues={":t": {"BOOL": True}},
            )
        except ConditionFailed:
            return  # another invocation scheduled it

        delay = min(900, max(0, math.ceil(start + self.window_s - now)) + 1)
        body = DigestDue(kind=DIGEST_KIND, window_start=start, window_s=self.window_s).body()
        try:
            client("sqs").send_message(QueueUrl=self.queue_url, MessageBody=body, DelaySeconds=delay)
        except Exception:
            call("update_item", TableName=self.table, Key=self._key(start), UpdateExpression="REMOVE digest_scheduled")
            raise

    def window(self, start: int) -> Window:
        item = call("get_item", TableName=self.table, Key=self._key(start), ConsistentRead=True).get("Item")
        record = from_attr(item) if item else {}
        sources = {k[len(SOURCE_PREFIX) :]: int(v) for k, v in record.items() if k.startswith(SOURCE_PREFIX)}
        return Window(start, int(record.get("leads", 0)), sources)
