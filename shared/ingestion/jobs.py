"""The job record of an upload, in DynamoDB, with atomic counters and idempotent batch accounting.

Layout (one partition per job): the job itself under sort key `job`, each rejected row under
`rej#{worksheet}#{row}` so that writing the same rejection twice leaves one item. Every job also has
a pointer in the partition `#recent` under `{created_at}#{job_id}`, so the newest jobs are one Query
(GET /jobs), never a Scan; a job with a creator has a second pointer in `#recent#{created_by}`, so an
integration's own newest jobs are one Query too. A batch is
counted once: its id goes into the string set `done_batches` in the same conditional update that
adds its counts, so a redelivered batch cannot count twice.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from typing import Any, Protocol

from shared.core.dynamo import ConditionFailed, batch_put, call, from_attr, to_attr
from shared.core.errors import Conflict, JobCancelled, NotFound
from shared.core.models import Job, JobStatus, Rejection, iso_now

JOB_SK = "job"
#: the partition holding one pointer per job, in creation order
RECENT_PK = "#recent"
MAX_RECENT = 50
REJECTIONS_SHOWN = 100
RETENTION_S = 90 * 24 * 3600
_INTERNAL = {"sk", "done_batches", "split_done", "expires_at"}
#: the statuses a job may still move from (to processing, failed, cancelled)
ACTIVE = (JobStatus.UPLOADING, JobStatus.UPLOADED, JobStatus.PROCESSING)


def recent_pk(created_by: str) -> str:
    """The partition of one creator's job pointers."""
    return f"{RECENT_PK}#{created_by}"


def rejection_sk(worksheet: str | None, row: int) -> str:
    return f"rej#{worksheet or ''}#{row:09d}"


class JobLedger(Protocol):
    """What the splitter and the store step need from a job's record (`JobRepository` in DynamoDB).

    The rules every implementation keeps: only an active job (uploading, uploaded, processing) may
    start processing, fail or be cancelled; a batch is counted once per batch id; a job completes
    when its split is done and every batch is counted, whichever happens last."""

    def status(self, job_id: str) -> JobStatus | None: ...

    def create(self, job: Job) -> bool: ...

    def start_processing(self, job_id: str, size_bytes: int | None = None) -> Job: ...

    def add_rejections(self, job_id: str, rejections: Iterable[Rejection]) -> int: ...

    def finish_split(self, job_id: str, *, rows_total: int, rows_rejected: int, batches_total: int) -> Job: ...

    def record_batch(
        self, job_id: str, batch_id: str, *, stored: int, rejected: int, duplicates: int = 0, llm_calls: int = 0
    ) -> Job | None: ...

    def fail(self, job_id: str, reason: str) -> Job | None: ...

    def cancel(self, job_id: str) -> Job: ...


class JobRepository:
    def __init__(self, table: str) -> None:
        self.table = table

    # ------------------------------------------------------------------ reads

    def get(self, job_id: str, *, with_rejections: bool = True) -> Job:
        if not with_rejections:
            response = call(
                "get_item", TableName=self.table, Key=to_attr({"job_id": job_id, "sk": JOB_SK}), ConsistentRead=True
            )
            if "Item" not in response:
                raise NotFound(f"job {job_id} not found")
            return self._job(from_attr(response["Item"]), [])
        # the job item sorts before its rejections ("job" < "rej#"), so one Query returns both
        response = call(
            "query",
            TableName=self.table,
            KeyConditionExpression="job_id = :j",
            ExpressionAttributeValues=to_attr({":j": job_id}),
            Limit=REJECTIONS_SHOWN + 1,
            ConsistentRead=True,
        )
        items = [from_attr(i) for i in response.get("Items", [])]
        job_item = next((i for i in items if i["sk"] == JOB_SK), None)
        if job_item is None:
            raise NotFound(f"job {job_id} not found")
        rejections = [
            Rejection(worksheet=i.get("worksheet"), row=i["row"], reason=i["reason"])
            for i in items
            if i["sk"].startswith("rej#")
        ]
        return self._job(job_item, rejections)

    def recent(self, limit: int = 20, *, created_by: str | None = None) -> list[Job]:
        """The newest jobs first (without their rejections): one Query on the pointers, one BatchGetItem.
        With `created_by`, only the jobs that user created."""
        response = call(
            "query",
            TableName=self.table,
            KeyConditionExpression="job_id = :r",
            ExpressionAttributeValues=to_attr({":r": recent_pk(created_by) if created_by else RECENT_PK}),
            ScanIndexForward=False,
            Limit=max(1, min(limit, MAX_RECENT)),
        )
        ids = list(dict.fromkeys(from_attr(i)["ref"] for i in response.get("Items", [])))
        found: dict[str, dict[str, Any]] = {}
        keys = [to_attr({"job_id": j, "sk": JOB_SK}) for j in ids]
        for _ in range(8):
            if not keys:
                break
            got = call("batch_get_item", RequestItems={self.table: {"Keys": keys, "ConsistentRead": True}})
            for item in got.get("Responses", {}).get(self.table, []):
                plain = from_attr(item)
                found[plain["job_id"]] = plain
            keys = got.get("UnprocessedKeys", {}).get(self.table, {}).get("Keys", [])
        # a job past its retention may outlive its pointer by a TTL sweep, or the other way round
        return [self._job(found[j], []) for j in ids if j in found]

    def status(self, job_id: str) -> JobStatus | None:
        response = call(
            "get_item",
            TableName=self.table,
            Key=to_attr({"job_id": job_id, "sk": JOB_SK}),
            ProjectionExpression="#s",
            ExpressionAttributeNames={"#s": "status"},
        )
        item = response.get("Item")
        return JobStatus(from_attr(item)["status"]) if item else None

    @staticmethod
    def _job(item: dict[str, Any], rejections: list[Rejection]) -> Job:
        public = {k: v for k, v in item.items() if k not in _INTERNAL}
        return Job(**public, rejections=rejections)

    # ------------------------------------------------------------------ writes

    def create(self, job: Job) -> bool:
        """Store a new job; False if it exists already (an S3 drop seen twice)."""
        item = job.model_dump(mode="json", exclude={"rejections"}, exclude_none=True)
        expires_at = int(time.time()) + RETENTION_S
        item.update(sk=JOB_SK, expires_at=expires_at)
        try:
            call(
                "put_item", TableName=self.table, Item=to_attr(item), ConditionExpression="attribute_not_exists(job_id)"
            )
        except ConditionFailed:
            return False

        # the job's place in the list of recent jobs, once the job exists
        pointer = {"sk": f"{job.created_at}#{job.job_id}", "ref": job.job_id, "expires_at": expires_at}
        call("put_item", TableName=self.table, Item=to_attr({**pointer, "job_id": RECENT_PK}))
        if job.created_by:
            owned = {**pointer, "job_id": recent_pk(job.created_by)}
            call("put_item", TableName=self.table, Item=to_attr(owned))
        return True

    def _update(
        self,
        job_id: str,
        expression: str,
        values: dict[str, Any],
        *,
        condition: str | None = None,
        names: dict[str, str] | None = None,
    ) -> dict[str, Any] | None:
        """UpdateItem returning the new item, or None when the condition failed."""
        args: dict[str, Any] = {
            "TableName": self.table,
            "Key": to_attr({"job_id": job_id, "sk": JOB_SK}),
            "UpdateExpression": expression,
            "ExpressionAttributeValues": to_attr({**values, ":now": iso_now()}),
            "ReturnValues": "ALL_NEW",
        }
        args["ConditionExpression"] = "attribute_exists(job_id)" + (f" AND ({condition})" if condition else "")
        # DynamoDB refuses names that the expressions do not use
        used = {"#s": "status", **(names or {})}
        text = expression + args["ConditionExpression"]
        if any(k in text for k in used):
            args["ExpressionAttributeNames"] = {k: v for k, v in used.items() if k in text}
        try:
            return from_attr(call("update_item", **args)["Attributes"])
        except ConditionFailed:
            return None

    def mark_uploaded(self, job_id: str, object_key: str, size_bytes: int) -> None:
        self._update(
            job_id,
            "SET #s = :uploaded, object_key = :k, size_bytes = :n, updated_at = :now",
            {
                ":uploaded": JobStatus.UPLOADED.value,
                ":uploading": JobStatus.UPLOADING.value,
                ":k": object_key,
                ":n": size_bytes,
            },
            condition="#s = :uploading",
        )

    def start_processing(self, job_id: str, size_bytes: int | None = None) -> Job:
        """Move the job to processing. A job being processed again (a redelivery) stays so."""
        values: dict[str, Any] = {":p": JobStatus.PROCESSING.value}
        values.update({f":a{i}": s.value for i, s in enumerate(ACTIVE)})
        expression = "SET #s = :p, updated_at = :now"
        if size_bytes is not None:
            expression += ", size_bytes = :n"
            values[":n"] = size_bytes
        item = self._update(job_id, expression, values, condition="#s IN (:a0, :a1, :a2)")
        if item is None:
            current = self.get(job_id, with_rejections=False)
            raise JobCancelled(f"job {job_id} is {current.status.value}")
        return self._job(item, [])

    def add_rejections(self, job_id: str, rejections: Iterable[Rejection]) -> int:
        """Write rejected rows (idempotent per worksheet and row); returns BatchWriteItem calls."""
        return batch_put((self.table, self._rejection_item(job_id, r)) for r in rejections)

    def _rejection_item(self, job_id: str, rejection: Rejection) -> dict[str, Any]:
        return {
            "job_id": job_id,
            "sk": rejection_sk(rejection.worksheet, rejection.row),
            "worksheet": rejection.worksheet,
            "row": rejection.row,
            "reason": rejection.reason,
            "expires_at": int(time.time()) + RETENTION_S,
        }

    def finish_split(self, job_id: str, *, rows_total: int, rows_rejected: int, batches_total: int) -> Job:
        """Record what the splitter produced; the job completes here if every batch is already in."""
        item = self._update(
            job_id,
            "SET rows_total = :t, batches_total = :b, split_done = :y, updated_at = :now ADD rows_rejected :r",
            {":t": rows_total, ":b": batches_total, ":y": True, ":r": rows_rejected},
            condition="attribute_not_exists(split_done)",
        )
        if item is None:  # a redelivered split: the first one already counted
            return self.get(job_id, with_rejections=False)
        return self._complete_if_done(job_id, item)

    def record_batch(
        self, job_id: str, batch_id: str, *, stored: int, rejected: int, duplicates: int = 0, llm_calls: int = 0
    ) -> Job | None:
        """Count a processed batch once. Returns None when the batch was counted before."""
        expression = (
            "SET updated_at = :now ADD leads_stored :s, rows_rejected :r, leads_duplicate :d, llm_calls :l, "
            "batches_done :one, done_batches :ids"
        )
        if llm_calls:
            expression = expression.replace("SET updated_at = :now", "SET updated_at = :now, rules_only = :f")
        values: dict[str, Any] = {
            ":s": stored,
            ":r": rejected,
            ":d": duplicates,
            ":l": llm_calls,
            ":one": 1,
            ":ids": {batch_id},
            ":bid": batch_id,
        }
        if llm_calls:
            values[":f"] = False
        item = self._update(job_id, expression, values, condition="NOT contains(done_batches, :bid)")
        if item is None:
            return None
        return self._complete_if_done(job_id, item)

    def _complete_if_done(self, job_id: str, item: dict[str, Any]) -> Job:
        done = item.get("split_done") and item.get("batches_done", 0) >= item.get("batches_total", -1)
        if done and item["status"] == JobStatus.PROCESSING.value:
            completed = self._update(
                job_id,
                "SET #s = :c, updated_at = :now",
                {":c": JobStatus.COMPLETED.value, ":p": JobStatus.PROCESSING.value},
                condition="#s = :p",
            )
            item = completed or item
        return self._job(item, [])

    def cancel(self, job_id: str) -> Job:
        values: dict[str, Any] = {":x": JobStatus.CANCELLED.value}
        values.update({f":a{i}": s.value for i, s in enumerate(ACTIVE)})
        item = self._update(job_id, "SET #s = :x, updated_at = :now", values, condition="#s IN (:a0, :a1, :a2)")
        if item is None:
            job = self.get(job_id, with_rejections=False)
            raise Conflict(f"job {job_id} is already {job.status.value} and cannot be cancelled")
        return self._job(item, [])

    def fail(self, job_id: str, reason: str) -> Job | None:
        """Fail an active job with a reason a person understands."""
        values: dict[str, Any] = {":f": JobStatus.FAILED.value, ":e": reason}
        values.update({f":a{i}": s.value for i, s in enumerate(ACTIVE)})
        item = self._update(
            job_id,
            "SET #s = :f, #e = :e, updated_at = :now",
            values,
            condition="#s IN (:a0, :a1, :a2)",
            names={"#e": "error"},
        )
        return self._job(item, []) if item else None
