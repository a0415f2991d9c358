"""Rows to SQS: messages sized by bytes, sent ten at a time with SendMessageBatch.

A message carries as many rows as fit in `message_bytes` (not a fixed ten leads), and one
SendMessageBatch call carries up to ten messages within the SQS request limit.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from typing import Any, Protocol

from shared.core import limits
from shared.core.aws import client

SQS_BATCH_ENTRIES = limits.SQS_BATCH_ENTRIES
#: SendMessageBatch's payload limit, the sum of all bodies in one call (1 MiB since 2025)
SQS_BATCH_BYTES = limits.SQS_BATCH_BYTES
_ENVELOPE_SLACK = 512


class SqsSender(Protocol):
    """What senders need from SQS: boto3's SQS client has this shape, and unit tests pass an in-memory queue."""

    def send_message(self, *, QueueUrl: str, MessageBody: str, DelaySeconds: int = 0) -> dict[str, Any]: ...

    def send_message_batch(self, *, QueueUrl: str, Entries: list[dict[str, str]]) -> dict[str, Any]: ...


def sqs_client() -> SqsSender:
    """The real SQS client (built on first use)."""
    sender: SqsSender = client("sqs")
    return sender


def encode(obj: Any) -> str:
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False)


@dataclass
class BatchSender:
    """Buffers message bodies and sends them with SendMessageBatch (10 entries a call)."""

    queue_url: str
    #: None: the real SQS client, built on first send
    sqs: SqsSender | None = None
    calls: int = 0
    sent: int = 0
    _entries: list[tuple[str, str]] = field(default_factory=list)
    _bytes: int = 0

    def add(self, message_id: str, body: str) -> None:
        size = len(body.encode())
        if self._entries and (len(self._entries) >= SQS_BATCH_ENTRIES or self._bytes + size > SQS_BATCH_BYTES):
            self.flush()
        self._entries.append((message_id, body))
        self._bytes += size

    def flush(self) -> None:
        entries = [{"Id": str(i), "MessageBody": body} for i, (_, body) in enumerate(self._entries)]
        attempt = 0
        while entries:
            self.calls += 1
            response = (self.sqs or sqs_client()).send_message_batch(QueueUrl=self.queue_url, Entries=entries)
            failed = {f["Id"] for f in response.get("Failed", []) if not f.get("SenderFault")}
            sender_faults = [f for f in response.get("Failed", []) if f.get("SenderFault")]
            if sender_faults:
                raise RuntimeError(f"SQS refused messages: {sender_faults[0].get('Message')}")
            self.sent += len(entries) - len(failed)
            entries = [e for e in entries if e["Id"] in failed]
            if entries:
                attempt += 1
                if attempt > 5:
                    raise RuntimeError("SQS kept failing to accept messages")
                time.sleep(0.1 * 2**attempt)
        self._entries.clear()
        self._bytes = 0


@dataclass
class RowBatcher:
    """Groups rows of one job into messages of at most `message_bytes`, numbered b000001, b000002..."""

    job_id: str
    sender: BatchSender
    message_bytes: int
    header: dict[str, Any] = field(default_factory=dict)
    batches: int = 0
    rows: int = 0
    _rows: list[str] = field(default_factory=list)
    _size: int = 0

    @property
    def max_row_bytes(self) -> int:
        """The largest encoded row a message can carry beside its envelope."""
        return self.message_bytes - 1024

    def add(self, worksheet: str | None, row: int, values: dict[str, str]) -> bool:
        """Queue a row; False (and nothing queued) when the row alone is too large for a message."""
        encoded = encode({"w": worksheet, "r": row, "v": values})
        size = len(encoded.encode()) + 1
        if size > self.max_row_bytes:
            return False
        if self._rows and self._size + size + _ENVELOPE_SLACK > self.message_bytes:
            self._flush_message()
        self._rows.append(encoded)
        self._size += size
        self.rows += 1
        return True

    def _flush_message(self) -> None:
        self.batches += 1
        batch_id = f"b{self.batches:06d}"
        head = encode({**self.header, "job_id": self.job_id, "batch_id": batch_id})
        body = head[:-1] + ',"rows":[' + ",".join(self._rows) + "]}"
        self.sender.add(batch_id, body)
        self._rows.clear()
        self._size = 0

    def close(self) -> int:
        """Send what is buffered; returns the number of batches."""
        if self._rows:
            self._flush_message()
        if self.sender._entries:
            self.sender.flush()
        return self.batches
