"""The splitter's domain logic: an object in the bucket becomes batches of rows on the queue.

An object under `uploads/{job}/` belongs to a job made by the REST API; a JSON object dropped
under `raw/` gets a job of its own, named after the object so a second event makes no second job.
A file that cannot be read fails its job with the reader's reason; a bad row is listed and the
good rows go on.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from dataclasses import dataclass, field
from typing import Any

from shared.core.batching import BatchSender, RowBatcher, SqsSender
from shared.core.errors import JobCancelled, NotFound
from shared.core.models import Job, JobStatus, Rejection
from shared.core.objects import ObjectReader, S3Objects
from shared.core.observability import logger
from shared.ingestion.files.readers import FileRejected, Row, RowRejection, read_rows
from shared.ingestion.jobs import JobLedger
from shared.ingestion.uploads import RAW_PREFIX, job_id_from_key, mb

#: how often (in batches) a long split checks whether its job was cancelled
CANCEL_CHECK_EVERY = 20
_REJECTION_FLUSH = 25


@dataclass(frozen=True)
class S3Object:
    bucket: str
    key: str
    size: int
    etag: str = ""


@dataclass
class SplitResult:
    job_id: str | None
    status: str
    rows: int = 0
    batches: int = 0
    rejected: int = 0


@dataclass
class Splitter:
    jobs: JobLedger
    queue_url: str
    max_object_bytes: int
    max_uncompressed_bytes: int
    message_bytes: int
    objects: ObjectReader = field(default_factory=S3Objects)
    #: None: the real SQS client
    sqs: SqsSender | None = None

    def job_for(self, obj: S3Object) -> str | None:
        job_id = job_id_from_key(obj.key)
        if job_id:
            return job_id
        if obj.key.startswith(RAW_PREFIX) and not obj.key.endswith("/"):
            job_id = "raw-" + hashlib.sha256(f"{obj.bucket}/{obj.key}/{obj.etag}".encode()).hexdigest()[:24]
            created = self.jobs.create(
                Job(
                    job_id=job_id,
                    status=JobStatus.UPLOADED,
                    filename=obj.key.rsplit("/", 1)[-1],
                    source="s3-drop",
                    object_key=obj.key,
                    size_bytes=obj.size,
                )
            )
            if created:
                logger.info("job created for dropped object", job_id=job_id, key=obj.key)
            return job_id
        return None

    def give_up(self, obj: S3Object, attempts: int) -> SplitResult:
        """Fail the job of an object whose earlier reads never finished (a reader that took the
        process down leaves no exception to catch), instead of trying until the dead-letter queue."""
        job_id = self.job_for(obj)
        if job_id is None:
            return SplitResult(None, "ignored")
        reason = (
            f"Reading the file stopped unexpectedly {attempts} times; it may be damaged or far larger "
            "inside than it looks. Save it again (or as CSV) and upload it again."
        )
        self.jobs.fail(job_id, reason)
        logger.warning("split abandoned after repeated failures", job_id=job_id, attempts=attempts)
        return SplitResult(job_id, "failed")

    def split(self, obj: S3Object) -> SplitResult:
        job_id = self.job_for(obj)
        if job_id is None:
            logger.warning("object outside uploads/ and raw/ ignored", key=obj.key)
            return SplitResult(None, "ignored")
        try:
            job = self.jobs.start_processing(job_id, obj.size)
        except (JobCancelled, NotFound) as exc:
            logger.info("object not split", job_id=job_id, reason=str(exc))
            return SplitResult(job_id, "skipped")
        if obj.size > self.max_object_bytes:
            reason = f"The file is {mb(obj.size)}, over the {mb(self.max_object_bytes)} upload limit."
            self.jobs.fail(job_id, reason)
            return SplitResult(job_id, "failed")
        with tempfile.TemporaryDirectory(prefix="split-") as folder:
            path = os.path.join(folder, "object")
            self.objects.download(obj.bucket, obj.key, path)
            try:
                return self._split_file(job, path)
            except FileRejected as exc:
                logger.info("file rejected", job_id=job_id, reason=exc.reason)
                self.jobs.fail(job_id, exc.reason)
                return SplitResult(job_id, "failed")
            except JobCancelled:
                logger.info("split stopped: job cancelled", job_id=job_id)
                return SplitResult(job_id, "cancelled")

    def _split_file(self, job: Job, path: str) -> SplitResult:
        sender = BatchSender(self.queue_url, self.sqs)
        header: dict[str, Any] = {"source": job.source, "file": job.filename}
        batcher = RowBatcher(job.job_id, sender, self.message_bytes, header=header)
        rejections: list[Rejection] = []
        rejected = 0
        checked_at = 0
        for item in read_rows(path, job.filename, max_uncompressed_bytes=self.max_uncompressed_bytes):
            if isinstance(item, RowRejection):
                rejections.append(Rejection(worksheet=item.worksheet, row=item.row, reason=item.reason))
            elif isinstance(item, Row):
                added = batcher.add(item.worksheet, item.row, item.values)
                if not added:
                    reason = f"the row is larger than {batcher.max_row_bytes // 1024} KB"
                    rejections.append(Rejection(worksheet=item.worksheet, row=item.row, reason=reason))
            if len(rejections) >= _REJECTION_FLUSH:
                rejected += len(rejections)
                self.jobs.add_rejections(job.job_id, rejections)
                rejections.clear()
            if batcher.batches - checked_at >= CANCEL_CHECK_EVERY:
                checked_at = batcher.batches
                if self.jobs.status(job.job_id) == JobStatus.CANCELLED:
                    raise JobCancelled(job.job_id)
        batches = batcher.close()
        if rejections:
            rejected += len(rejections)
            self.jobs.add_rejections(job.job_id, rejections)
        final = self.jobs.finish_split(
            job.job_id, rows_total=batcher.rows + rejected, rows_rejected=rejected, batches_total=batches
        )
        logger.info(
            "file split",
            job_id=job.job_id,
            rows=batcher.rows,
            rejected=rejected,
            batches=batches,
            sqs_calls=sender.calls,
            status=final.status.value,
        )
        return SplitResult(job.job_id, final.status.value, batcher.rows, batches, rejected)
