"""The store step with the real enricher (rules only) over in-memory leads, job ledger, object store
and bus: cancelled jobs skipped, a replayed batch counted once, rejections recorded, lead.enriched
events chunked by size, and the enricher's merge under a concurrent writer."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import pytest
from pydantic import ValidationError

from shared.core.models import Job, JobStatus, Lead, LeadEnrichedEvent, StoredLead, bus_event
from shared.enrichment import storing
from shared.enrichment.enricher import Enricher
from shared.enrichment.storing import LeadStore
from tests.unit.fakes import FakeBus, FakeJobLedger, FakeObjects

BUS, BUCKET = "leadflow-bus", "data-bucket"


@dataclass
class FakeLeadTable:
    """The leads table's versioned writes: a write over an item that changed meanwhile fails the call."""

    items: dict[str, StoredLead] = field(default_factory=dict)
    #: lead ids a "concurrent writer" bumps just before the next write reaches them
    race_on: set[str] = field(default_factory=set)
    writes: int = 0

    def get_many(self, lead_ids: list[str]) -> dict[str, StoredLead]:
        return {i: self.items[i].model_copy() for i in lead_ids if i in self.items}

    def put_versioned(self, plan: list[tuple[Lead, StoredLead | None]]) -> bool:
        for lead, _ in plan:
            if lead.lead_id in self.race_on and lead.lead_id in self.items:
                self.race_on.discard(lead.lead_id)
                self.items[lead.lead_id].version += 1
        for lead, existing in plan:
            current = self.items.get(lead.lead_id)
            if (existing is None) != (current is None):
                return False
            if existing is not None and current is not None and existing.version != current.version:
                return False
        self.writes += 1
        for lead, existing in plan:
            self.items[lead.lead_id] = StoredLead(lead=lead, version=(existing.version if existing else 0) + 1)
        return True


class World:
    def __init__(self) -> None:
        self.jobs = FakeJobLedger()
        self.leads = FakeLeadTable()
        self.objects = FakeObjects()
        self.bus = FakeBus()
        enricher = Enricher(leads_table="unused", storage=self.leads, now=lambda: "2024-05-01T00:00:00.000Z")
        self.store = LeadStore(
            jobs=self.jobs,
            enricher=enricher,
            event_bus=BUS,
            data_bucket=BUCKET,
            objects=self.objects,
            events=self.bus,
        )

    def job(self, job_id: str = "j1", status: JobStatus = JobStatus.PROCESSING) -> str:
        self.jobs.create(Job(job_id=job_id, status=status, filename="leads.csv"))
        return job_id


def batch(job_id: str | None, batch_id: str, rows: list[dict[str, str]], source: str = "upload") -> str:
    return json.dumps(
        {
            "job_id": job_id,
            "batch_id": batch_id,
            "source": source,
            "file": "leads.csv",
            "rows": [{"w": None, "r": i + 2, "v": v} for i, v in enumerate(rows)],
        }
    )


ADA = {"First Name": "Ada", "Last Name": "Lovelace", "Email": "ada@example.com"}
EVE = {"First Name": "Eve", "Email": "eve@example.com"}


@pytest.fixture
def world() -> World:
    return World()


def test_a_batch_is_stored_written_to_s3_announced_and_counted(world: World) -> None:
    job_id = world.job()

    outcome = world.store.store_batch(batch(job_id, "b000001", [ADA, EVE]))

    assert (outcome.stored, outcome.duplicates, outcome.rejected, outcome.skipped) == (2, 0, 0, None)
    assert {i.lead.email for i in world.leads.items.values()} == {"ada@example.com", "eve@example.com"}
    lines = world.objects.objects[(BUCKET, "enriched/j1/b000001.jsonl")].decode().splitlines()
    assert sorted(json.loads(line)["email"] for line in lines) == ["ada@example.com", "eve@example.com"]
    [event] = world.bus.events
    assert event[:3] == (BUS, "leadflow.enrichment", "lead.enriched") and len(event[3]["leads"]) == 2
    assert world.jobs.jobs[job_id].leads_stored == 2 and world.jobs.counted[job_id] == {"b000001"}


@pytest.mark.parametrize("status", [JobStatus.CANCELLED, JobStatus.FAILED])
def test_a_batch_of_a_cancelled_or_failed_job_is_skipped(world: World, status: JobStatus) -> None:
    job_id = world.job(status=status)

    outcome = world.store.store_batch(batch(job_id, "b000001", [ADA]))

    assert outcome.skipped == status.value
    assert world.leads.items == {} and world.objects.objects == {} and world.bus.events == []
    assert job_id not in world.jobs.counted


def test_a_batch_of_an_unknown_job_is_skipped(world: World) -> None:
    assert world.store.store_batch(batch("nobody", "b000001", [ADA])).skipped == "unknown job"
    assert world.leads.items == {}


def test_the_status_of_a_job_is_read_once_per_store(world: World) -> None:
    job_id = world.job()
    world.store.store_batch(batch(job_id, "b000001", [ADA]))
    world.store.store_batch(batch(job_id, "b000002", [EVE]))
    assert world.jobs.status_reads == 1


def test_a_replayed_batch_is_counted_once_and_its_leads_stay_stored_not_duplicates(world: World) -> None:
    # Given a batch already stored and counted
    job_id = world.job()
    world.store.store_batch(batch(job_id, "b000001", [ADA, EVE]))

    # When SQS delivers it again
    again = world.store.store_batch(batch(job_id, "b000001", [ADA, EVE]))

    # Then its leads are its own (stored, not duplicates), and the job counts it once
    assert (again.stored, again.duplicates, again.skipped) == (2, 0, "already counted")
    job = world.jobs.jobs[job_id]
    assert (job.leads_stored, job.leads_duplicate, job.batches_done) == (2, 0, 1)
    assert len(world.leads.items) == 2


def test_a_lead_seen_in_an_earlier_batch_is_a_duplicate_and_fills_empty_fields(world: World) -> None:
    job_id = world.job()
    world.store.store_batch(batch(job_id, "b000001", [EVE]))

    outcome = world.store.store_batch(batch(job_id, "b000002", [{**EVE, "Last Name": "Adams"}]))

    assert (outcome.stored, outcome.duplicates) == (0, 1)
    [item] = world.leads.items.values()
    assert (item.lead.last_name, item.version) == ("Adams", 2)


def test_rows_that_cannot_be_a_lead_are_recorded_as_rejections(world: World) -> None:
    job_id = world.job()

    outcome = world.store.store_batch(batch(job_id, "b000001", [ADA, {"Notes": "call me"}]))

    assert (outcome.stored, outcome.rejected) == (1, 1)
    [rejection] = world.jobs.rejections[job_id].values()
    assert rejection.row == 3 and rejection.reason
    assert world.jobs.jobs[job_id].rows_rejected == 1


def test_lead_enriched_events_are_chunked_by_size_each_lead_once_with_its_rows(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given events that may carry about two leads each
    monkeypatch.setattr(storing, "EVENT_DETAIL_BYTES", 1_500)
    job_id = world.job()
    rows = [{"Email": f"p{i}@example.com", "First Name": f"P{i}"} for i in range(7)]

    world.store.store_batch(batch(job_id, "b000001", rows))

    details = world.bus.details("lead.enriched")
    assert len(details) > 2
    for detail in details:
        assert len(json.dumps(detail["leads"])) + len(json.dumps(detail["rows"])) <= 1_500
        assert {r["lead_id"] for r in detail["rows"]} == {lead["lead_id"] for lead in detail["leads"]}
    emails = [lead["email"] for d in details for lead in d["leads"]]
    assert sorted(emails) == sorted(r["Email"] for r in rows)


def test_a_batch_without_a_job_is_stored_but_not_counted(world: World) -> None:
    outcome = world.store.store_batch(batch(None, "call-c1", [{"Phone": "+1 212 555 0100"}], source="phone"))

    assert outcome.stored == 1 and world.jobs.status_reads == 0 and world.jobs.counted == {}
    assert (BUCKET, "enriched/no-job/call-c1.jsonl") in world.objects.objects
    assert world.bus.details("lead.enriched")[0]["source"] == "phone"


def test_a_lead_changed_by_a_concurrent_writer_is_read_again_and_merged(world: World) -> None:
    # Given a stored lead that another invocation rewrites while this batch merges into it
    job_id = world.job()
    world.store.store_batch(batch(job_id, "b000001", [EVE]))
    [lead_id] = world.leads.items
    world.leads.race_on = {lead_id}

    outcome = world.store.store_batch(batch(job_id, "b000002", [{**EVE, "Last Name": "Adams"}]))

    # Then the lost write is retried over the newer version instead of overwriting it
    assert outcome.duplicates == 1
    assert (world.leads.items[lead_id].version, world.leads.items[lead_id].lead.last_name) == (3, "Adams")


def test_a_batch_message_that_is_not_a_lead_batch_is_refused_before_anything_is_stored(world: World) -> None:
    # a row without its number: the message is malformed, and SQS will dead-letter it after its receives
    body = json.dumps({"job_id": None, "batch_id": "x", "rows": [{"w": None, "v": {"Email": "a@b.example"}}]})
    with pytest.raises(ValidationError, match=r"rows\.0\.r"):
        world.store.store_batch(body)
    assert world.objects.objects == {}


def _delivered(detail: dict[str, Any]) -> str:
    """The SQS body of a queue subscribed to the bus, as EventBridge delivers the detail."""
    envelope = {"id": "e1", "time": "2024-05-01T00:00:00Z", "source": "leadflow.enrichment"}
    return json.dumps({**envelope, "detail-type": "lead.enriched", "detail": detail})


def test_a_lead_enriched_detail_is_the_wire_format_its_consumers_read(world: World) -> None:
    job_id = world.job()
    world.store.store_batch(batch(job_id, "b000001", [ADA, {**ADA, "Notes": "second row"}]))

    [detail] = world.bus.details("lead.enriched")
    # as before the models: leads as stored (no None fields, no empty `omitted`), rows whole
    [lead] = detail["leads"]
    assert set(detail) == {"job_id", "source", "leads", "rows"} and detail["job_id"] == job_id
    assert "omitted" not in lead and "_worksheet" not in lead and "title" not in lead
    assert lead == world.leads.items[lead["lead_id"]].lead.to_item()
    assert [set(row) for row in detail["rows"]] == [{"lead_id", "_worksheet", "row", "attributes"}] * 2
    assert [(row["_worksheet"], row["row"]) for row in detail["rows"]] == [(None, 2), (None, 3)]
    # and what the assignment and notification domains parse it with
    event = bus_event(_delivered(detail))
    assert isinstance(event, LeadEnrichedEvent)
    assert [lead.email for lead in event.detail.leads] == ["ada@example.com"]
    assert event.detail.rows is not None and event.detail.rows[1].attributes["Notes"] == "second row"


def test_a_lead_too_large_for_an_event_is_announced_slim_and_still_parses(world: World) -> None:
    # Given a stored lead grown by merges past what one event may carry
    job_id = world.job()
    for n in range(4):
        world.store.store_batch(batch(job_id, f"b{n:06d}", [{**EVE, f"Notes {n}": str(n) * 60_000}]))

    details = world.bus.details("lead.enriched")
    # Then its last announcement left out its merged attributes, and says so; each row keeps its own
    last = details[-1]
    [lead] = last["leads"]
    assert lead["attributes"] == {} and lead["omitted"] == ["attributes"]
    [row] = last["rows"]
    assert row["attributes"]["Notes 3"] == "3" * 60_000 and "Notes 2" not in row["attributes"]
    assert len(json.dumps(last["leads"])) + len(json.dumps(last["rows"])) <= storing.EVENT_DETAIL_BYTES
    event = bus_event(_delivered(last))
    assert isinstance(event, LeadEnrichedEvent) and event.detail.leads[0].omitted == ["attributes"]


def test_a_stored_item_reads_as_its_lead_and_version_without_the_index_keys() -> None:
    item = {"lead_id": "l1", "email": "ada@example.com", "_worksheet": "S", "version": 4, "kind": "lead"}
    stored = StoredLead.from_item({**item, "email_key": "ada@example.com", "name_key": "ada"})
    assert (stored.version, stored.lead.email, stored.lead.worksheet) == (4, "ada@example.com", "S")
    assert StoredLead.from_item({"lead_id": "l2"}).version == 0
