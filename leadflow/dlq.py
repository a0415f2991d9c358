"""Dead-letter queue tools for `leadflow dlq`: the depth of every queue, and moving messages back.

They talk to SQS directly under the stage's names: the local runtime's AWS (its endpoint from
`.leadflow/local.json`, or `--endpoint`) or the real one with the caller's credentials.
Redrive uses SQS `StartMessageMoveTask` where the service has it; the local AWS (moto) does not,
so a receive-send-delete loop does the same there (send first, delete after: a crash in between
leaves a copy in both queues, never in neither; consumers are idempotent).
"""

from __future__ import annotations

import json
import time
from typing import Any

import boto3
from botocore.config import Config

from leadflow import wiring
from leadflow.client import LOCAL_STATE
from leadflow.config import StageConfig

#: error codes that mean "this SQS has no message move tasks" (moto answers 500 / not implemented)
_NO_MOVE_TASKS = {"InternalFailure", "InternalError", "NotImplemented", "InvalidAction", "UnsupportedOperation", "500"}


#: seconds a receive in the redrive loop waits for messages
_LONG_POLL_S = 1


def local_endpoint() -> str | None:
    if LOCAL_STATE.exists():
        return str(json.loads(LOCAL_STATE.read_text()).get("aws_endpoint") or "") or None
    return None


def sqs_client(config: StageConfig, endpoint: str | None, *, retries: int = 5, timeout: float | None = None) -> Any:
    """An SQS client; `timeout` bounds connecting and each answer (a receive long-polls one more second)."""
    limits: dict[str, Any] = {}
    if timeout is not None:
        limits = {"connect_timeout": timeout, "read_timeout": timeout + _LONG_POLL_S}
    kwargs: dict[str, Any] = {
        "region_name": config.region,
        "config": Config(retries={"mode": "standard", "max_attempts": retries}, **limits),
    }
    if endpoint:
        kwargs.update(endpoint_url=endpoint, aws_access_key_id="local", aws_secret_access_key="local")
    return boto3.client("sqs", **kwargs)


def _attributes(sqs: Any, name: str) -> dict[str, str]:
    url = sqs.get_queue_url(QueueName=name)["QueueUrl"]
    attrs: dict[str, str] = sqs.get_queue_attributes(
        QueueUrl=url,
        AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible", "QueueArn"],
    )["Attributes"]
    return {**attrs, "QueueUrl": url}


def depths(config: StageConfig, sqs: Any) -> list[dict[str, Any]]:
    """Per declared queue: its messages and its dead-letter queue's."""
    rows = []
    for queue in wiring.QUEUES:
        main = _attributes(sqs, config.name(queue.key))
        dead = _attributes(sqs, config.name(f"{queue.key}-dlq"))
        rows.append(
            {
                "queue": queue.key,
                "domain": queue.domain,
                "visible": int(main["ApproximateNumberOfMessages"]),
                "in_flight": int(main["ApproximateNumberOfMessagesNotVisible"]),
                "dead_letters": int(dead["ApproximateNumberOfMessages"]),
            }
        )
    return rows


def redrive(
    config: StageConfig,
    sqs: Any,
    queue_key: str,
    *,
    endpoint: str | None = None,
    limit: int | None = None,
    timeout: float | None = None,
) -> dict[str, Any]:
    """Move the dead letters of `queue_key` back to it."""
    if queue_key not in {q.key for q in wiring.QUEUES}:
        known = ", ".join(q.key for q in wiring.QUEUES)
        raise ValueError(f"no queue {queue_key!r}; the queues are {known}")
    main = _attributes(sqs, config.name(queue_key))
    dead = _attributes(sqs, config.name(f"{queue_key}-dlq"))
    waiting = int(dead["ApproximateNumberOfMessages"])
    if limit is None:
        # one try, no retries: an SQS without move tasks answers 500, which would otherwise be retried
        once = sqs_client(config, endpoint, retries=1, timeout=timeout)
        try:
            task = once.start_message_move_task(SourceArn=dead["QueueArn"], DestinationArn=main["QueueArn"])
            return {
                "queue": queue_key,
                "method": "StartMessageMoveTask",
                "task": task.get("TaskHandle"),
                "waiting": waiting,
            }
        except Exception as exc:
            response = getattr(exc, "response", None) or {}
            code = str(response.get("Error", {}).get("Code", ""))
            status = str(response.get("ResponseMetadata", {}).get("HTTPStatusCode", ""))
            if code not in _NO_MOVE_TASKS and status != "500":
                raise
    moved = _move(sqs, dead["QueueUrl"], main["QueueUrl"], limit)
    return {"queue": queue_key, "method": "receive-send-delete", "moved": moved, "waiting": waiting}


def _move(sqs: Any, source: str, target: str, limit: int | None, *, deadline_s: float = 300.0) -> int:
    moved = 0
    empty_rounds = 0
    deadline = time.monotonic() + deadline_s
    while (limit is None or moved < limit) and empty_rounds < 2 and time.monotonic() < deadline:
        want = 10 if limit is None else min(10, limit - moved)
        messages = sqs.receive_message(
            QueueUrl=source,
            MaxNumberOfMessages=want,
            WaitTimeSeconds=_LONG_POLL_S,
            VisibilityTimeout=60,
            MessageAttributeNames=["All"],
        ).get("Messages", [])
        if not messages:
            empty_rounds += 1
            continue
        empty_rounds = 0
        entries = []
        for i, m in enumerate(messages):
            entry: dict[str, Any] = {"Id": str(i), "MessageBody": m["Body"]}
            if m.get("MessageAttributes"):
                entry["MessageAttributes"] = m["MessageAttributes"]
            entries.append(entry)
        sent = sqs.send_message_batch(QueueUrl=target, Entries=entries)
        ok = {s["Id"] for s in sent.get("Successful", [])}
        done = [{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(messages) if str(i) in ok]
        if done:
            sqs.delete_message_batch(QueueUrl=source, Entries=done)
        moved += len(done)
    return moved
