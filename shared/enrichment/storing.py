"""The store step around the enricher: job bookkeeping, rejected rows, `enriched/` in S3, the bus.

Order matters for at-least-once delivery: leads and rejections are written, the batch is written
to S3 and announced, and only then counted on its job. A crash anywhere before the count
redelivers the batch, which rewrites the same items and announces them again (consumers are
idempotent); the count happens once because of the batch id.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit

from shared.core import metric_names
from shared.core.events import EventBridge, EventPublisher
from shared.core.models import EventLead, JobStatus, Lead, LeadBatch, LeadEnriched, LeadRow, Rejection
from shared.core.objects import ObjectWriter, S3Objects
from shared.core.observability import logger, metrics
from shared.enrichment.enricher import LLM_FALLBACK, Enricher, EnrichOutcome, jsonl
from shared.ingestion.jobs import JobLedger

#: one lead.enriched event carries at most this much lead JSON (PutEvents allows 256 KB a call)
EVENT_DETAIL_BYTES = 200 * 1024
ENRICHED_PREFIX = "enriched/"


def _lead_json(lead: Lead) -> dict[str, Any]:
    """A lead as an event carries it: as stored (no None fields), with `omitted` only when something was."""
    omitted = isinstance(lead, EventLead) and lead.omitted
    return lead.model_dump(mode="json", by_alias=True, exclude_none=True, exclude=None if omitted else {"omitted"})


def _rows_json(rows: Sequence[LeadRow]) -> list[dict[str, Any]]:
    return [row.model_dump(mode="json", by_alias=True) for row in rows]


def _size(lead: Lead, rows_size: int) -> int:
    """What a lead takes of an event's `EVENT_DETAIL_BYTES`: its JSON and its rows' JSON."""
    return len(json.dumps(_lead_json(lead))) + rows_size


def event_lead(lead: Lead, rows: Sequence[LeadRow]) -> EventLead:
    """The lead as its event carries it. A lead grown large by merges (up to DynamoDB's 400 KB) would not
    fit one event beside its rows: it goes without its merged `attributes` (each row carries its own)
    and, if need be, with only its first and latest sightings; `omitted` names what was left out
    (GET /leads/{id} has all of it)."""
    return _carried(lead, len(json.dumps(_rows_json(rows))))[0]


def _carried(lead: Lead, rows_size: int) -> tuple[EventLead, int]:
    """`event_lead` for a lead whose rows' JSON takes `rows_size`, and its `_size`."""
    # the fields of a valid lead: nothing to validate again
    whole = lead if isinstance(lead, EventLead) else EventLead.model_construct(**dict(lead))
    size = _size(whole, rows_size)
    if size <= EVENT_DETAIL_BYTES:
        return whole, size
    slim = whole.model_copy(update={"attributes": {}, "omitted": ["attributes"]})
    sources = whole.sources
    if _size(slim, rows_size) > EVENT_DETAIL_BYTES and len(sources) > 2:
        slim = slim.model_copy(update={"sources": [sources[0], sources[-1]], "omitted": ["attributes", "sources"]})
    return slim, _size(slim, rows_size)


def _detail(event: LeadEnriched) -> dict[str, Any]:
    """A lead.enriched detail as published: its leads as `_lead_json` has them, its rows whole."""
    return {
        "job_id": event.job_id,
        "source": event.source,
        "leads": [_lead_json(lead) for lead in event.leads],
        **({"rows": _rows_json(event.rows)} if event.rows is not None else {}),
    }


@dataclass
class BatchOutcome:
    job_id: str | None
    batch_id: str
    stored: int = 0
    duplicates: int = 0
    rejected: int = 0
    skipped: str | None = None


@dataclass
class LeadStore:
    jobs: JobLedger
    enricher: Enricher
    event_bus: str
    data_bucket: str
    objects: ObjectWriter = field(default_factory=S3Objects)
    events: EventPublisher = field(default_factory=EventBridge)
    #: job status seen in this invocation, so ten messages of one job cost one read
    _status_cache: dict[str, JobStatus | None] = field(default_factory=dict)

    def _status(self, job_id: str) -> JobStatus | None:
        if job_id not in self._status_cache:
            self._status_cache[job_id] = self.jobs.status(job_id)
        return self._status_cache[job_id]

    def store_batch(self, body: str) -> BatchOutcome:
        batch = LeadBatch.model_validate_json(body)
        job_id, batch_id = batch.job_id, batch.batch_id
        outcome = BatchOutcome(job_id, batch_id)
        # a batch without a job (a phone call) has nothing to cancel and nothing to count
        status = self._status(job_id) if job_id else JobStatus.PROCESSING
        if status in (JobStatus.CANCELLED, JobStatus.FAILED, None):
            outcome.skipped = status.value if status else "unknown job"
            logger.info("batch skipped", job_id=job_id, batch_id=batch_id, reason=outcome.skipped)
            return outcome
        source = batch.source or "upload"
        calls_before = self.enricher.assist.calls if self.enricher.assist else 0
        result = self.enricher.enrich(job_id=job_id, batch_id=batch_id, source=source, file=batch.file, rows=batch.rows)
        llm_calls = (self.enricher.assist.calls if self.enricher.assist else 0) - calls_before
        if llm_calls:
            # the notification domain's LLM fallback-rate alarm watches these two
            fallbacks = sum(LLM_FALLBACK in lead.problems for lead in result.leads)
            metrics.add_metric(name=metric_names.LLM_REQUESTS, unit=MetricUnit.Count, value=llm_calls)
            metrics.add_metric(name=metric_names.LLM_FALLBACKS, unit=MetricUnit.Count, value=fallbacks)
        outcome.stored, outcome.duplicates, outcome.rejected = result.stored, result.duplicates, result.rejected
        if job_id and result.rejections:
            rejections = [Rejection(worksheet=w, row=r, reason=why) for w, r, why in result.rejections]
            self.jobs.add_rejections(job_id, rejections)
        elif result.rejections:
            # the reasons quote the bad email or phone: log where the rows were, not why
            logger.info(
                "rows without a job rejected",
                batch_id=batch_id,
                rejected=len(result.rejections),
                rows=[[w, r] for w, r, _ in result.rejections],
            )
        self._write_enriched(job_id or "no-job", batch_id, result)
        self._announce(job_id, source, result.leads, result.rows)
        if not job_id:
            return outcome
        counted = self.jobs.record_batch(
            job_id,
            batch_id,
            stored=result.stored,
            rejected=result.rejected,
            duplicates=result.duplicates,
            llm_calls=llm_calls,
        )
        if counted is None:
            outcome.skipped = "already counted"
        logger.info(
            "batch stored",
            job_id=job_id,
            batch_id=batch_id,
            stored=result.stored,
            duplicates=result.duplicates,
            rejected=result.rejected,
            llm_calls=llm_calls,
            recount=counted is None,
        )
        return outcome

    def _write_enriched(self, folder: str, batch_id: str, result: EnrichOutcome) -> None:
        """The system of record for analytics: one JSON Lines object per batch (same key on a replay)."""
        if result.leads:
            self.objects.put(
                self.data_bucket,
                f"{ENRICHED_PREFIX}{folder}/{batch_id}.jsonl",
                jsonl(result.leads),
                content_type="application/x-ndjson",
            )

    def _announce(self, job_id: str | None, source: str, leads: list[Lead], rows: list[LeadRow]) -> None:
        """lead.enriched events: the batch's leads, each with the rows it was seen in, chunked by size."""
        if not leads:
            return
        rows_of: dict[str, list[LeadRow]] = {}
        for row in rows:
            rows_of.setdefault(row.lead_id, []).append(row)
        chunks: list[tuple[list[EventLead], list[LeadRow]]] = [([], [])]
        size = 0
        for lead in leads:
            its_rows = rows_of.get(lead.lead_id, [])
            carried, lead_size = _carried(lead, len(json.dumps(_rows_json(its_rows))))
            if chunks[-1][0] and size + lead_size > EVENT_DETAIL_BYTES:
                chunks.append(([], []))
                size = 0
            chunks[-1][0].append(carried)
            chunks[-1][1].extend(its_rows)
            size += lead_size
        announced = [LeadEnriched(job_id=job_id, source=source, leads=c, rows=r) for c, r in chunks]
        self.events.publish(self.event_bus, "leadflow.enrichment", "lead.enriched", map(_detail, announced))
