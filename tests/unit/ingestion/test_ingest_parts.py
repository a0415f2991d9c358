"""The building blocks: cell text, header choice and naming, delimiter choice, CFB listing, dispatch."""

from __future__ import annotations

import dataclasses
import datetime
from pathlib import Path

import badfiles
import pytest
from goodfiles import write_xls

from shared.ingestion.files import cfb
from shared.ingestion.files.cells import cell_text
from shared.ingestion.files.delimited import detect_delimiter
from shared.ingestion.files.readers import (
    SUPPORTED_EXTENSIONS,
    FileRejected,
    Row,
    RowRejection,
    extension_of,
    read_rows,
)
from shared.ingestion.files.table import choose_header, header_names


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (2125550178.0, "2125550178"),
        (-3.0, "-3"),
        (0.0, "0"),
        (-0.0, "0"),
        (1.5, "1.5"),
        (0.1 + 0.2, "0.30000000000000004"),
        (1e20, "1e+20"),
        (float("nan"), "nan"),
        (7, "7"),
        (True, "true"),
        (False, "false"),
        (None, ""),
        ("  padded\t", "padded"),
        (datetime.datetime(2026, 3, 2, 14, 30, 5), "2026-03-02T14:30:05"),
        (datetime.date(2026, 3, 2), "2026-03-02"),
        (datetime.time(9, 5), "09:05:00"),
        (datetime.timedelta(hours=30, seconds=1.5), "30:00:01.5"),
        (datetime.timedelta(minutes=-90), "-01:30:00"),
        ({"a": [1, None]}, '{"a":[1,null]}'),
    ],
)
def test_cell_text(value: object, text: str) -> None:
    assert cell_text(value) == text


def test_supported_extensions() -> None:
    assert (
        frozenset({".csv", ".tsv", ".txt", ".xlsx", ".xlsm", ".xls", ".ods", ".json", ".jsonl", ".ndjson"})
        == SUPPORTED_EXTENSIONS
    )


@pytest.mark.parametrize(
    ("filename", "extension"),
    [
        ("leads.CSV", ".csv"),
        ("my.leads.xlsx", ".xlsx"),
        (" leads.xlsx ", ".xlsx"),
        ("C:\\Users\\ada\\leads.xls", ".xls"),
        ("leads", ""),
        (".csv", ""),
    ],
)
def test_extension_of(filename: str, extension: str) -> None:
    assert extension_of(filename) == extension


def test_unknown_extension_names_it_and_lists_the_supported_ones(tmp_path: Path) -> None:
    with pytest.raises(FileRejected) as caught:
        list(read_rows(badfiles.unknown_extension(tmp_path), "leads.pdf"))
    assert ".pdf" in caught.value.reason
    for extension in SUPPORTED_EXTENSIONS:
        assert extension in caught.value.reason


def test_missing_extension_is_explained(tmp_path: Path) -> None:
    with pytest.raises(FileRejected, match="has no extension"):
        list(read_rows(badfiles.unknown_extension(tmp_path), "leads"))


def test_file_rejected_carries_its_reason() -> None:
    error = FileRejected("The file is empty.")
    assert error.reason == "The file is empty."
    assert str(error) == "The file is empty."


def test_results_are_frozen() -> None:
    row = Row("Sheet", 2, {"Email": "a@example.com"})
    with pytest.raises(dataclasses.FrozenInstanceError):
        row.row = 3  # type: ignore[misc]
    assert RowRejection(None, 1, "x").__slots__ == ("worksheet", "row", "reason")


@pytest.mark.parametrize(
    ("sample", "header"),
    [
        ([["Title"], ["Name", "Email", "Phone"], ["Ada", "a@example.com", "1"]], 1),
        ([["Name", "Email"], ["Ada", "a@example.com"]], 0),
        ([["a@example.com", "1"], ["b@example.com", "2"]], None),
        ([["Export", "2026-01-01"], ["Alpha", "Beta"], ["x", "y"]], 1),
        ([["Alpha", "Beta"], ["Gamma", "Delta"]], 0),
        # The header wins over later rows with more text cells but no lead words.
        ([["Email", "Name"], ["Head", "Of", "Sales"], ["a", "b"]], 0),
        # A title that reads like a header but is only one cell wide does not fit the table.
        ([["Company leads"], ["Alpha", "Beta", "Gamma"], ["x", "y", "z"]], 1),
    ],
)
def test_choose_header(sample: list[list[str]], header: int | None) -> None:
    assert choose_header(sample) == header


def test_header_names() -> None:
    assert header_names(["Email", "", "Email", "Wrapped\nheading", "", ""], first_column=3) == [
        "Email",
        "column_4",
        "Email (2)",
        "Wrapped heading",
    ]


@pytest.mark.parametrize(
    ("sample", "delimiter"),
    [
        ("a,b,c\n1,2,3\n", ","),
        ("a;b;c\n1,5;2,5;3\n4;5;6\n", ";"),
        ("a\tb\n1\t2\n", "\t"),
        ("a|b\n1|2\n", "|"),
        ("Name;Email\nSmith, John;j@example.com\nDoe, Jane;d@example.com\n", ";"),
        ("Name,Email\nSmith; John,j@example.com\nDoe; Jane,d@example.com\n", ","),
        ("email\na@example.com\n", ","),
    ],
)
def test_detect_delimiter(sample: str, delimiter: str) -> None:
    assert detect_delimiter(sample, complete=True) == delimiter


def test_detect_delimiter_falls_back_to_the_preferred_one() -> None:
    assert detect_delimiter("just one column\n", complete=True, preferred="\t") == "\t"


def test_cfb_stream_names_of_xls_and_encrypted_xlsx(tmp_path: Path) -> None:
    assert "Workbook" in cfb.stream_names(write_xls(tmp_path, {"S": [["Email"], ["a@example.com"]]}))
    assert {"EncryptionInfo", "EncryptedPackage"} <= cfb.stream_names(badfiles.password_protected_xlsx(tmp_path))


def test_cfb_refuses_non_cfb_and_truncated_input(tmp_path: Path) -> None:
    with pytest.raises(cfb.NotCompoundFile):
        cfb.stream_names(badfiles.pdf_named_xlsx(tmp_path))
    encrypted = badfiles.password_protected_xlsx(tmp_path).read_bytes()
    truncated = tmp_path / "truncated.bin"
    truncated.write_bytes(encrypted[:600])
    with pytest.raises(cfb.NotCompoundFile):
        cfb.stream_names(truncated)
