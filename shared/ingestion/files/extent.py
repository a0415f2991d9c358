"""Refusing worksheets whose used range is too big to hold, before calamine parses them.

Calamine stores a sheet as a dense grid from its first to its last used cell,
and sizes that grid from the sheet's declared dimensions. A tiny file with one
value in A1 and one in XFD1048576 (or a damaged .xls whose DIMENSIONS record
is garbage) makes it allocate hundreds of gigabytes, and a failed allocation in
Rust aborts the whole Python process: no exception to catch. So the declared
dimensions are read here first, cheaply (a few KB per sheet):

* ``.xlsx``/``.xlsm``: the ``<dimension ref="A1:K100"/>`` element at the top
  of each worksheet part (Excel, LibreOffice and openpyxl always write it);
* ``.xls``: the DIMENSIONS record of each sheet's BIFF substream, and the
  column of every cell record (damaged cell positions are as dangerous as
  damaged dimensions); legacy files are small, so walking the records is cheap.

Limitation for ``.xlsx``: a deliberately crafted file can declare small
dimensions and still place values far apart. Catching that would mean decompressing and scanning
every cell before calamine does, which roughly doubles the read time, so it is
not done; only running calamine in a separate process would close that gap.
"""

from __future__ import annotations

import re
import struct
import zipfile
from collections.abc import Iterator

# 20 million cells is ~640 MB as calamine's dense grid; a million rows of 20
# columns still fits, a stray value in column XFD of a long sheet does not.
MAX_SHEET_CELLS = 20_000_000

_DIMENSION = re.compile(rb"<(?:\w+:)?dimension\s+ref=\"([A-Z]{1,3})([0-9]{1,7})(?::([A-Z]{1,3})([0-9]{1,7}))?\"")
_DIMENSION_SEARCH_BYTES = 8192
_WORKSHEET_PART = re.compile(r"xl/worksheets/[^/]+\.xml")

_BIFF_BOF = 0x0809
_BIFF_EOF = 0x000A
_BIFF_BOUNDSHEET = 0x0085
_BIFF_DIMENSIONS = 0x0200
# Records holding one cell, each starting with its row (u16) and column (u16):
# FORMULA, RSTRING, LABELSST, BLANK, NUMBER, LABEL, BOOLERR, RK.
_BIFF_CELLS = frozenset({0x0006, 0x00D6, 0x00FD, 0x0201, 0x0203, 0x0204, 0x0205, 0x027E})
# MULRK and MULBLANK: row, first column, ..., last column (the final u16).
_BIFF_MULTI_CELLS = frozenset({0x00BD, 0x00BE})
_BIFF8_MAX_COLUMN = 255


class SheetTooLarge(Exception):
    """A sheet's declared used range exceeds :data:`MAX_SHEET_CELLS`."""

    def __init__(self, rows: int, columns: int) -> None:
        super().__init__(f"{rows} rows x {columns} columns")
        self.rows = rows
        self.columns = columns


class BadDimensions(ValueError):
    """A sheet's declared dimensions are impossible (end before start, records cut off)."""


def _column_number(letters: bytes) -> int:
    number = 0
    for letter in letters:
        number = number * 26 + letter - 64
    return number


def _check_area(rows: int, columns: int) -> None:
    if rows * columns > MAX_SHEET_CELLS:
        raise SheetTooLarge(rows, columns)


def check_xlsx_dimensions(archive: zipfile.ZipFile) -> None:
    """Raise SheetTooLarge/BadDimensions for a worksheet part whose dimension element is too big or impossible."""
    for member in archive.infolist():
        if not _WORKSHEET_PART.fullmatch(member.filename):
            continue
        with archive.open(member) as part:
            head = part.read(_DIMENSION_SEARCH_BYTES)
        found = _DIMENSION.search(head)
        if found is None:
            continue
        first_column, first_row = _column_number(found[1]), int(found[2])
        if found[3] is None:
            continue  # a single cell
        last_column, last_row = _column_number(found[3]), int(found[4])
        if last_row < first_row or last_column < first_column:
            raise BadDimensions(found[0].decode("ascii", errors="replace"))
        _check_area(last_row - first_row + 1, last_column - first_column + 1)


def _biff_records(stream: bytes, offset: int) -> Iterator[tuple[int, bytes]]:
    while offset + 4 <= len(stream):
        record_type, length = struct.unpack_from("<HH", stream, offset)
        data = stream[offset + 4 : offset + 4 + length]
        if len(data) != length:
            raise BadDimensions("record cut off")
        yield record_type, data
        offset += 4 + length


def check_xls_dimensions(workbook_stream: bytes) -> None:
    """Raise SheetTooLarge/BadDimensions for a sheet of a BIFF5/BIFF8 ``Workbook`` stream that calamine cannot hold.

    Walks each sheet substream the way calamine does (from the offset its
    BOUNDSHEET record gives, up to its EOF record) and checks the DIMENSIONS
    record and the column of every cell record: BIFF8 sheets have at most 256
    columns, so valid cells bound the grid to 65,536 x 256 cells.
    """
    sheet_offsets: list[int] = []
    for record_type, data in _biff_records(workbook_stream, 0):
        if record_type == _BIFF_BOUNDSHEET and len(data) >= 4:
            sheet_offsets.append(struct.unpack_from("<I", data, 0)[0])
        elif record_type == _BIFF_EOF:
            break
    for offset in sheet_offsets:
        if offset >= len(workbook_stream):
            raise BadDimensions("sheet offset outside the stream")
        for record_type, data in _biff_records(workbook_stream, offset):
            if record_type == _BIFF_EOF:
                break
            if record_type in _BIFF_CELLS:
                if len(data) < 4 or data[3] != 0:  # column (bytes 2-3) must be below 256
                    raise BadDimensions("cell outside the sheet")
            elif record_type in _BIFF_MULTI_CELLS:
                if len(data) < 6:
                    raise BadDimensions("short multiple-cell record")
                first_column = struct.unpack_from("<H", data, 2)[0]
                last_column = struct.unpack_from("<H", data, len(data) - 2)[0]
                if last_column > _BIFF8_MAX_COLUMN or first_column > last_column:
                    raise BadDimensions("cells outside the sheet")
            elif record_type == _BIFF_DIMENSIONS:
                _check_biff_dimensions(data)


def _check_biff_dimensions(data: bytes) -> None:
    if len(data) >= 14:  # BIFF8: 32-bit row numbers
        first_row, end_row, first_column, end_column = struct.unpack_from("<IIHH", data, 0)
    elif len(data) >= 8:  # BIFF5/7: 16-bit row numbers
        first_row, end_row, first_column, end_column = struct.unpack_from("<HHHH", data, 0)
    else:
        raise BadDimensions("short DIMENSIONS record")
    # The end values are one past the last used row/column.
    if end_row < first_row or end_column < first_column:
        raise BadDimensions("end before start")
    _check_area(end_row - first_row, end_column - first_column)
