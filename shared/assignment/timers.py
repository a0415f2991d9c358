"""The assignment timers: delayed SQS messages on the expiry queue, read by the expiry consumer.

The messages are models (`Timer`, one per assignment, and `GraceTimer`, one per agent left without a
connection, in `shared.core.models`; `parse_timer` reads either); this module sends them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from shared.core.aws import client
from shared.core.models import GraceTimer, Timer

#: SQS's longest per-message delay
MAX_DELAY_S = 900


class Timers(Protocol):
    def schedule(self, timers: Sequence[Timer]) -> None: ...


class GraceTimers(Protocol):
    def start_grace(self, timer: GraceTimer, delay_s: int) -> None: ...


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

    def start_grace(self, timer: GraceTimer, delay_s: int) -> None:
        if not 0 <= delay_s <= MAX_DELAY_S:
            raise ValueError(f"a grace of {delay_s} s cannot be an SQS delay (0 to {MAX_DELAY_S} s)")
        client("sqs").send_message(QueueUrl=self.queue_url, MessageBody=timer.body(), DelaySeconds=delay_s)
