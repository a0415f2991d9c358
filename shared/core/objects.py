"""The object store as the domain sees it: put a finished object, fetch one to a local file.

The domain classes take these Protocols so unit tests can hand them an in-memory store; the
S3-backed `S3Objects` is what the handlers use.
"""

from __future__ import annotations

from typing import Protocol

from shared.core.aws import client


class ObjectWriter(Protocol):
    def put(self, bucket: str, key: str, body: bytes, *, content_type: str) -> None: ...


class ObjectReader(Protocol):
    def download(self, bucket: str, key: str, path: str) -> None:
        """Copy the object to the local file `path` (streamed: objects may be far larger than memory)."""
        ...


class S3Objects:
    """Both sides against S3, through the lazily built client."""

    def put(self, bucket: str, key: str, body: bytes, *, content_type: str) -> None:
        client("s3").put_object(Bucket=bucket, Key=key, Body=body, ContentType=content_type)

    def download(self, bucket: str, key: str, path: str) -> None:
        client("s3").download_file(bucket, key, path)
