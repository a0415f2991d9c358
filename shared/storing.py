"""The store step: a batch message of rows becomes leads in the leads table, counted on its job once."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from shared.dynamo import batch_put
from shared.events import publish
from shared.jobs import JobRepository
from shared.leads import RowRejected, lead_from_row
from shared.models import JobStatus, Rejection
from shared.observability import logger

#: one lead.enriched event carries at most this much lead JSON (PutEvents allows 256 KB a call)
EVENT_DETAIL_BYTES = 200 * 1024


@dataclass
class BatchOutcome:
    job_id: str | None
    batch_id: str
    stored: int = 0
    rejected: int = 0
    skipped: str | None = None


@dataclass
class LeadStore:
    jobs: JobRepository
    leads_table: str
    event_bus: str
    #: job status seen in this invocation, so ten messages of one job cost one read
    _status_cache: dict[str, JobStatus | None] = field(default_factory=dict)

    def _status(self, job_id: str) -> JobStatus | None:
        if job_id not in self._status_cache:
            self._status_cache[job_id] = self.jobs.status(job_id)
        return self._status_cache[job_id]

    def store_batch(self, body: str) -> BatchOutcome:
        message: dict[str, Any] = json.loads(body)
        job_id, batch_id = message.get("job_id"), message["batch_id"]
        outcome = BatchOutcome(job_id, batch_id)
        # a batch without a job (a phone call) has nothing to cancel and nothing to count
        status = self._status(job_id) if job_id else JobStatus.PROCESSING
        if status in (JobStatus.CANCELLED, JobStatus.FAILED, None):
            outcome.skipped = status.value if status else "unknown job"
            logger.info("batch skipped", job_id=job_id, batch_id=batch_id, reason=outcome.skipped)
            return outcome
        puts: list[tuple[str, dict[str, Any]]] = []
        stored: list[dict[str, Any]] = []
        for row in message["rows"]:
            try:
                lead = lead_from_row(
                    row["v"],
                    job_id=job_id,
                    worksheet=row.get("w"),
                    row=int(row["r"]),
                    source=str(message.get("source") or "upload"),
                    file=message.get("file"),
                    id_seed=None if job_id else batch_id,
                )
            except RowRejected as exc:
                if not job_id:
                    logger.info("row without a job rejected", batch_id=batch_id, reason=str(exc))
                    outcome.rejected += 1
                    continue
                rejection = Rejection(worksheet=row.get("w"), row=int(row["r"]), reason=str(exc))
                puts.append((self.jobs.table, self.jobs.rejection_item(job_id, rejection)))
                outcome.rejected += 1
                continue
            item = lead.to_item()
            puts.append((self.leads_table, item))
            stored.append(item)
            outcome.stored += 1
        # leads and rejections first, the count last: a crash in between is redelivered and
        # rewrites the same items; the count happens once because of the batch id
        batch_put(puts)
        # announced before the batch is counted: a crash in between redelivers the batch and
        # announces it again (consumers are idempotent), while the other order could lose it
        self._announce(job_id, str(message.get("source") or "upload"), stored)
        if not job_id:
            return outcome
        counted = self.jobs.record_batch(job_id, batch_id, stored=outcome.stored, rejected=outcome.rejected)
        if counted is None:
            outcome.skipped = "already counted"
        logger.info(
            "batch stored",
            job_id=job_id,
            batch_id=batch_id,
            stored=outcome.stored,
            rejected=outcome.rejected,
            recount=counted is None,
        )
        return outcome

    def _announce(self, job_id: str | None, source: str, leads: list[dict[str, Any]]) -> None:
        if not leads:
            return
        chunks: list[list[dict[str, Any]]] = [[]]
        size = 0
        for lead in leads:
            lead_size = len(json.dumps(lead))
            if chunks[-1] and size + lead_size > EVENT_DETAIL_BYTES:
                chunks.append([])
                size = 0
            chunks[-1].append(lead)
            size += lead_size
        details = [{"job_id": job_id, "source": source, "leads": chunk} for chunk in chunks]
        publish(self.event_bus, "leadflow.enrichment", "lead.enriched", details)
