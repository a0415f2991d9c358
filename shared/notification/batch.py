"""Powertools' `BatchProcessor`, with the records of a batch handled at the same time.

The records are independent and their work waits on the network (Slack, SES, DynamoDB), so ten
records take about as long as one: that keeps the event-to-Slack latency low under a burst.
Partial batch responses work as in the parent class.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

from shared.core.budget import BudgetedBatchProcessor

_pool = ThreadPoolExecutor(10)


class ParallelBatchProcessor(BudgetedBatchProcessor):
    def __init__(self, *, reserve_s: float) -> None:
        # a batch whose every notice must wait is retried, not a function error (the Errors alarm
        # is for crashes; a Slack and SES outage shows as dead letters and the fallback rate)
        super().__init__(reserve_s=reserve_s, raise_on_entire_batch_failure=False)

    def process(self) -> list[Any]:
        return list(_pool.map(self._process_record, self.records))
