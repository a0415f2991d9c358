"""Spreadsheets (xlsx, xlsm, xls, ods): every sheet, cell conversion, header detection and rejections."""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable
from pathlib import Path

import badfiles
import pytest
from goodfiles import Grid, write_ods, write_xls, write_xlsx

from shared.ingestion.files import workbooks
from shared.ingestion.files.readers import FileRejected, Row, RowRejection, read_rows

Writer = Callable[..., Path]

TRADE_SHOW: Grid = [
    ["Leads from Expo 2026"],
    [],
    ["First Name", "Last Name", "E-mail Address", "Phone", "Met On", "Score", "Opted In"],
    ["Ada", "Lovelace", "ada@example.com", 2125550178, datetime.date(2026, 3, 1), 4.5, True],
    ["  Bob  ", None, "bob@example.com", "+1 212 555 0100", datetime.datetime(2026, 3, 2, 14, 30), 3, False],
]
WEBSITE: Grid = [["Full Name", "Email"], ["Cy Young", "cy@example.com"]]

EXPECTED_TRADE_SHOW = [
    Row(
        "Trade show",
        4,
        {
            "First Name": "Ada",
            "Last Name": "Lovelace",
            "E-mail Address": "ada@example.com",
            "Phone": "2125550178",
            "Met On": "2026-03-01",
            "Score": "4.5",
            "Opted In": "true",
        },
    ),
    Row(
        "Trade show",
        5,
        {
            "First Name": "Bob",
            "E-mail Address": "bob@example.com",
            "Phone": "+1 212 555 0100",
            "Met On": "2026-03-02T14:30:00",
            "Score": "3",
            "Opted In": "false",
        },
    ),
]
EXPECTED_WEBSITE = [Row("Website", 2, {"Full Name": "Cy Young", "Email": "cy@example.com"})]


def read(path: Path, filename: str | None = None, **options: int) -> list[Row | RowRejection]:
    return list(read_rows(path, filename or path.name, **options))


def rejection(path: Path, filename: str | None = None, **options: int) -> str:
    with pytest.raises(FileRejected) as caught:
        read(path, filename, **options)
    return caught.value.reason


@pytest.mark.parametrize(
    ("writer", "name"),
    [(write_xlsx, "leads.xlsx"), (write_xlsx, "leads.xlsm"), (write_xls, "leads.xls"), (write_ods, "leads.ods")],
)
def test_every_sheet_in_order_with_converted_cells(tmp_path: Path, writer: Writer, name: str) -> None:
    path = writer(tmp_path, {"Trade show": TRADE_SHOW, "Notes": [], "Website": WEBSITE}, name=name)
    assert read(path) == EXPECTED_TRADE_SHOW + EXPECTED_WEBSITE


def test_xls_content_with_xlsx_name_is_still_read(tmp_path: Path) -> None:
    path = write_xls(tmp_path, {"Website": WEBSITE})
    assert read(path, "leads.xlsx") == EXPECTED_WEBSITE


def test_local_path_without_extension_is_read_by_content(tmp_path: Path) -> None:
    path = write_xlsx(tmp_path, {"Website": WEBSITE})
    local = tmp_path / "upload-0001"
    local.write_bytes(path.read_bytes())
    assert read(local, "leads.xlsx") == EXPECTED_WEBSITE


def test_table_not_starting_at_a1_uses_sheet_rows_and_columns(tmp_path: Path) -> None:
    grid: Grid = [[], [], [None, None, "Email", None, "Phone"], [None, None, "a@example.com", "x", 1.25]]
    path = write_xlsx(tmp_path, {"Offset": grid})
    assert read(path) == [Row("Offset", 4, {"Email": "a@example.com", "column_4": "x", "Phone": "1.25"})]


def test_ragged_sheet_row_is_rejected_with_sheet_and_row(tmp_path: Path) -> None:
    grid: Grid = [["Name", "Email"], ["Ada", "ada@example.com", "stray", "values"], ["Bob", "bob@example.com"]]
    rows = read(write_xlsx(tmp_path, {"Referrals": grid}))
    assert rows[0] == RowRejection("Referrals", 2, "The row has 4 values but the header has 2 columns.")
    assert rows[1] == Row("Referrals", 3, {"Name": "Bob", "Email": "bob@example.com"})


def test_number_values_beyond_the_header_count_as_values(tmp_path: Path) -> None:
    grid: Grid = [["Name", "Email"], ["Ada", "ada@example.com", 0]]
    rows = read(write_xlsx(tmp_path, {"S": grid}))
    assert rows == [RowRejection("S", 2, "The row has 3 values but the header has 2 columns.")]


def test_header_detection_in_a_sheet_with_notes_above(tmp_path: Path) -> None:
    grid: Grid = [
        ["Exported by CRM"],
        ["Generated", datetime.datetime(2026, 1, 1)],
        [],
        ["Sender", "Subject", "Received"],
        ["ada@example.com", "Hello", datetime.datetime(2026, 1, 2, 9, 0)],
    ]
    assert read(write_xlsx(tmp_path, {"Inbox": grid})) == [
        Row("Inbox", 5, {"Sender": "ada@example.com", "Subject": "Hello", "Received": "2026-01-02T09:00:00"})
    ]


def test_sheet_with_header_only_next_to_a_sheet_with_data(tmp_path: Path) -> None:
    path = write_xlsx(tmp_path, {"Empty leads": [["Email", "Name"]], "Website": WEBSITE})
    assert read(path) == EXPECTED_WEBSITE


def test_empty_file_is_rejected(tmp_path: Path) -> None:
    assert rejection(badfiles.empty_file(tmp_path, "leads.xlsx")) == "The file is empty."


def test_workbook_with_only_empty_sheets_counts_as_empty(tmp_path: Path) -> None:
    assert rejection(badfiles.empty_xlsx(tmp_path)) == "The file is empty."


def test_header_only_workbook_is_rejected(tmp_path: Path) -> None:
    assert rejection(badfiles.header_only_xlsx(tmp_path)) == "The file has a header row but no data rows."


def test_lone_title_counts_as_a_header_without_data(tmp_path: Path) -> None:
    assert rejection(badfiles.sheet_with_title_only_xlsx(tmp_path)) == "The file has a header row but no data rows."


@pytest.mark.parametrize(
    ("builder", "named", "found"),
    [
        (badfiles.png_named_xlsx, ".xlsx", "a PNG image"),
        (badfiles.pdf_named_xlsx, ".xlsx", "a PDF document"),
        (badfiles.csv_named_xlsx, ".xlsx", "plain text"),
        (badfiles.html_named_xls, ".xls", "a web page (HTML)"),
        (badfiles.docx_named_xlsx, ".xlsx", "a Word document"),
    ],
)
def test_content_that_is_not_a_workbook_is_rejected(
    tmp_path: Path, builder: badfiles.Builder, named: str, found: str
) -> None:
    reason = rejection(builder(tmp_path))
    assert reason.startswith(f"The file is named {named} but its content is not an Excel workbook")
    assert found in reason


def test_non_spreadsheet_named_ods_says_opendocument(tmp_path: Path) -> None:
    path = badfiles.pdf_named_xlsx(tmp_path)
    assert "not an OpenDocument spreadsheet" in rejection(path, "leads.ods")


def test_truncated_workbook_is_damaged(tmp_path: Path) -> None:
    reason = rejection(badfiles.truncated_xlsx(tmp_path))
    assert reason.startswith("The workbook is damaged or not a valid Excel file (")


def test_workbook_with_garbage_xml_is_damaged(tmp_path: Path) -> None:
    reason = rejection(badfiles.garbage_xml_xlsx(tmp_path))
    assert reason.startswith("The workbook is damaged or not a valid Excel file (")


@pytest.mark.parametrize("name", ["secret.xlsx", "secret.xlsm", "secret.xls"])
def test_password_protected_workbook_is_rejected(tmp_path: Path, name: str) -> None:
    path = badfiles.password_protected_xlsx(tmp_path)
    assert rejection(path, name) == "The workbook is password-protected; remove the password and upload it again."


def test_calamine_password_error_is_mapped(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # An encrypted legacy .xls keeps the normal Workbook stream; only calamine notices the password.
    path = write_xls(tmp_path, {"Website": WEBSITE})

    def refuse(_: object) -> None:
        raise workbooks.python_calamine.PasswordError("Workbook is password protected")

    monkeypatch.setattr(workbooks.CalamineWorkbook, "from_filelike", refuse)
    assert rejection(path) == workbooks.PASSWORD_PROTECTED


def test_a_panic_inside_calamine_is_mapped(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write_xlsx(tmp_path, {"Website": WEBSITE})
    panic = type("PanicException", (BaseException,), {})

    def explode(_: object) -> None:
        raise panic("index out of bounds")

    monkeypatch.setattr(workbooks.CalamineWorkbook, "from_filelike", explode)
    assert rejection(path).startswith("The workbook is damaged or not a valid Excel file (")


def test_zip_bomb_over_the_limit_is_rejected_before_opening(tmp_path: Path) -> None:
    path = badfiles.zip_bomb_xlsx(tmp_path, megabytes=250)
    assert path.stat().st_size < 5 * 1024 * 1024
    assert rejection(path) == "The workbook expands to 250 MB, over the 200 MB limit."


def test_limit_is_configurable(tmp_path: Path) -> None:
    path = write_xlsx(tmp_path, {"Website": WEBSITE})
    reason = rejection(path, max_uncompressed_bytes=1024)
    assert re.fullmatch(r"The workbook expands to [\d.]+ MB, over the 0.00098 MB limit\.", reason)


def test_extreme_compression_ratio_is_rejected_under_the_limit(tmp_path: Path) -> None:
    path = badfiles.zip_bomb_xlsx(tmp_path, megabytes=60)
    reason = rejection(path)
    assert reason.startswith("The workbook expands from ")
    assert "to 60 MB" in reason


def test_stray_value_far_from_the_table_is_refused_instead_of_crashing(tmp_path: Path) -> None:
    # Calamine would allocate 1,048,576 x 16,384 cells and abort the process.
    path = badfiles.far_apart_cells_xlsx(tmp_path)
    assert rejection(path) == (
        "A worksheet spans 1,048,576 rows by 16,384 columns, too large to read; "
        "delete the unused rows and columns (or any stray value far from the table) and upload it again."
    )


def test_large_but_sane_extent_is_still_read(tmp_path: Path) -> None:
    grid: Grid = [["Email", "Name"], ["a@example.com", "Ada"], *([[]] * 5000), [None, None, None, None, "far"]]
    rows = read(write_xlsx(tmp_path, {"Sheet": grid}))
    assert rows[0] == Row("Sheet", 2, {"Email": "a@example.com", "Name": "Ada"})
    assert rows[1] == RowRejection("Sheet", 5003, "The row has 5 values but the header has 2 columns.")


@pytest.mark.parametrize("builder", [badfiles.xls_with_bad_dimensions, badfiles.xls_with_cell_outside_the_sheet])
def test_xls_with_impossible_sizes_is_damaged_not_a_crash(tmp_path: Path, builder: badfiles.Builder) -> None:
    assert rejection(builder(tmp_path)) == (
        "The workbook is damaged or not a valid Excel file (its internal structure is broken)."
    )
