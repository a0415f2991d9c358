"""Leads stay inside DynamoDB's and EventBridge's limits: a lead grown by merges keeps under the 400 KB
item limit (later attributes left out, with a reason on the lead), a row too large for one lead is
rejected with its reason, writes split into transactions of at most 100 items and 4 MB, and a lead
too large for one event is announced without its merged attributes."""

from __future__ import annotations

import json
from typing import Any

import pytest

from shared.core import events, limits
from shared.core.models import BatchRow, EventLead, Lead, LeadRow, StoredLead
from shared.core.responses import page_that_fits
from shared.enrichment.enricher import (
    LEAD_ITEM_BYTES,
    SIZE_LIMIT_PROBLEM,
    TRANSACT_BUDGET_BYTES,
    Enricher,
    lead_bytes,
    merge,
    transactions,
)
from shared.enrichment.storing import EVENT_DETAIL_BYTES, event_lead
from tests.unit.enrichment.test_storing import FakeLeadTable

WIDE = 60_000  # one attribute of a row near the 64 KB batch message


def _enricher(table: FakeLeadTable) -> Enricher:
    return Enricher(leads_table="unused", storage=table, now=lambda: "2024-05-01T00:00:00.000Z")


def test_a_lead_grown_by_merges_stays_inside_the_item_limit_and_says_why() -> None:
    table = FakeLeadTable()
    enricher = _enricher(table)
    for n in range(9):  # 9 uploads of one person, each with another wide column
        row = BatchRow(r=2, v={"Email": "grow@limits.example", f"Notes {n}": chr(ord("a") + n) * WIDE})
        outcome = enricher.enrich(job_id=f"job-{n}", batch_id="b000001", source="upload", file="f.csv", rows=[row])
        assert outcome.rejected == 0
    (lead,) = (stored.lead for stored in table.items.values())
    assert lead_bytes(lead) <= LEAD_ITEM_BYTES < limits.DYNAMODB_ITEM_BYTES
    assert SIZE_LIMIT_PROBLEM in lead.problems
    # every sighting is recorded; the first uploads' columns are kept, the last ones left out
    assert lead.sources == [f"upload:job-{n}" for n in range(9)]
    assert lead.attributes["Notes 0"] == "a" * WIDE
    assert "Notes 8" not in lead.attributes
    # without the limit it would have been about 9 x 60 KB
    assert lead_bytes(lead) > 6 * WIDE


def test_a_lead_of_many_sightings_keeps_its_first_and_latest() -> None:
    stored = Lead(lead_id="l1", email="many@limits.example", sources=[f"upload:job-{n:06d}" for n in range(25_000)])
    assert lead_bytes(stored) > LEAD_ITEM_BYTES
    merged = merge(stored, Lead(lead_id="l1", sources=["upload:newest"]))
    assert lead_bytes(merged) <= LEAD_ITEM_BYTES
    assert merged.sources[0] == "upload:job-000000" and merged.sources[-1] == "upload:newest"
    assert SIZE_LIMIT_PROBLEM in merged.problems


def test_a_row_too_large_for_one_lead_is_rejected_with_its_reason() -> None:
    table = FakeLeadTable()
    rows = [
        BatchRow(r=2, v={"Email": "huge@limits.example", "Notes": "x" * limits.DYNAMODB_ITEM_BYTES}),
        BatchRow(r=3, v={"Email": "fine@limits.example", "Notes": "short"}),
    ]
    outcome = _enricher(table).enrich(job_id="job-huge", batch_id="b000001", source="upload", file="f.csv", rows=rows)
    assert (outcome.stored, outcome.rejected) == (1, 1)
    (_, row, reason) = outcome.rejections[0]
    assert row == 2
    assert "too large for one lead" in reason and str(LEAD_ITEM_BYTES) in reason
    assert [i.lead.email for i in table.items.values()] == ["fine@limits.example"]


def test_writes_split_at_100_items_and_at_4_mb() -> None:
    small = [(Lead(lead_id=f"s{i}", email=f"s{i}@x.example"), None) for i in range(250)]
    assert [len(t) for t in transactions(small)] == [100, 100, 50]
    wide: list[tuple[Lead, StoredLead | None]] = [
        (Lead(lead_id=f"w{i}", attributes={"notes": "x" * 300_000}), None) for i in range(30)
    ]
    chunks = transactions(wide)
    assert sum(len(t) for t in chunks) == 30
    assert all(sum(lead_bytes(lead) for lead, _ in t) <= TRANSACT_BUDGET_BYTES for t in chunks)
    assert len(chunks) == 3  # 13 wide leads fit 3.75 MB


def test_the_enricher_writes_more_than_100_leads_in_several_transactions() -> None:
    table = FakeLeadTable()
    rows = [BatchRow(r=i + 2, v={"Email": f"many{i}@limits.example"}) for i in range(230)]
    outcome = _enricher(table).enrich(job_id="job-230", batch_id="b000001", source="upload", file="f.csv", rows=rows)
    assert outcome.stored == 230
    assert table.writes == 3


def _json_size(lead: EventLead, rows: list[LeadRow]) -> int:
    """The lead's and its rows' JSON as the event carries them."""
    dumped = lead.model_dump(mode="json", by_alias=True, exclude_none=True)
    return len(json.dumps(dumped)) + len(json.dumps([r.model_dump(mode="json", by_alias=True) for r in rows]))


def test_a_lead_too_large_for_one_event_goes_without_its_merged_attributes() -> None:
    lead = Lead(lead_id="big", email="big@x.example", attributes={f"c{i}": "y" * 50_000 for i in range(6)})
    rows = [LeadRow(lead_id="big", row=2, attributes={"c0": "y" * 50_000})]
    slim = event_lead(lead, rows)
    assert slim.attributes == {} and slim.omitted == ["attributes"]
    assert _json_size(slim, rows) <= EVENT_DETAIL_BYTES
    assert (slim.email, slim.sources) == (lead.email, lead.sources)
    small = Lead(lead_id="small", email="s@x.example", attributes={"c": "z"})
    carried = event_lead(small, [])
    assert carried.model_dump(exclude={"omitted"}) == small.model_dump() and carried.omitted == []


def test_a_lead_of_too_many_sightings_for_one_event_keeps_its_first_and_latest() -> None:
    sources = [f"upload:job-{n:06d}" for n in range(20_000)]
    lead = Lead(lead_id="seen", email="seen@x.example", sources=sources, attributes={"c": "y" * 1_000})
    slim = event_lead(lead, [])
    assert slim.sources == [sources[0], sources[-1]] and slim.omitted == ["attributes", "sources"]
    assert _json_size(slim, []) <= EVENT_DETAIL_BYTES


class _RecordingEvents:
    def __init__(self) -> None:
        self.calls: list[list[dict[str, str]]] = []

    def put_events(self, Entries: list[dict[str, str]]) -> dict[str, Any]:
        self.calls.append(Entries)
        return {"FailedEntryCount": 0, "Entries": [{"EventId": str(i)} for i in range(len(Entries))]}


def test_an_event_too_large_for_eventbridge_is_refused_before_any_is_published(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    recorder = _RecordingEvents()
    monkeypatch.setattr(events, "client", lambda service: recorder)
    details = [{"n": 1}, {"blob": "x" * limits.PUT_EVENTS_BYTES}, {"n": 3}]
    with pytest.raises(events.EventTooLarge, match="none of 3 events was published"):
        events.publish("bus", "leadflow.test", "test.big", details)
    assert recorder.calls == []
    # events of 100 KB go 2 a call (3 would pass 256 KB), 10 at most a call for small ones
    assert events.publish("bus", "leadflow.test", "test.wide", [{"b": "x" * 100_000}] * 5) == 3
    assert events.publish("bus", "leadflow.test", "test.small", [{"n": i} for i in range(25)]) == 3
    sizes = [sum(events.entry_bytes(e["Source"], e["DetailType"], e["Detail"]) for e in c) for c in recorder.calls]
    assert max(sizes) <= limits.PUT_EVENTS_BYTES and max(len(c) for c in recorder.calls) <= 10


def test_a_page_is_cut_where_it_stops_fitting() -> None:
    items = [{"body": "x" * 1000} for _ in range(50)]
    assert page_that_fits(items, budget_bytes=10**9) == 50
    keep = page_that_fits(items, budget_bytes=10_000)
    assert (
        sum(len(json.dumps(i)) + 1 for i in items[:keep])
        <= 10_000
        < sum(len(json.dumps(i)) + 1 for i in items[: keep + 1])
    )
    assert page_that_fits([{"body": "x" * 50_000}], budget_bytes=10_000) == 1  # one always goes
