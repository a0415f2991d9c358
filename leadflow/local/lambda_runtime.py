"""Running handlers in-process as Lambda would: a context object, and SQS event source mappings.

An event source mapping here does what Lambda's does: long-poll the queue, wait up to the
batching window to fill a batch, invoke with an SQS event, delete what succeeded and leave
reported failures (`batchItemFailures`) to come back after the visibility timeout, until the
queue's redrive policy moves them to the dead-letter queue.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from leadflow.local.registry import Handler, LocalFunction
from shared.core import limits

REGION_ENV = "AWS_DEFAULT_REGION"


class LambdaContext:
    """The attributes of Lambda's context object that handlers and Powertools read."""

    def __init__(self, fn: LocalFunction, region: str, account: str) -> None:
        self.function_name = fn.name
        self.function_version = "$LATEST"
        self.invoked_function_arn = f"arn:aws:lambda:{region}:{account}:function:{fn.name}"
        self.memory_limit_in_mb = fn.memory_mb
        self.aws_request_id = str(uuid.uuid4())
        self.log_group_name = f"/aws/lambda/{fn.name}"
        self.log_stream_name = "local"
        self._deadline = time.monotonic() + fn.timeout_s

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


class FunctionTimedOut(Exception):
    """The invocation ran past its function's declared timeout (Lambda's "Task timed out")."""


class ResponseTooLarge(Exception):
    """The function returned more than a synchronous invocation may (Lambda's "Function.ResponseSizeTooLarge")."""


def response_bytes(result: Any) -> int:
    """The size of a handler's result as Lambda's runtime serializes it (JSON)."""
    return len(json.dumps(result, default=str).encode())


def event_bytes(event: Any) -> int:
    """The size of an invocation's payload (the event as JSON)."""
    return len(json.dumps(event).encode())


@dataclass
class Invoker:
    """Invokes one function. Functions whose module keeps per-request state (the REST resolver)
    get one execution environment at a time, as a single Lambda instance would."""

    fn: LocalFunction
    region: str
    account: str
    serialize: bool = True
    #: Lambda's limit on a synchronous invocation's response (0: not checked)
    max_response_bytes: int = limits.LAMBDA_SYNC_RESPONSE_ENFORCED_BYTES
    invocations: int = 0
    errors: int = 0
    _handler: Handler | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _count_lock: threading.Lock = field(default_factory=threading.Lock)

    def __call__(self, event: dict[str, Any]) -> Any:
        if self._handler is None:
            self._handler = self.fn.load()
        context = LambdaContext(self.fn, self.region, self.account)
        with self._count_lock:
            self.invocations += 1
        try:
            if self.serialize:
                with self._lock:
                    result = self._handler(event, context)
            else:
                result = self._handler(event, context)
        except Exception:
            with self._count_lock:
                self.errors += 1
            raise
        if context.get_remaining_time_in_millis() <= 0:
            # Lambda would have cut the invocation off: its caller sees an error, never the result
            # (an SQS batch comes back whole). A thread cannot be killed here, so the work ran to its
            # end; what counts is that nobody may rely on an invocation that overran.
            with self._count_lock:
                self.errors += 1
            raise FunctionTimedOut(f"{self.fn.name}: Task timed out after {self.fn.timeout_s} seconds")
        if self.max_response_bytes and response_bytes(result) > self.max_response_bytes:
            # every invocation here is synchronous (a REST or WebSocket route, an authorizer, an SQS
            # event source mapping): Lambda refuses the result and its caller sees a function error
            with self._count_lock:
                self.errors += 1
            raise ResponseTooLarge(
                f"{self.fn.name}: Response payload size exceeded maximum allowed payload size"
                f" ({self.max_response_bytes} bytes)."
            )
        return result


def sqs_record(message: dict[str, Any], queue_arn: str, region: str) -> dict[str, Any]:
    return {
        "messageId": message["MessageId"],
        "receiptHandle": message["ReceiptHandle"],
        "body": message["Body"],
        "attributes": message.get("Attributes", {}),
        "messageAttributes": {
            k: {
                "stringValue": v.get("StringValue"),
                "binaryValue": v.get("BinaryValue"),
                "stringListValues": [],
                "binaryListValues": [],
                "dataType": v["DataType"],
            }
            for k, v in message.get("MessageAttributes", {}).items()
        },
        "md5OfBody": message.get("MD5OfBody", ""),
        "eventSource": "aws:sqs",
        "eventSourceARN": queue_arn,
        "awsRegion": region,
    }


@dataclass
class EventSourceMapping:
    """One SQS queue feeding one function, with `concurrency` pollers."""

    sqs: Any
    queue_url: str
    queue_arn: str
    invoke: Callable[[dict[str, Any]], Any]
    batch_size: int
    batching_window_s: float
    region: str
    concurrency: int = 1
    on_error: Callable[[BaseException], None] | None = None
    batches: int = 0
    _stop: threading.Event = field(default_factory=threading.Event)
    _threads: list[threading.Thread] = field(default_factory=list)
    _busy: int = 0
    _busy_lock: threading.Lock = field(default_factory=threading.Lock)

    def start(self) -> None:
        for i in range(self.concurrency):
            t = threading.Thread(target=self._loop, name=f"esm-{self.queue_url.rsplit('/', 1)[-1]}-{i}", daemon=True)
            t.start()
            self._threads.append(t)

    def stop(self) -> None:
        self._stop.set()
        for t in self._threads:
            t.join(timeout=5)

    @property
    def busy(self) -> bool:
        return self._busy > 0

    def _receive(self) -> list[dict[str, Any]]:
        messages: list[dict[str, Any]] = []
        deadline = time.monotonic() + self.batching_window_s
        while not self._stop.is_set():
            want = min(10, self.batch_size - len(messages))
            wait = 1 if not messages else max(0, min(1, int(deadline - time.monotonic())))
            response = self.sqs.receive_message(
                QueueUrl=self.queue_url,
                MaxNumberOfMessages=want,
                WaitTimeSeconds=wait,
                AttributeNames=["All"],
                MessageAttributeNames=["All"],
            )
            got = response.get("Messages", [])
            messages.extend(got)
            if len(messages) >= self.batch_size:
                break
            if messages and (time.monotonic() >= deadline or not got):
                break
        return messages

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                messages = self._receive()
            except Exception as exc:  # the local AWS going away at shutdown
                if self._stop.is_set():
                    return
                if self.on_error:
                    self.on_error(exc)
                time.sleep(0.5)
                continue
            if not messages:
                continue
            with self._busy_lock:
                self._busy += 1
            try:
                self._deliver(messages)
            finally:
                with self._busy_lock:
                    self._busy -= 1

    def _deliver(self, messages: list[dict[str, Any]]) -> None:
        event = {"Records": [sqs_record(m, self.queue_arn, self.region) for m in messages]}
        self.batches += 1
        try:
            response = self.invoke(event)
            failed = {f["itemIdentifier"] for f in (response or {}).get("batchItemFailures", [])}
        except Exception as exc:  # a function error fails the whole batch, as on Lambda
            failed = {m["MessageId"] for m in messages}
            if self.on_error:
                self.on_error(exc)
        done = [m for m in messages if m["MessageId"] not in failed]
        for start in range(0, len(done), 10):
            chunk = done[start : start + 10]
            self.sqs.delete_message_batch(
                QueueUrl=self.queue_url,
                Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(chunk)],
            )
