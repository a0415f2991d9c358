"""Builders for valid input files in every supported format, written into a test's tmp dir.

Each builder takes a grid (a list of rows, each a list of cell values, ``None``
for an empty cell) so a test can state the content once and read it back in
any format.
"""

from __future__ import annotations

import csv
import datetime
import io
import zipfile
from collections.abc import Sequence
from pathlib import Path
from xml.sax.saxutils import escape

import openpyxl
import xlwt  # type: ignore[import-untyped]

Cell = str | int | float | bool | datetime.datetime | datetime.date | None
Grid = Sequence[Sequence[Cell]]


def write_csv(
    directory: Path,
    grid: Sequence[Sequence[str]],
    *,
    name: str = "leads.csv",
    delimiter: str = ",",
    encoding: str = "utf-8",
    lineterminator: str = "\r\n",
) -> Path:
    """Write ``grid`` as delimited text with csv.writer (which quotes as needed)."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator=lineterminator)
    writer.writerows(grid)
    path = directory / name
    path.write_bytes(buffer.getvalue().encode(encoding))
    return path


def write_xlsx(directory: Path, sheets: dict[str, Grid], *, name: str = "leads.xlsx") -> Path:
    """Write one worksheet per entry of ``sheets`` (in order) with openpyxl."""
    workbook = openpyxl.Workbook()
    workbook.remove(workbook.active)
    for title, grid in sheets.items():
        sheet = workbook.create_sheet(title)
        for row_index, row in enumerate(grid, start=1):
            for column_index, value in enumerate(row, start=1):
                if value is not None:
                    sheet.cell(row=row_index, column=column_index, value=value)
    path = directory / name
    workbook.save(path)
    return path


def write_xls(directory: Path, sheets: dict[str, Grid], *, name: str = "leads.xls") -> Path:
    """Write a legacy BIFF8 .xls workbook with xlwt (dates get a date format so they read back as dates)."""
    workbook = xlwt.Workbook()
    date_style = xlwt.easyxf(num_format_str="yyyy-mm-dd")
    datetime_style = xlwt.easyxf(num_format_str="yyyy-mm-dd hh:mm:ss")
    for title, grid in sheets.items():
        sheet = workbook.add_sheet(title)
        for row_index, row in enumerate(grid):
            for column_index, value in enumerate(row):
                if value is None:
                    continue
                if isinstance(value, datetime.datetime):
                    sheet.write(row_index, column_index, value, datetime_style)
                elif isinstance(value, datetime.date):
                    sheet.write(row_index, column_index, value, date_style)
                else:
                    sheet.write(row_index, column_index, value)
    path = directory / name
    workbook.save(str(path))
    return path


_ODS_MIMETYPE = "application/vnd.oasis.opendocument.spreadsheet"
_ODS_MANIFEST = f"""<?xml version="1.0" encoding="UTF-8"?>
<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2">
 <manifest:file-entry manifest:full-path="/" manifest:media-type="{_ODS_MIMETYPE}"/>
 <manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>
</manifest:manifest>
"""


def _ods_cell(value: Cell) -> str:
    if value is None:
        return "<table:table-cell/>"
    if isinstance(value, bool):
        return (
            f'<table:table-cell office:value-type="boolean" office:boolean-value="{str(value).lower()}">'
            f"<text:p>{str(value).upper()}</text:p></table:table-cell>"
        )
    if isinstance(value, int | float):
        return (
            f'<table:table-cell office:value-type="float" office:value="{value}">'
            f"<text:p>{value}</text:p></table:table-cell>"
        )
    if isinstance(value, datetime.date):
        return (
            f'<table:table-cell office:value-type="date" office:date-value="{value.isoformat()}">'
            f"<text:p>{value.isoformat()}</text:p></table:table-cell>"
        )
    return f'<table:table-cell office:value-type="string"><text:p>{escape(value)}</text:p></table:table-cell>'


def write_ods(directory: Path, sheets: dict[str, Grid], *, name: str = "leads.ods") -> Path:
    """Write a minimal but valid OpenDocument spreadsheet by hand (no ODS writer is installed)."""
    tables = []
    for title, grid in sheets.items():
        rows = "".join(
            "<table:table-row>" + "".join(_ods_cell(value) for value in row) + "</table:table-row>" for row in grid
        )
        tables.append(f'<table:table table:name="{escape(title)}">{rows}</table:table>')
    content = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0"'
        ' xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0"'
        ' xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2">'
        f"<office:body><office:spreadsheet>{''.join(tables)}</office:spreadsheet></office:body>"
        "</office:document-content>"
    )
    path = directory / name
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        # The mimetype member must come first and be stored uncompressed.
        archive.writestr("mimetype", _ODS_MIMETYPE, compress_type=zipfile.ZIP_STORED)
        archive.writestr("content.xml", content)
        archive.writestr("META-INF/manifest.xml", _ODS_MANIFEST)
    return path
