"""Which index and which partitions answer each filter of GET /leads, and that they are the ones the
table declares (a query on an index that is not there fails only once deployed)."""

from __future__ import annotations

import pytest

from leadflow import wiring
from shared.core.errors import BadInput
from shared.core.models import Lead, LeadPage, LeadStatus
from shared.enrichment import lead_reader
from shared.enrichment.lead_reader import LeadFilters


def test_the_reader_knows_exactly_the_indexes_the_leads_table_declares() -> None:
    [leads] = [t for t in wiring.TABLES if t.key == "leads"]
    assert {i.name: (i.pk, i.sk) for i in leads.indexes} == lead_reader.INDEXES


@pytest.mark.parametrize(
    ("filters", "index", "partitions"),
    [
        ({"job_id": "j1", "status": "new"}, "by_job", ("j1",)),
        ({"status": "qualified", "source": "form"}, "by_status", ("qualified",)),
        ({"source": "phone", "email": "a"}, "by_source", ("phone",)),
        ({"email": "ana", "company": "acme"}, "by_email", ("lead",)),
        ({"company": "acme", "created_from": "2024-01-01"}, "by_company", ("lead",)),
        # all leads: one query per status, every status there is
        ({}, "by_status", tuple(s.value for s in LeadStatus)),
        ({"country": "DE", "created_to": "2024-02-01"}, "by_status", tuple(s.value for s in LeadStatus)),
    ],
)
def test_the_most_selective_filter_picks_the_index(filters: dict[str, str], index: str, partitions: tuple[str]) -> None:
    plan = lead_reader._plan(LeadFilters(**filters))
    assert (plan.index, plan.partitions) == (index, partitions)


def test_all_leads_in_a_time_range_keep_the_range_on_the_sort_key_and_the_rest_as_a_filter() -> None:
    f = LeadFilters(country="DE", created_from="2024-01-01", created_to="2024-01-31")
    plan = lead_reader._plan(f)
    condition, _, values = lead_reader._filter_expression(f, plan)
    assert plan.key_condition == "#pk = :pk AND #t BETWEEN :from AND :to"
    assert plan.values == {":from": "2024-01-01", ":to": "2024-01-31T~"}
    assert condition == "#f3 = :f3" and values == {":f3": "DE"}


def test_a_cursor_of_other_filters_is_refused() -> None:
    all_leads = lead_reader._plan(LeadFilters())
    by_source = lead_reader._plan(LeadFilters(source="form"))
    cursor = lead_reader.encode_cursor(all_leads.index, {"new": None, "contacted": {"lead_id": {"S": "x"}}})
    assert lead_reader.decode_cursor(cursor, all_leads) == {"new": None, "contacted": {"lead_id": {"S": "x"}}}
    with pytest.raises(BadInput, match="other filters"):
        lead_reader.decode_cursor(cursor, by_source)
    # the same index, another partition (status=new's cursor on status=qualified)
    new_only = lead_reader._plan(LeadFilters(status="new"))
    with pytest.raises(BadInput, match="other filters"):
        lead_reader.decode_cursor(
            lead_reader.encode_cursor("by_status", {"new": None}), lead_reader._plan(LeadFilters(status="qualified"))
        )
    assert lead_reader.decode_cursor(lead_reader.encode_cursor("by_status", {"new": None}), new_only) == {"new": None}
    with pytest.raises(BadInput, match="not one this API gave out"):
        lead_reader.decode_cursor("%%%", all_leads)


def test_a_page_and_an_export_show_each_lead_as_stored() -> None:
    ana = Lead(lead_id="a", first_name="=cmd", email="ana@acme.example", _worksheet="Sheet 1", row=3)
    bo = Lead(lead_id="b", company="Globex", status=LeadStatus.QUALIFIED)
    # the API's page: leads without None fields, `_worksheet` by that name, `next_cursor` even when None
    assert LeadPage(leads=[ana, bo]).public() == {"leads": [ana.to_item(), bo.to_item()], "next_cursor": None}
    assert "email" not in LeadPage(leads=[bo], next_cursor="c").public()["leads"][0]
    body, count = lead_reader.to_csv(iter([ana, bo]))
    lines = body.decode("utf-8-sig").split("\r\n")
    assert count == 2 and lines[0].split(",") == list(lead_reader.EXPORT_COLUMNS)
    ana_row = {"lead_id": "a", "first_name": "'=cmd", "email": "ana@acme.example", "source": "upload", "status": "new"}
    ana_row |= {"_worksheet": "Sheet 1", "row": "3", "created_at": ana.created_at}
    assert dict(zip(lead_reader.EXPORT_COLUMNS, lines[1].split(","), strict=True)) == {
        **dict.fromkeys(lead_reader.EXPORT_COLUMNS, ""),
        **ana_row,
    }
    assert lines[2].split(",")[:10] == ["b", "", "", "", "", "Globex", "", "", "upload", "qualified"]
