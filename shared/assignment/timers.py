"""The assignment timers: delayed SQS messages on the expiry queue, read by the expiry consumer.

- `Timer`, one per assignment: it names the assignment attempt, so a timer that fires after a
  disposition (or after a transaction that never committed) finds nothing to take back and does nothing.
- `GraceTimer`, one per agent left without a connection: it names the grace it ends, so a timer
  that fires after the agent came back (and perhaps left again) does nothing.
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


@dataclass(frozen=True)
class GraceTimer:
    """The end of an agent's grace after its last connection closed."""

    user_id: str
    grace: str

    def body(self) -> str:
        return json.dumps({"kind": "grace", **asdict(self)}, separators=(",", ":"))


def parse(body: str) -> Timer | GraceTimer:
    """Either kind of timer message; ValueError, KeyError or TypeError for anything else."""
    data = json.loads(body)
    if data.get("kind") == "grace":
        return GraceTimer(user_id=str(data["user_id"]), grace=str(data["grace"]))
    return Timer(email_id=str(data["email_id"]), user_id=str(data["user_id"]), attempt=str(data["attempt"]))


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
