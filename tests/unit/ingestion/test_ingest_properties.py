"""Property tests: random tables survive a CSV round trip, and damaged files never leak raw exceptions."""

from __future__ import annotations

import csv
import io
import random
import re
from pathlib import Path

import pytest
from goodfiles import write_ods, write_xls, write_xlsx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shared.ingestion.files.readers import FileRejected, Row, RowRejection, read_rows

# Headers read like lead columns ("email 1", "phone 2", ...), so the header row
# is unambiguous however wild the data is: no data row can look more like a header.
HEADER_WORDS = ["email", "phone", "name", "company", "country", "city", "title", "mobile"]

# Any printable text, plus the characters that stress CSV: quotes, delimiters,
# line breaks and surrounding spaces. Other control characters are left out
# because text full of them is rightly refused as binary.
cell_text = st.text(
    alphabet=st.one_of(
        st.characters(blacklist_categories=("Cs", "Cc")),
        st.sampled_from(['"', ",", ";", "|", "\t", "\n", "\r", " ", "'"]),
    ),
    max_size=12,
)

_LINE_BREAK = re.compile(r"\r\n|\r|\n")


@st.composite
def tables(draw: st.DrawFn) -> tuple[list[str], list[list[str]]]:
    columns = draw(st.integers(min_value=2, max_value=6))
    header = [f"{HEADER_WORDS[index % len(HEADER_WORDS)]} {index}" for index in range(columns)]
    data = draw(st.lists(st.lists(cell_text, min_size=columns, max_size=columns), min_size=1, max_size=8))
    return header, data


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    table=tables(),
    delimiter=st.sampled_from([",", ";", "\t", "|"]),
    encoding=st.sampled_from(["utf-8", "utf-8-sig", "utf-16"]),
)
def test_random_tables_round_trip_through_csv(
    tmp_path: Path, table: tuple[list[str], list[list[str]]], delimiter: str, encoding: str
) -> None:
    header, data = table
    expected: list[Row] = []
    line = 1
    text_parts = []
    for record in [header, *data]:
        buffer = io.StringIO(newline="")
        csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n").writerow(record)
        written = buffer.getvalue()
        text_parts.append(written)
        values = {name: cell.strip() for name, cell in zip(header, record, strict=True) if cell.strip()}
        if record is not header and values:
            expected.append(Row(None, line, values))
        line += len(_LINE_BREAK.findall(written))
    path = tmp_path / "round-trip.csv"
    path.write_bytes("".join(text_parts).encode(encoding))

    if expected:
        assert list(read_rows(path, "round-trip.csv")) == expected
    else:
        with pytest.raises(FileRejected, match="header row but no data rows"):
            list(read_rows(path, "round-trip.csv"))


def _valid_workbooks(directory: Path) -> dict[str, bytes]:
    grid = [["Leads"], [], ["Email", "Name", "Phone"], ["a@example.com", "Ada", 2125550178], ["b@example.com", "Bob"]]
    return {
        name: writer(directory, {"Leads": grid, "Other": [["Email"], ["c@example.com"]]}, name=name).read_bytes()
        for name, writer in (("w.xlsx", write_xlsx), ("w.xls", write_xls), ("w.ods", write_ods))
    }


@pytest.mark.parametrize("name", ["w.xlsx", "w.xls", "w.ods"])
def test_damaged_workbooks_only_ever_raise_file_rejected(tmp_path: Path, name: str) -> None:
    original = _valid_workbooks(tmp_path)[name]
    generator = random.Random(f"damage-{name}")
    path = tmp_path / f"damaged-{name}"
    outcomes: set[str] = set()
    for attempt in range(120):
        data = bytearray(original)
        if attempt % 3 == 0:
            del data[generator.randrange(len(data)) :]
        else:
            for _ in range(generator.randint(1, 8)):
                data[generator.randrange(len(data))] = generator.randrange(256)
        path.write_bytes(bytes(data))
        try:
            items = list(read_rows(path, name))
        except FileRejected as rejected:
            assert rejected.reason.endswith(".")
            outcomes.add("rejected")
        else:
            assert all(isinstance(item, Row | RowRejection) for item in items)
            outcomes.add("read")
    assert "rejected" in outcomes


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    content=st.binary(max_size=2048),
    filename=st.sampled_from(sorted(["leads.csv", "leads.tsv", "leads.txt", "leads.json", "leads.jsonl"])),
)
def test_arbitrary_bytes_only_produce_rows_or_rejections(tmp_path: Path, content: bytes, filename: str) -> None:
    path = tmp_path / "fuzz"
    path.write_bytes(content)
    try:
        items = list(read_rows(path, filename))
    except FileRejected as rejected:
        assert rejected.reason
    else:
        assert all(isinstance(item, Row | RowRejection) for item in items)
