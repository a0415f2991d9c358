"""The assignment timer: one delayed SQS message per assignment, read by the expiry consumer.

The message names the assignment attempt, so a timer that fires after a disposition (or after a
transaction that never committed) finds nothing to take back and does nothing.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Protocol

from shared.core.aws import client

#: SQS's longest per-message delay
MAX_DELAY_S = 900


@dataclass(frozen=True)
class Timer:
    email_id: str
    user_id: str
    attempt: str

    def body(self) -> str:
        return json.dumps(asdict(self), separators=(",", ":"))

    @classmethod
    def parse(cls, body: str) -> Timer:
        data = json.loads(body)
        return cls(email_id=str(data["email_id"]), user_id=str(data["user_id"]), attempt=str(data["attempt"]))


class Timers(Protocol):
    def schedule(self, timers: Sequence[Timer]) -> None: ...


class SqsTimers:
    def __init__(self, queue_url: str, delay_s: int) -> None:
        if not 0 <= delay_s <= MAX_DELAY_S:
            raise ValueError(f"an assignment timeout of {delay_s} s cannot be an SQS delay (0 to {MAX_DELAY_S} s)")
        self.queue_url = queue_url
        self.delay_s = delay_s

    def schedule(self, timers: Sequence[Timer]) -> None:
        sqs = client("sqs")
        if len(timers) == 1:
            sqs.send_message(QueueUrl=self.queue_url, MessageBody=timers[0].body(), DelaySeconds=self.delay_s)
            return
        for start in range(0, len(timers), 10):
            chunk = timers[start : start + 10]
            response = sqs.send_message_batch(
                QueueUrl=self.queue_url,
                Entries=[
                    {"Id": str(i), "MessageBody": t.body(), "DelaySeconds": self.delay_s} for i, t in enumerate(chunk)
                ],
            )
            if response.get("Failed"):
                raise RuntimeError(f"SQS refused {len(response['Failed'])} assignment timers")
