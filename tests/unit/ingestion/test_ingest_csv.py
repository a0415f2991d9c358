"""Delimited text: delimiters, encodings, header detection, row numbers, streaming and rejections."""

from __future__ import annotations

import codecs
import tracemalloc
from pathlib import Path

import badfiles
import pytest
from goodfiles import write_csv

from shared.ingestion.files.readers import FileRejected, Row, RowRejection, read_rows

GRID = [
    ["First Name", "Last Name", "Email", "Phone", "Company"],
    ["Zoë", "Müller", "zoe@example.com", "+49 30 123456", "Ünïcode GmbH"],
    ["José", "Núñez", "jose@example.com", "2125550178", "Acme, Inc."],
]
EXPECTED = [
    Row(
        None,
        2,
        {
            "First Name": "Zoë",
            "Last Name": "Müller",
            "Email": "zoe@example.com",
            "Phone": "+49 30 123456",
            "Company": "Ünïcode GmbH",
        },
    ),
    Row(
        None,
        3,
        {
            "First Name": "José",
            "Last Name": "Núñez",
            "Email": "jose@example.com",
            "Phone": "2125550178",
            "Company": "Acme, Inc.",
        },
    ),
]


def read(path: Path, filename: str | None = None) -> list[Row | RowRejection]:
    return list(read_rows(path, filename or path.name))


def rejection(path: Path, filename: str | None = None) -> str:
    with pytest.raises(FileRejected) as caught:
        read(path, filename)
    return caught.value.reason


@pytest.mark.parametrize("delimiter", [",", ";", "\t", "|"])
@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "utf-16", "utf-16-le-bom", "utf-16-be-bom", "cp1252"])
def test_every_delimiter_and_encoding_reads_the_same_rows(tmp_path: Path, delimiter: str, encoding: str) -> None:
    if encoding.endswith("-bom"):
        codec = encoding.removesuffix("-bom")
        bom = codecs.BOM_UTF16_LE if codec == "utf-16-le" else codecs.BOM_UTF16_BE
        path = write_csv(tmp_path, GRID, delimiter=delimiter, encoding=codec)
        path.write_bytes(bom + path.read_bytes())
    else:
        path = write_csv(tmp_path, GRID, delimiter=delimiter, encoding=encoding)
    assert read(path) == EXPECTED


def test_utf16_without_bom_is_recognised(tmp_path: Path) -> None:
    path = write_csv(tmp_path, GRID, encoding="utf-16-le")
    assert read(path) == EXPECTED


def test_cp1252_only_characters_decode(tmp_path: Path) -> None:
    # 0x80 is the euro sign in cp1252 and invalid as UTF-8; 0x81 is undefined in cp1252.
    path = tmp_path / "ansi.csv"
    path.write_bytes(b"Name;Budget\r\nCaf\xe9 Ren\xe9;\x80 500 \x81\r\n")
    assert read(path) == [Row(None, 2, {"Name": "Café René", "Budget": "€ 500 \x81"})]


def test_invalid_utf8_late_in_a_big_file_switches_the_whole_file_to_cp1252(tmp_path: Path) -> None:
    path = tmp_path / "late-ansi.csv"
    lines = [b"Email,Name"] + [b"p%d@example.com,Person %d" % (i, i) for i in range(40_000)]
    lines.append(b"x@example.com,Ren\xe9")
    path.write_bytes(b"\n".join(lines) + b"\n")
    rows = read(path)
    assert len(rows) == 40_001
    assert rows[-1] == Row(None, 40_002, {"Email": "x@example.com", "Name": "René"})


@pytest.mark.parametrize(("name", "delimiter"), [("leads.tsv", "\t"), ("leads.txt", "|"), ("LEADS.CSV", ";")])
def test_other_text_extensions(tmp_path: Path, name: str, delimiter: str) -> None:
    path = write_csv(tmp_path, GRID, name=name, delimiter=delimiter)
    assert read(path) == EXPECTED


def test_semicolon_file_with_commas_in_every_row(tmp_path: Path) -> None:
    grid = [["Name", "Email"]] + [[f"Smith, John {i}", f"j{i}@example.com"] for i in range(10)]
    path = write_csv(tmp_path, grid, delimiter=";")
    rows = read(path)
    assert rows[0] == Row(None, 2, {"Name": "Smith, John 0", "Email": "j0@example.com"})
    assert len(rows) == 10


def test_quoted_newlines_keep_the_record_together_and_number_rows_by_their_first_line(tmp_path: Path) -> None:
    path = tmp_path / "multiline.csv"
    path.write_text(
        'Name,Address,Email\r\n"Ada","1 Main St\r\nFlat 2\r\nLondon",ada@example.com\r\n'
        'Bob,"Elm\nRoad",bob@example.com\r\n'
        "Cy,Oak,cy@example.com\r\n",
        encoding="utf-8",
    )
    assert read(path) == [
        Row(None, 2, {"Name": "Ada", "Address": "1 Main St\r\nFlat 2\r\nLondon", "Email": "ada@example.com"}),
        Row(None, 5, {"Name": "Bob", "Address": "Elm\nRoad", "Email": "bob@example.com"}),
        Row(None, 7, {"Name": "Cy", "Address": "Oak", "Email": "cy@example.com"}),
    ]


def test_title_and_blank_rows_above_the_header_are_skipped(tmp_path: Path) -> None:
    grid = [
        ["Leads from Expo 2026"],
        [],
        ["Exported 2026-03-01", ""],
        ["E-mail Address", "Full Name", "Mobile"],
        ["ada@example.com", "Ada Lovelace", "07700 900123"],
        [],
        ["", "", ""],
        ["bob@example.com", "Bob", ""],
    ]
    path = write_csv(tmp_path, grid)
    assert read(path) == [
        Row(None, 5, {"E-mail Address": "ada@example.com", "Full Name": "Ada Lovelace", "Mobile": "07700 900123"}),
        Row(None, 8, {"E-mail Address": "bob@example.com", "Full Name": "Bob"}),
    ]


def test_header_without_lead_words_is_the_first_row_that_fits(tmp_path: Path) -> None:
    grid = [["Alpha", "", "Gamma"], ["x", "y", "z"], ["u", "v", "w"]]
    path = write_csv(tmp_path, grid)
    assert read(path) == [
        Row(None, 2, {"Alpha": "x", "column_2": "y", "Gamma": "z"}),
        Row(None, 3, {"Alpha": "u", "column_2": "v", "Gamma": "w"}),
    ]


def test_blank_and_duplicate_headers_get_unique_names(tmp_path: Path) -> None:
    grid = [
        ["Email", "", "Email", " Name ", "Email (2)", "", "Email"],
        ["a@example.com", "b", "c@example.com", "Ann", "d", "e", "f@example.com"],
    ]
    path = write_csv(tmp_path, grid)
    assert read(path) == [
        Row(
            None,
            2,
            {
                "Email": "a@example.com",
                "column_2": "b",
                "Email (2)": "c@example.com",
                "Name": "Ann",
                "Email (2) (2)": "d",
                "column_6": "e",
                "Email (3)": "f@example.com",
            },
        )
    ]


def test_file_without_a_header_gets_numbered_columns_and_keeps_every_row(tmp_path: Path) -> None:
    path = tmp_path / "emails.txt"
    path.write_text("ada@example.com\nbob@example.com\n\ncy@example.com\n", encoding="utf-8")
    assert read(path) == [
        Row(None, 1, {"column_1": "ada@example.com"}),
        Row(None, 2, {"column_1": "bob@example.com"}),
        Row(None, 4, {"column_1": "cy@example.com"}),
    ]


def test_values_are_stripped_and_empty_cells_omitted(tmp_path: Path) -> None:
    path = write_csv(tmp_path, [["Name", "Email", "Phone"], ["  Ada  ", "", " \t"], ["   ", "", ""]])
    assert read(path) == [Row(None, 2, {"Name": "Ada"})]


def test_ragged_rows_with_more_values_are_rejected_and_shorter_rows_are_fine(tmp_path: Path) -> None:
    rows = read(badfiles.ragged_csv(tmp_path))
    assert rows[0] == Row(
        None, 2, {"Name": "Ada", "Email": "ada@example.com", "Phone": "1", "Company": "Acme", "Country": "UK"}
    )
    assert isinstance(rows[1], RowRejection)
    assert rows[1].row == 3
    assert rows[1].worksheet is None
    assert "row has 7 values but the header has 5 columns" in rows[1].reason
    assert rows[2] == Row(None, 4, {"Name": "Cy", "Email": "cy@example.com"})


def test_trailing_empty_cells_beyond_the_header_are_not_ragged(tmp_path: Path) -> None:
    path = tmp_path / "padded.csv"
    path.write_text("Name,Email\nAda,ada@example.com,,,\n", encoding="utf-8")
    assert read(path) == [Row(None, 2, {"Name": "Ada", "Email": "ada@example.com"})]


def test_empty_file_is_rejected(tmp_path: Path) -> None:
    assert rejection(badfiles.empty_file(tmp_path)) == "The file is empty."


def test_blank_file_counts_as_empty(tmp_path: Path) -> None:
    assert rejection(badfiles.blank_csv(tmp_path)) == "The file is empty."


def test_header_only_is_rejected(tmp_path: Path) -> None:
    assert rejection(badfiles.header_only_csv(tmp_path)) == "The file has a header row but no data rows."


def test_stray_nul_bytes_clean_padding_and_reject_only_the_damaged_row(tmp_path: Path) -> None:
    results = list(read_rows(badfiles.nul_bytes_csv(tmp_path), "leads.csv"))

    rows = {r.row: r.values for r in results if isinstance(r, Row)}
    rejected = [r for r in results if isinstance(r, RowRejection)]
    assert rows == {
        2: {"Email": "ada.lovelace@analytical.example", "Name": "Ada Lovelace"},
        3: {"Email": "grace.hopper@cobol.example", "Name": "Grace Hopper"},  # NUL padding cleaned
        5: {"Email": "edsger.dijkstra@eindhoven.example", "Name": "Edsger Dijkstra"},
    }
    assert [(r.row, r.reason) for r in rejected] == [
        (4, "The Name value contains NUL bytes inside its text (a damaged export); fix or remove the row.")
    ]


def test_a_nul_late_in_a_long_file_rejects_that_row_only(tmp_path: Path) -> None:
    results = read_rows(badfiles.late_nul_bytes_csv(tmp_path, good_rows=60_000), "leads.csv")

    good = rejected = 0
    for result in results:
        if isinstance(result, Row):
            good += 1
        else:
            rejected += 1
            assert result.row == 60_002 and "NUL bytes" in result.reason
    assert (good, rejected) == (60_000, 1)


def test_a_file_that_is_mostly_nul_bytes_is_still_refused_before_any_row(tmp_path: Path) -> None:
    rows = read_rows(badfiles.mostly_nul_csv(tmp_path), "leads.csv")
    with pytest.raises(FileRejected, match="NUL bytes throughout; it looks binary"):
        next(rows)


def test_utf16_text_with_stray_nul_characters_is_read_row_by_row(tmp_path: Path) -> None:
    path = tmp_path / "wide.csv"
    path.write_bytes(
        codecs.BOM_UTF16_LE + "Email,Name\r\na@example.com,A\x00\r\nb@example.com,B\x00b\r\n".encode("utf-16-le")
    )

    results = list(read_rows(path, "leads.csv"))

    assert [r.values for r in results if isinstance(r, Row)] == [{"Email": "a@example.com", "Name": "A"}]
    assert [r.row for r in results if isinstance(r, RowRejection)] == [3]


@pytest.mark.parametrize(
    ("builder", "found"),
    [
        (badfiles.xlsx_named_csv, "ZIP archive"),
        (badfiles.zip_named_csv, "ZIP archive"),
    ],
)
def test_archives_named_csv_are_rejected(tmp_path: Path, builder: badfiles.Builder, found: str) -> None:
    reason = rejection(builder(tmp_path))
    assert "named .csv" in reason
    assert "not CSV text" in reason
    assert found in reason


def test_binary_junk_named_csv_is_rejected(tmp_path: Path) -> None:
    reason = rejection(badfiles.binary_junk_csv(tmp_path))
    assert "binary" in reason


def test_control_characters_without_nul_are_rejected_as_binary(tmp_path: Path) -> None:
    path = tmp_path / "controls.csv"
    path.write_bytes(bytes(range(1, 32)) * 20)
    assert "binary" in rejection(path)


def test_quote_that_never_closes_is_rejected_with_the_line(tmp_path: Path) -> None:
    path = tmp_path / "unclosed.csv"
    body = "".join(f"p{i}@example.com,Person {i}\n" for i in range(10_000))
    path.write_text('Email,Name\nada@example.com,"Ada\n' + body, encoding="utf-8")
    with pytest.raises(FileRejected, match=r"near line \d+; a quote mark"):
        read(path)


def test_streaming_a_large_csv_keeps_memory_flat(tmp_path: Path) -> None:
    path = tmp_path / "big.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        handle.write("First Name,Last Name,Email,Phone,Company,Country\r\n")
        for index in range(200_000):
            handle.write(f"First{index},Last{index},p{index}@example.com,+1 212 555 {index:06d},Co {index % 97},US\r\n")
    assert path.stat().st_size > 10_000_000

    tracemalloc.start()
    try:
        count = 0
        last = None
        for item in read_rows(path, "big.csv"):
            count += 1
            last = item
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert count == 200_000
    assert last == Row(
        None,
        200_001,
        {
            "First Name": "First199999",
            "Last Name": "Last199999",
            "Email": "p199999@example.com",
            "Phone": "+1 212 555 199999",
            "Company": f"Co {199_999 % 97}",
            "Country": "US",
        },
    )
    # The file is >10 MB; a reader that held the rows or the text would peak far above this.
    assert peak < 4 * 1024 * 1024
