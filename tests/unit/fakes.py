"""In-memory stand-ins for the Protocols the domain classes take: the job ledger, SQS, the object
store and the event bus. Each keeps the rules its real counterpart keeps (the ledger's conditions,
SQS's per-call limits), so a test of the domain logic fails when the logic breaks, not the fake."""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from shared.core.errors import Conflict, JobCancelled, NotFound
from shared.core.models import Job, JobStatus, Rejection
from shared.ingestion.jobs import ACTIVE


@dataclass
class FakeJobLedger:
    """JobRepository's conditions, in memory (see `JobLedger`)."""

    jobs: dict[str, Job] = field(default_factory=dict)
    rejections: dict[str, dict[tuple[str, int], Rejection]] = field(default_factory=dict)
    counted: dict[str, set[str]] = field(default_factory=dict)
    split_done: set[str] = field(default_factory=set)
    status_reads: int = 0

    def _job(self, job_id: str) -> Job:
        if job_id not in self.jobs:
            raise NotFound(f"job {job_id} not found")
        return self.jobs[job_id]

    def _set(self, job_id: str, **changes: Any) -> Job:
        self.jobs[job_id] = self._job(job_id).model_copy(update=changes)
        return self.jobs[job_id]

    def status(self, job_id: str) -> JobStatus | None:
        self.status_reads += 1
        job = self.jobs.get(job_id)
        return job.status if job else None

    def create(self, job: Job) -> bool:
        if job.job_id in self.jobs:
            return False
        self.jobs[job.job_id] = job.model_copy()
        return True

    def start_processing(self, job_id: str, size_bytes: int | None = None) -> Job:
        job = self._job(job_id)
        if job.status not in ACTIVE:
            raise JobCancelled(f"job {job_id} is {job.status.value}")
        changes: dict[str, Any] = {"status": JobStatus.PROCESSING}
        if size_bytes is not None:
            changes["size_bytes"] = size_bytes
        return self._set(job_id, **changes)

    def add_rejections(self, job_id: str, rejections: Iterable[Rejection]) -> int:
        listed = list(rejections)
        for r in listed:
            self.rejections.setdefault(job_id, {})[(r.worksheet or "", r.row)] = r
        return math.ceil(len(listed) / 25)

    def finish_split(self, job_id: str, *, rows_total: int, rows_rejected: int, batches_total: int) -> Job:
        job = self._job(job_id)
        if job_id in self.split_done:
            return job
        self.split_done.add(job_id)
        self._set(
            job_id, rows_total=rows_total, batches_total=batches_total, rows_rejected=job.rows_rejected + rows_rejected
        )
        return self._complete_if_done(job_id)

    def record_batch(
        self, job_id: str, batch_id: str, *, stored: int, rejected: int, duplicates: int = 0, llm_calls: int = 0
    ) -> Job | None:
        job = self.jobs.get(job_id)
        if job is None or batch_id in self.counted.setdefault(job_id, set()):
            return None
        self.counted[job_id].add(batch_id)
        self._set(
            job_id,
            leads_stored=job.leads_stored + stored,
            rows_rejected=job.rows_rejected + rejected,
            leads_duplicate=job.leads_duplicate + duplicates,
            llm_calls=job.llm_calls + llm_calls,
            rules_only=job.rules_only and not llm_calls,
            batches_done=job.batches_done + 1,
        )
        return self._complete_if_done(job_id)

    def _complete_if_done(self, job_id: str) -> Job:
        job = self._job(job_id)
        done = job_id in self.split_done and job.batches_done >= (job.batches_total or 0)
        if done and job.status == JobStatus.PROCESSING:
            return self._set(job_id, status=JobStatus.COMPLETED)
        return job

    def fail(self, job_id: str, reason: str) -> Job | None:
        job = self.jobs.get(job_id)
        if job is None or job.status not in ACTIVE:
            return None
        return self._set(job_id, status=JobStatus.FAILED, error=reason)

    def cancel(self, job_id: str) -> Job:
        job = self._job(job_id)
        if job.status not in ACTIVE:
            raise Conflict(f"job {job_id} is already {job.status.value} and cannot be cancelled")
        return self._set(job_id, status=JobStatus.CANCELLED)


@dataclass
class FakeSqs:
    """SQS as `SqsSender` sees it: bodies per queue URL, SendMessageBatch's ten-entry limit enforced.

    `fail_once` ids fail (not the sender's fault) on their first batch call, as a throttled entry does.
    `on_batch` runs after each accepted batch call (a test uses it to act "meanwhile")."""

    sent: dict[str, list[str]] = field(default_factory=dict)
    delays: list[int] = field(default_factory=list)
    batch_calls: int = 0
    fail_once: set[str] = field(default_factory=set)
    on_batch: Callable[[], None] | None = None

    def send_message(self, *, QueueUrl: str, MessageBody: str, DelaySeconds: int = 0) -> dict[str, Any]:
        self.sent.setdefault(QueueUrl, []).append(MessageBody)
        self.delays.append(DelaySeconds)
        return {"MessageId": str(len(self.sent[QueueUrl]))}

    def send_message_batch(self, *, QueueUrl: str, Entries: list[dict[str, str]]) -> dict[str, Any]:
        assert 1 <= len(Entries) <= 10, "SQS takes one to ten entries a call"
        self.batch_calls += 1
        failed = [{"Id": e["Id"], "SenderFault": False} for e in Entries if e["Id"] in self.fail_once]
        self.fail_once.clear()
        failed_ids = {f["Id"] for f in failed}
        self.sent.setdefault(QueueUrl, []).extend(e["MessageBody"] for e in Entries if e["Id"] not in failed_ids)
        if self.on_batch:
            self.on_batch()
        return {"Failed": failed} if failed else {"Successful": [{"Id": e["Id"]} for e in Entries]}

    def messages(self, queue_url: str) -> list[dict[str, Any]]:
        return [json.loads(b) for b in self.sent.get(queue_url, [])]


@dataclass
class FakeObjects:
    """The object store: `put` keeps bytes, `download` writes them to the given path."""

    objects: dict[tuple[str, str], bytes] = field(default_factory=dict)
    content_types: dict[tuple[str, str], str] = field(default_factory=dict)
    downloads: int = 0

    def put(self, bucket: str, key: str, body: bytes, *, content_type: str) -> None:
        self.objects[(bucket, key)] = body
        self.content_types[(bucket, key)] = content_type

    def download(self, bucket: str, key: str, path: str) -> None:
        self.downloads += 1
        if (bucket, key) not in self.objects:
            raise NotFound(f"no object {bucket}/{key}")
        Path(path).write_bytes(self.objects[(bucket, key)])


@dataclass
class FakeBus:
    """Published events as (bus, source, detail type, detail), in order."""

    events: list[tuple[str, str, str, dict[str, Any]]] = field(default_factory=list)

    def publish(self, bus: str, source: str, detail_type: str, details: Iterable[Mapping[str, Any]]) -> int:
        listed = [dict(d) for d in details]
        self.events.extend((bus, source, detail_type, d) for d in listed)
        return math.ceil(len(listed) / 10)

    def details(self, detail_type: str) -> list[dict[str, Any]]:
        return [d for _, _, t, d in self.events if t == detail_type]


@contextmanager
def in_process_aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """moto inside this process (no network) with test credentials, whatever the shell or a live
    local runtime set; the shared clients are rebuilt on both sides of it."""
    from moto import mock_aws

    from shared.core import aws

    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    monkeypatch.delenv("AWS_ENDPOINT_URL_DYNAMODB", raising=False)
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
    }.items():
        monkeypatch.setenv(name, value)
    aws.reset_clients()
    try:
        with mock_aws():
            yield
    finally:
        aws.reset_clients()
