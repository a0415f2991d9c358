"""Starting an upload: the job record and where its file goes in the bucket."""

from __future__ import annotations

import re
import uuid
from pathlib import PurePosixPath, PureWindowsPath

from pydantic import BaseModel, ConfigDict, Field

from shared.core.aws import client
from shared.core.errors import BadInput, PayloadTooLarge
from shared.core.models import Job, JobStatus, PresignedPost, PresignedUpload
from shared.ingestion.jobs import JobRepository

UPLOAD_PREFIX = "uploads/"
RAW_PREFIX = "raw/"
PRESIGN_EXPIRES_S = 900
_UNSAFE = re.compile(r"[^A-Za-z0-9._ -]+")


class PresignRequest(BaseModel):
    """The body of POST /uploads/presign: the file about to be sent straight to S3."""

    # built at the first presign request, not at the cold start of the uploads function or the splitter
    model_config = ConfigDict(defer_build=True)

    filename: str = Field(min_length=1, description="the file's name; its extension picks the reader")
    size: int | None = Field(default=None, ge=0, description="bytes; a file over the limit is refused at once")
    content_type: str | None = Field(default=None, description="the Content-Type the form must send")


def safe_filename(name: str) -> str:
    base = PureWindowsPath(PurePosixPath(name).name).name.strip()
    cleaned = _UNSAFE.sub("_", base)[:200].strip(". ")
    if not cleaned:
        raise BadInput("a filename is needed (e.g. ?filename=leads.xlsx or a multipart file field)")
    return cleaned


def object_key(job_id: str, filename: str) -> str:
    return f"{UPLOAD_PREFIX}{job_id}/{safe_filename(filename)}"


def job_id_from_key(key: str) -> str | None:
    parts = key.split("/")
    return parts[1] if key.startswith(UPLOAD_PREFIX) and len(parts) >= 3 else None


def new_job_id() -> str:
    return uuid.uuid4().hex


def mb(n: int) -> str:
    return f"{n / (1024 * 1024):.1f} MB"


def parse_multipart(body: bytes, content_type: str) -> tuple[str, bytes]:
    """The first file part of a multipart/form-data body: (filename, content)."""
    # here, not at the top: only a multipart upload needs the email parser
    from email.parser import BytesParser
    from email.policy import HTTP

    message = BytesParser(policy=HTTP).parsebytes(b"Content-Type: " + content_type.encode() + b"\r\n\r\n" + body)
    if not message.is_multipart():
        raise BadInput("the multipart body could not be read")
    for part in message.iter_parts():
        filename = part.get_filename()
        if filename:
            payload = part.get_payload(decode=True)
            return filename, payload if isinstance(payload, bytes) else b""
    raise BadInput("the multipart body has no file field")


class Uploads:
    def __init__(self, *, jobs: JobRepository, bucket: str, max_direct_bytes: int, max_presigned_bytes: int) -> None:
        self.jobs = jobs
        self.bucket = bucket
        self.max_direct_bytes = max_direct_bytes
        self.max_presigned_bytes = max_presigned_bytes

    def direct(self, *, filename: str, content: bytes, created_by: str) -> Job:
        if len(content) > self.max_direct_bytes:
            raise PayloadTooLarge(
                f"the file is {mb(len(content))}, over the {mb(self.max_direct_bytes)} limit for direct uploads; "
                "ask for a presigned upload with POST /uploads/presign (`leadflow upload` does this by itself)"
            )
        job = Job(job_id=new_job_id(), status=JobStatus.UPLOADING, filename=filename, created_by=created_by)
        key = object_key(job.job_id, filename)
        job.object_key = key
        self.jobs.create(job)
        client("s3").put_object(Bucket=self.bucket, Key=key, Body=content)
        self.jobs.mark_uploaded(job.job_id, key, len(content))
        return job.model_copy(update={"status": JobStatus.UPLOADED, "size_bytes": len(content)})

    def presign(self, *, filename: str, size: int | None, content_type: str | None, created_by: str) -> PresignedUpload:
        if size is not None and size > self.max_presigned_bytes:
            raise PayloadTooLarge(f"the file is {mb(size)}, over the {mb(self.max_presigned_bytes)} upload limit")
        job = Job(job_id=new_job_id(), status=JobStatus.UPLOADING, filename=filename, created_by=created_by)
        key = object_key(job.job_id, filename)
        job.object_key = key
        self.jobs.create(job)
        content_type = content_type or "application/octet-stream"
        post = client("s3").generate_presigned_post(
            Bucket=self.bucket,
            Key=key,
            Fields={"Content-Type": content_type},
            Conditions=[["content-length-range", 1, self.max_presigned_bytes], {"Content-Type": content_type}],
            ExpiresIn=PRESIGN_EXPIRES_S,
        )
        return PresignedUpload(
            job_id=job.job_id,
            status=job.status,
            upload=PresignedPost(url=post["url"], fields=post["fields"]),
            max_bytes=self.max_presigned_bytes,
            expires_in=PRESIGN_EXPIRES_S,
        )
