"""An upload's job, its rejections, and the lead batches the splitter and the sources queue for the store step."""

from __future__ import annotations

from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from shared.core.models._base import _DEFERRED, iso_now


class JobStatus(StrEnum):
    UPLOADING = "uploading"
    UPLOADED = "uploaded"
    PROCESSING = "processing"
    COMPLETED = "completed"
    FAILED = "failed"
    CANCELLED = "cancelled"

    @property
    def is_final(self) -> bool:
        return self in (JobStatus.COMPLETED, JobStatus.FAILED, JobStatus.CANCELLED)


class Rejection(BaseModel):
    model_config = _DEFERRED

    worksheet: str | None = None
    row: int
    reason: str


class Job(BaseModel):
    """An upload's progress. Counters are updated atomically by the functions that do the work."""

    model_config = _DEFERRED

    job_id: str
    status: JobStatus
    filename: str
    source: str = "upload"
    object_key: str | None = None
    size_bytes: int | None = None
    rows_total: int = 0
    leads_stored: int = 0
    rows_rejected: int = 0
    leads_duplicate: int = 0
    llm_calls: int = 0
    #: true while no LLM took part (none configured, or the rules needed none)
    rules_only: bool = True
    batches_total: int | None = None
    batches_done: int = 0
    rejections: list[Rejection] = Field(default_factory=list)
    error: str | None = None
    created_by: str | None = None
    created_at: str = Field(default_factory=iso_now)
    updated_at: str = Field(default_factory=iso_now)

    def public(self) -> dict[str, Any]:
        """The job object the API and the CLI show."""
        return self.model_dump(mode="json")


class BatchRow(BaseModel):
    """One raw row on the lead-batches queue. Short names: SQS bills every 64 KB of a message."""

    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)

    #: the worksheet (None for CSV, JSON, a call or a form)
    w: str | None = None
    #: the row number a person sees in the file
    r: int
    #: header -> cell text, as read
    v: dict[str, str]


class LeadBatch(BaseModel):
    """A message on the lead-batches queue: rows for the store step, of one job or of a job-less
    source (a phone call, a web form), whose `batch_id` then keys the leads it makes."""

    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)

    job_id: str | None = None
    batch_id: str
    source: str = "upload"
    file: str | None = None
    rows: list[BatchRow]

    def body(self) -> str:
        return self.model_dump_json(exclude_none=False)


class PresignedPost(BaseModel):
    """Where and how a client sends its file straight to S3: a form POST to `url` with `fields`."""

    model_config = _DEFERRED

    url: str
    fields: dict[str, str]
    method: Literal["POST"] = "POST"


class PresignedUpload(BaseModel):
    """The answer of `POST /uploads/presign`: the job made for the file, and the form to send it with."""

    model_config = _DEFERRED

    job_id: str
    status: JobStatus
    upload: PresignedPost
    max_bytes: int
    expires_in: int


# ---------------------------------------------------------------- S3's notifications on the uploads queue


class S3ObjectRef(BaseModel):
    model_config = ConfigDict(extra="ignore", defer_build=True)

    key: str
    size: int = 0
    etag: str = Field(default="", alias="eTag")


class S3BucketRef(BaseModel):
    model_config = ConfigDict(extra="ignore", defer_build=True)

    name: str


class S3Entity(BaseModel):
    model_config = ConfigDict(extra="ignore", defer_build=True)

    bucket: S3BucketRef
    object: S3ObjectRef


class S3EventRecord(BaseModel):
    model_config = ConfigDict(extra="ignore", defer_build=True)

    eventName: str = ""
    #: an object-created record has it; other records (say, a test event's) need not
    s3: S3Entity | None = None


class S3Notification(BaseModel):
    """An S3 event notification as SQS delivers it. The test event S3 sends when notifications are
    configured (`s3:TestEvent`) has no `Records`."""

    model_config = ConfigDict(extra="ignore", defer_build=True)

    Records: list[S3EventRecord] = Field(default_factory=list)
