"""Listing leads on the local runtime when all leads by time is the merge of one query per status
(the leads table has no index of its own for it), and delivery records claimed and finished with a
conditional UpdateItem each instead of transactions.

The leads here are dated 2031, which no other test writes, so that "all leads" in that year is
exactly this module's leads whatever else the session stored."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from leadflow.client import ApiError, LeadflowClient
from leadflow.local.runtime import LocalRuntime
from shared.core.models import Lead, LeadStatus
from shared.enrichment import lead_reader
from shared.enrichment.enricher import DynamoLeadTable
from shared.enrichment.lead_reader import LeadFilters, LeadReader
from shared.notification.deliveries import Claim, DeliveryStore, Outcome, State

YEAR = {"created_from": "2031-01-01", "created_to": "2031-12-31"}
#: uneven on purpose: a status with many leads, one with a few, one with one, one with none
STATUSES = [LeadStatus.NEW] * 12 + [LeadStatus.QUALIFIED] * 5 + [LeadStatus.CONTACTED] * 1


@pytest.fixture(scope="module")
def dated(runtime: LocalRuntime) -> list[dict[str, Any]]:
    """18 leads of 2031 across three statuses, interleaved in time, written as store-leads writes them."""
    run = uuid.uuid4().hex[:8]
    leads: list[Lead] = []
    for i, status in enumerate(STATUSES):
        # statuses interleave in time: the i-th lead is i minutes into the day whatever its status
        minute = (i * 7) % len(STATUSES)
        lead = Lead(
            lead_id=f"listing-{run}-{i:02d}",
            email=f"listing{i:02d}.{run}@merge.example",
            first_name="Lis",
            last_name=f"Ting{i:02d}",
            country="DE" if i % 3 == 0 else "US",
            status=status,
            source="upload",
            created_at=f"2031-03-04T10:{minute:02d}:00.000+00:00",
        )
        leads.append(lead)
    assert DynamoLeadTable(runtime.resources.tables["leads"]).put_versioned([(lead, None) for lead in leads])
    return [lead.to_item() for lead in leads]


def newest_first(leads: list[dict[str, Any]]) -> list[str]:
    return [lead["lead_id"] for lead in sorted(leads, key=lambda lead: lead["created_at"], reverse=True)]


def every_page(client: LeadflowClient, **filters: Any) -> Iterator[dict[str, Any]]:
    cursor = None
    for _ in range(50):
        page = client.leads(**filters, cursor=cursor)
        yield page
        cursor = page["next_cursor"]
        if not cursor:
            return
    raise AssertionError("the pages did not end")


def test_all_leads_come_newest_first_across_statuses_each_once(
    client: LeadflowClient, dated: list[dict[str, Any]]
) -> None:
    pages = list(every_page(client, **YEAR, limit=5))
    seen = [lead["lead_id"] for page in pages for lead in page["leads"]]
    assert seen == newest_first(dated)
    assert [len(page["leads"]) for page in pages] == [5, 5, 5, 3]
    oldest = [
        lead["lead_id"] for page in every_page(client, **YEAR, limit=7, oldest_first=True) for lead in page["leads"]
    ]
    assert oldest == list(reversed(newest_first(dated)))


def test_a_status_filter_reads_its_own_partition(client: LeadflowClient, dated: list[dict[str, Any]]) -> None:
    for status in LeadStatus:
        seen = [
            lead["lead_id"]
            for page in every_page(client, **YEAR, status=status.value, limit=4)
            for lead in page["leads"]
        ]
        assert seen == newest_first([lead for lead in dated if lead["status"] == status])


def test_a_filter_on_all_leads_keeps_the_order_and_loses_nothing(
    client: LeadflowClient, dated: list[dict[str, Any]]
) -> None:
    seen = [lead["lead_id"] for page in every_page(client, **YEAR, country="DE", limit=2) for lead in page["leads"]]
    assert seen == newest_first([lead for lead in dated if lead["country"] == "DE"])


def test_pages_cut_short_by_the_read_budget_resume_every_status_where_it_stopped(
    runtime: LocalRuntime, dated: list[dict[str, Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    # two leads a DynamoDB read, and as few reads as a page may make (one per status): a page stops as
    # soon as one status needs another read, with leads of other statuses read but not returned; the
    # next page must start each status where it stopped
    monkeypatch.setattr(lead_reader, "MAX_READS_PER_PAGE", 1)
    monkeypatch.setattr(lead_reader, "MAX_PAGE", 2)
    reader = LeadReader(runtime.resources.tables["leads"])
    f = LeadFilters(**YEAR, country="US", limit=3)
    seen: list[str] = []
    cursor = None
    pages = 0
    while True:
        page = reader.page(f, cursor)
        pages += 1
        seen += [lead.lead_id for lead in page.leads]
        cursor = page.next_cursor
        if not cursor or pages > 100:
            break
    assert seen == newest_first([lead for lead in dated if lead["country"] == "US"])
    assert pages > len(seen) // 3  # some pages were cut short


def test_a_cursor_of_other_filters_is_a_400(client: LeadflowClient, dated: list[dict[str, Any]]) -> None:
    cursor = client.leads(**YEAR, limit=2)["next_cursor"]
    assert cursor
    with pytest.raises(ApiError) as refused:
        client.leads(source="upload", limit=2, cursor=cursor)
    assert refused.value.status == 400 and "other filters" in refused.value.message


def calls_of(runtime: LocalRuntime) -> tuple[list[str], Any]:
    import shared.core.aws

    seen: list[str] = []

    def hook(model: Any, **_: Any) -> None:
        seen.append(model.name)

    shared.core.aws.client("dynamodb").meta.events.register("before-call.dynamodb", hook)
    return seen, hook


def test_delivery_records_are_claimed_and_finished_each_on_its_own_condition(runtime: LocalRuntime) -> None:
    import shared.core.aws

    store = DeliveryStore(runtime.resources.tables["deliveries"], lease_s=40)
    sk = "cost-test#downstream"
    run = uuid.uuid4().hex[:8]
    absent, sent, held, failed, stale = (f"claims-{run}-{n}" for n in ("absent", "sent", "held", "failed", "stale"))
    now = time.time()
    for pk in (sent, held, failed, stale):
        assert store.claim(pk, sk, now=now - 100 if pk == stale else now).outcome == Claim.CLAIMED
    assert store.mark(sent, sk, State.SENT)
    assert store.mark(failed, sk, State.FAILED)
    seen, hook = calls_of(runtime)
    try:
        claims = store.claim_many([absent, sent, held, failed, stale, absent], sk, now=now, takeover=True)
        outcomes = {pk: c.outcome for pk, c in claims.items()}
        assert outcomes == {
            absent: Claim.CLAIMED,
            sent: Claim.DONE,
            held: Claim.IN_FLIGHT,
            failed: Claim.CLAIMED,
            stale: Claim.CLAIMED,  # its lease ran out: taken over
        }
        # a record taken over meanwhile keeps the newer attempt's outcome
        retaken = store.claim(failed, sk, now=now + 1000, takeover=True)
        store.finish_many(
            sk,
            [
                (absent, claims[absent].attempt_id, Outcome(State.SENT, status=202)),
                (failed, claims[failed].attempt_id, Outcome(State.FAILED, detail="late")),
                (stale, claims[stale].attempt_id, Outcome(State.UNCERTAIN)),
            ],
        )
    finally:
        shared.core.aws.client("dynamodb").meta.events.unregister("before-call.dynamodb", hook)
    sent_record, failed_record, stale_record = (store.get(pk, sk) for pk in (absent, failed, stale))
    assert sent_record and (sent_record.state, sent_record.status, sent_record.attempts) == ("sent", 202, 1)
    assert failed_record and (failed_record.state, failed_record.attempt_id) == ("sending", retaken.attempt_id)
    assert stale_record and stale_record.state == "uncertain"
    assert "TransactWriteItems" not in seen and "UpdateItem" in seen
