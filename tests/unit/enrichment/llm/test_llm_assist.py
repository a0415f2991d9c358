"""Layouts and cells through the fake provider: batching, caching, validation, the guard, and the fallback flag."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from llm_support import Sleeps, client_for, running_fake

from leadflow.local.fake_llm import FakeLlm
from shared.enrichment.llm.assist import (
    CellRequest,
    LayoutAnswer,
    LayoutCache,
    ask_layout,
    cell_requests,
    map_layout,
    merge_layout,
    parse_cells,
    refused_count,
)
from shared.enrichment.llm.client import ChatClient, LlmBadOutput
from shared.enrichment.standardize import HeaderMapping, Standardized

HEADERS = ("Kontakt Vorname", "Familienname", "E-Post", "Rufnummer", "Arbeitgeber", "Notiz")
ROWS = [
    {"Kontakt Vorname": "Ana", "Familienname": "Lima", "E-Post": "ana@acme.com", "Rufnummer": "+49 30 123456"},
    {"Kontakt Vorname": "Bo", "Familienname": "Berg", "E-Post": "bo@berg.de", "Rufnummer": "030 654321"},
]
# What the rules might say about such a layout: little, and unsure.
UNSURE = HeaderMapping({"E-Post": "email"}, tuple(h for h in HEADERS if h != "E-Post"), 0.3)
SURE = HeaderMapping({"E-Post": "email", "Familienname": "last_name"}, ("Kontakt Vorname",), 0.95)


@pytest.fixture(scope="module")
def server() -> Iterator[FakeLlm]:
    with running_fake() as running:
        yield running


@pytest.fixture
def fake(server: FakeLlm) -> Iterator[FakeLlm]:
    server.reset()  # one server per module, a clean slate per test
    yield server
    server.reset()


@pytest.fixture
def client(fake: FakeLlm) -> ChatClient:
    return client_for(fake, timeout_s=1.0, max_attempts=2, backoff_s=0.01)


# --- layouts ----------------------------------------------------------------------------------------------


def test_map_layout_maps_headers_onto_standard_fields(client: ChatClient, fake: FakeLlm) -> None:
    mapping = map_layout(client, HEADERS, ROWS)

    assert mapping == {
        "Kontakt Vorname": "first_name",
        "Familienname": "last_name",
        "E-Post": "email",
        "Rufnummer": "phone",
        "Arbeitgeber": "company",
    }
    sent = json.loads(fake.requests[0].body["messages"][1]["content"])  # type: ignore[index]
    assert sent["headers"] == list(HEADERS)
    assert sent["sample_rows"][0][:3] == ["Ana", "Lima", "ana@acme.com"]


def test_layout_answer_keeps_known_headers_and_fields_each_field_once() -> None:
    raw = {
        "mapping": {
            "Notiz": "email",  # E-Post is further left in the file and wins...
            "E-Post": "email",
            "Rufnummer": "Phone",  # case forgiven
            " Arbeitgeber ": "company",  # a header with stray spaces is still that header
            "Familienname": "surname",  # not a field of the Lead
            "Invented": "title",  # not a header of the layout
            "Kontakt Vorname": None,
            "Also invented": None,  # harmless
        }
    }

    answer = LayoutAnswer.model_validate(raw, context={"headers": HEADERS})

    assert answer.fields == {"E-Post": "email", "Rufnummer": "phone", "Arbeitgeber": "company"}
    assert answer.dropped == 3  # the second email, the unknown field, the unknown header
    # Answered validly (a field or null); Familienname's invalid answer counts as no answer.
    assert set(answer.answered) == {"Notiz", "E-Post", "Rufnummer", "Arbeitgeber", "Kontakt Vorname"}


def test_of_two_headers_named_the_same_field_the_leftmost_wins() -> None:
    raw = {"mapping": {"Notiz": "email", "E-Post": "email"}}

    answer = LayoutAnswer.model_validate(raw, context={"headers": HEADERS})

    assert answer.fields == {"E-Post": "email"}  # E-Post comes before Notiz in the file
    assert answer.dropped == 1


@pytest.mark.parametrize("content", [{"headers": {}}, {"mapping": ["E-Post", "email"]}, {"mapping": "email"}])
def test_a_layout_answer_without_a_mapping_object_is_bad_output(
    client: ChatClient, fake: FakeLlm, content: dict[str, object]
) -> None:
    fake.script.reply(content)

    with pytest.raises(LlmBadOutput, match="mapping"):
        map_layout(client, HEADERS, ROWS)


def test_a_hallucinated_layout_is_dropped(client: ChatClient, fake: FakeLlm) -> None:
    fake.script.hallucinate()

    answer = ask_layout(client, HEADERS, ROWS)

    assert answer.fields == {}
    assert answer.dropped == len(HEADERS) + 1  # an invented header, and a field that does not exist for each


def test_layout_is_asked_once_per_layout_per_job(client: ChatClient, fake: FakeLlm) -> None:
    cache = LayoutCache()

    first = cache.resolve(client, "job-1", HEADERS, ROWS, rules=UNSURE)
    again = cache.resolve(client, "job-1", list(HEADERS), ROWS[1:], rules=UNSURE)
    assert fake.calls_of("layout") == 1
    assert again == first

    cache.resolve(client, "job-2", HEADERS, ROWS, rules=UNSURE)
    assert fake.calls_of("layout") == 2

    cache.resolve(client, "job-1", (*HEADERS[:-1], "Bemerkung"), ROWS, rules=UNSURE)
    assert fake.calls_of("layout") == 3

    assert first.used_llm and not first.fallback
    assert first.mapping.fields["Rufnummer"] == "phone"
    assert first.mapping.unmapped == ("Notiz",)


def test_a_confident_layout_or_no_provider_never_asks(client: ChatClient, fake: FakeLlm) -> None:
    cache = LayoutCache()

    sure = cache.resolve(client, "job-1", HEADERS, ROWS, rules=SURE)
    no_provider = cache.resolve(None, "job-1", HEADERS, ROWS, rules=UNSURE)

    assert fake.calls == 0
    assert sure.mapping is SURE and not sure.used_llm and not sure.fallback
    assert no_provider.mapping is UNSURE and not no_provider.used_llm and not no_provider.fallback


def test_without_a_rules_mapping_the_cache_maps_headers_itself(client: ChatClient, fake: FakeLlm) -> None:
    confident_headers = ("First Name", "Last Name", "Email", "Phone", "Company")

    result = LayoutCache().resolve(client, "job-1", confident_headers, [])

    assert fake.calls == 0
    assert result.mapping.fields["Email"] == "email"


def test_an_unavailable_provider_falls_back_to_the_rules_once_per_job(fake: FakeLlm) -> None:
    sleeps = Sleeps()
    client = client_for(fake, max_attempts=2, sleeps=sleeps)
    fake.script.server_error(503, times=2)
    cache = LayoutCache()

    result = cache.resolve(client, "job-1", HEADERS, ROWS, rules=UNSURE)
    again = cache.resolve(client, "job-1", HEADERS, ROWS, rules=UNSURE)

    assert result.fallback and not result.used_llm
    assert result.mapping is UNSURE
    assert again is result
    assert fake.calls == 2  # the two attempts of the first resolve only


def test_bad_output_falls_back_too(client: ChatClient, fake: FakeLlm) -> None:
    fake.script.invalid_json()

    result = LayoutCache().resolve(client, "job-1", HEADERS, ROWS, rules=UNSURE)

    assert result.fallback and result.mapping is UNSURE


def test_the_cache_forgets_the_least_recently_used_layouts(client: ChatClient, fake: FakeLlm) -> None:
    cache = LayoutCache(max_layouts=2)
    for job in ("a", "b", "c"):
        cache.resolve(client, job, HEADERS, ROWS, rules=UNSURE)
    assert len(cache) == 2

    cache.resolve(client, "a", HEADERS, ROWS, rules=UNSURE)

    assert fake.calls_of("layout") == 4


def test_merge_keeps_the_rules_for_headers_the_model_said_nothing_about() -> None:
    rules = HeaderMapping({"Name": "full_name", "Mail": "email", "Org": "company"}, ("Tel",), 0.4)
    answer = LayoutAnswer.model_validate(
        {"mapping": {"Tel": "phone", "Org": None, "Mail": "title"}}, context={"headers": ("Name", "Mail", "Tel", "Org")}
    )

    merged = merge_layout(("Name", "Mail", "Tel", "Org"), rules, answer)

    # The model's answers win (Mail -> title, Org -> unmapped); Name, not answered, keeps the rules' field.
    assert merged.fields == {"Name": "full_name", "Mail": "title", "Tel": "phone"}
    assert merged.unmapped == ("Org",)


# --- cells --------------------------------------------------------------------------------------------------


def test_cells_are_read_and_grounded(client: ChatClient) -> None:
    cells = [
        CellRequest("row-1", "phone", "call me at five five five one two three four"),
        CellRequest("row-2", "full_name", "ANA LIMA (CEO, ACME)"),
        CellRequest("row-3", "email", "write to: Bo.Berg@Berg.de (not on fridays)"),
        CellRequest("row-4", "country", "Deutschland (HQ)"),
    ]

    results = parse_cells(client, cells)

    assert [r.row_key for r in results] == ["row-1", "row-2", "row-3", "row-4"]
    assert results[0].values == {"phone": "5551234"}
    assert results[1].values == {"first_name": "Ana", "last_name": "Lima", "title": "CEO", "company": "ACME"}
    assert results[2].values == {"email": "Bo.Berg@Berg.de"}
    assert results[3].values == {"country": "DE"}
    assert not any(r.fallback or r.refused for r in results)


def test_100_cells_take_2_requests_of_50(client: ChatClient, fake: FakeLlm) -> None:
    cells = [CellRequest(f"row-{i}", "phone", f"tel {2125550100 + i}") for i in range(100)]

    results = parse_cells(client, cells, batch_size=50)

    assert fake.calls_of("cells") == 2
    sizes = [len(json.loads(r.body["messages"][1]["content"])["cells"]) for r in fake.requests]  # type: ignore[index]
    assert sizes == [50, 50]
    assert [r.row_key for r in results] == [c.row_key for c in cells]
    assert all(r.values == {"phone": str(2125550100 + i)} for i, r in enumerate(results))


def test_the_default_batch_is_50(client: ChatClient, fake: FakeLlm) -> None:
    parse_cells(client, [CellRequest(f"r{i}", "email", f"x{i}@acme.com") for i in range(51)])

    assert fake.calls_of("cells") == 2


def test_identical_cells_are_asked_once(client: ChatClient, fake: FakeLlm) -> None:
    cells = [CellRequest(f"row-{i}", "phone", "five five five one two three four") for i in range(30)]

    results = parse_cells(client, cells)

    sent = json.loads(fake.requests[0].body["messages"][1]["content"])["cells"]  # type: ignore[index]
    assert len(sent) == 1
    assert len(results) == 30 and all(r.values == {"phone": "5551234"} for r in results)


def test_no_cells_no_request(client: ChatClient, fake: FakeLlm) -> None:
    assert parse_cells(client, []) == []
    assert fake.calls == 0


def test_hallucinated_values_are_refused_and_counted(client: ChatClient, fake: FakeLlm) -> None:
    fake.script.hallucinate()
    cells = [
        CellRequest("row-1", "phone", "call me at five five five one two three four"),
        CellRequest("row-2", "full_name", "ANA LIMA (CEO, ACME)"),
        CellRequest("row-3", "email", "ana at acme dot com"),
    ]

    results = parse_cells(client, cells)

    assert all(r.values == {} and not r.fallback for r in results)
    assert results[0].refused == ("phone",)
    assert set(results[1].refused) == {"first_name", "last_name", "company"}
    assert refused_count(results) == 5


def test_values_for_fields_the_cell_does_not_hold_are_refused(client: ChatClient, fake: FakeLlm) -> None:
    # The address is in the text, but this is a phone cell: the model may only read a phone out of it.
    fake.script.reply({"cells": [{"id": "0", "values": {"phone": "5551234", "email": "ana@acme.com"}}]})

    (result,) = parse_cells(client, [CellRequest("row-1", "phone", "555 1234 or ana@acme.com")])

    assert result.values == {"phone": "5551234"}
    assert result.refused == ("email",)


def test_each_cell_answer_is_validated_on_its_own(client: ChatClient, fake: FakeLlm) -> None:
    fake.script.reply(
        {
            "cells": [
                {"id": "0", "values": ["not", "a", "mapping"]},
                {"values": {"email": "b@acme.com"}},  # no id
                {"id": 1, "values": {"email": "b@acme.com", "phone": None}},  # a numeric id is fine
                {"id": "1", "values": {"email": "other@acme.com"}},  # a second answer for one cell is ignored
                {"id": "7", "values": {"email": "c@acme.com"}},  # no such cell
                "garbage",
            ]
        }
    )
    cells = [CellRequest("row-1", "email", "a@acme.com"), CellRequest("row-2", "email", "b@acme.com")]

    first, second = parse_cells(client, cells)

    assert first.values == {} and not first.fallback
    assert second.values == {"email": "b@acme.com"}


def test_cells_fall_back_with_a_flag_when_the_provider_is_down(fake: FakeLlm) -> None:
    client = client_for(fake, max_attempts=3)
    fake.script.server_error(500, times=3)
    cells = [CellRequest("row-1", "phone", "five five five one two three four")]

    (result,) = parse_cells(client, cells)

    assert result.fallback and result.values == {} and result.row_key == "row-1"


def test_only_the_failed_batch_falls_back(client: ChatClient, fake: FakeLlm) -> None:
    fake.script.reply({"cells": [{"id": str(i), "values": {"email": f"x{i}@acme.com"}} for i in range(2)]})
    fake.script.invalid_json()
    cells = [CellRequest(f"r{i}", "email", f"x{i}@acme.com") for i in range(4)]

    results = parse_cells(client, cells, batch_size=2)

    assert [r.fallback for r in results] == [False, False, True, True]
    assert results[1].values == {"email": "x1@acme.com"}


@pytest.mark.parametrize("content", [{"cells": "none"}, {"answers": []}])
def test_a_cells_answer_without_a_cells_list_falls_back(client: ChatClient, fake: FakeLlm, content: object) -> None:
    fake.script.reply(content)  # type: ignore[arg-type]

    (result,) = parse_cells(client, [CellRequest("row-1", "email", "a@acme.com")])

    assert result.fallback


def test_a_cell_of_an_unknown_field_cannot_be_asked() -> None:
    with pytest.raises(ValueError, match="nickname"):
        CellRequest("row-1", "nickname", "Bobby")


def test_cell_requests_are_the_cells_of_unparsed_fields() -> None:
    values = {"Name": "Bo", "Tel": "five five five one two three four", "Mail": "", "Land": "Alemanha"}
    mapping = HeaderMapping({"Name": "full_name", "Tel": "phone", "Mail": "email", "Land": "country"}, (), 0.9)
    result = Standardized({"first_name": "Bo"}, {}, (), None, ("phone", "email", "country"))

    requests = cell_requests("job-1#7", values, mapping, result)

    assert requests == [
        CellRequest("job-1#7", "phone", "five five five one two three four"),
        CellRequest("job-1#7", "country", "Alemanha"),
    ]
