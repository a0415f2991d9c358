"""Reader for spreadsheets (``.xlsx``, ``.xlsm``, ``.xls``, ``.ods``) using python-calamine.

Calamine is used rather than openpyxl because it is roughly ten times faster
on large sheets. Before calamine sees a file, cheap checks refuse what it
should not open:

* the signature must be a ZIP (xlsx, xlsm, ods) or an OLE2/CFB container
  (xls); within that family the extension may be "wrong" (an .xls saved as
  .xlsx still opens in Excel, so it is read here too);
* a CFB container holding ``EncryptedPackage``/``EncryptionInfo`` is a
  password-protected workbook; an ODS whose manifest declares encryption is too;
* for ZIP-based files the uncompressed size is added up from the central
  directory and refused over the limit or at zip-bomb compression ratios;
* sheets whose declared used range is too big to hold are refused (see
  :mod:`extent`: calamine would abort the process, not raise).

All worksheets are loaded (parsed by calamine) before the first row is
produced, so a damaged sheet rejects the whole file up front rather than half
way through. Every worksheet is read in workbook order, hidden ones included;
chart and macro sheets are ignored and empty sheets skipped.

Row numbers are the sheet's own row numbers (1 is the top row of the sheet),
and ``column_N`` names for blank headings use the sheet's column numbers.
"""

from __future__ import annotations

import os
import zipfile
import zlib
from collections.abc import Iterator

import python_calamine
from python_calamine import CalamineSheet, CalamineWorkbook, SheetTypeEnum

from . import cfb, extent
from .cells import cell_text
from .records import FileRejected, Row, RowRejection, megabytes
from .sniff import CFB_MAGIC, EMPTY_ZIP_MAGIC, ZIP_MAGIC, describe
from .table import TableReader

PASSWORD_PROTECTED = "The workbook is password-protected; remove the password and upload it again."

# A zip-bomb guard on top of the absolute limit: real workbooks compress about
# 5-20 times; a member inflating more than 100 times past 50 MB is not a spreadsheet.
_SUSPICIOUS_RATIO = 100
_SUSPICIOUS_SIZE = 50 * 1024 * 1024
_MAX_MANIFEST_BYTES = 1024 * 1024

_ENCRYPTION_STREAMS = frozenset({"EncryptedPackage", "EncryptionInfo"})
_LEGACY_WORKBOOK_STREAMS = frozenset({"Workbook", "Book"})


def _format_name(extension: str) -> str:
    return "an OpenDocument spreadsheet" if extension == ".ods" else "an Excel workbook"


def _not_a_workbook(extension: str, found: str) -> FileRejected:
    return FileRejected(
        f"The file is named {extension} but its content is not {_format_name(extension)}; it looks like {found}."
    )


def damaged(detail: str) -> FileRejected:
    return FileRejected(f"The workbook is damaged or not a valid Excel file ({detail}).")


def _too_large(error: extent.SheetTooLarge) -> FileRejected:
    return FileRejected(
        f"A worksheet spans {error.rows:,} rows by {error.columns:,} columns, too large to read; "
        "delete the unused rows and columns (or any stray value far from the table) and upload it again."
    )


def _check_zip(path: str | os.PathLike[str], extension: str, max_uncompressed_bytes: int) -> None:
    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
            # Sizes first: nothing may be decompressed before the zip-bomb check.
            _check_expanded_size(members, max_uncompressed_bytes)
            names = {member.filename for member in members}
            is_excel = any(name.startswith("xl/") for name in names)
            is_ods = "content.xml" in names
            if is_excel:
                extent.check_xlsx_dimensions(archive)
            manifest_text = b""
            if is_ods and "META-INF/manifest.xml" in names:
                manifest = archive.getinfo("META-INF/manifest.xml")
                if manifest.file_size <= _MAX_MANIFEST_BYTES:
                    manifest_text = archive.read(manifest)
    except extent.SheetTooLarge as exc:
        raise _too_large(exc) from exc
    except extent.BadDimensions as exc:
        raise damaged("a worksheet's size information is invalid") from exc
    # zipfile raises all of these for damaged archives (NotImplementedError for
    # unknown compression methods or versions, RuntimeError for encrypted members).
    except (
        zipfile.BadZipFile,
        zipfile.LargeZipFile,
        zlib.error,
        EOFError,
        OSError,
        ValueError,
        NotImplementedError,
        RuntimeError,
    ) as exc:
        raise damaged("it looks cut off or incomplete") from exc

    if is_ods and b"encryption-data" in manifest_text:
        raise FileRejected(PASSWORD_PROTECTED)
    if is_excel or is_ods:
        return
    if any(name.startswith("word/") for name in names):
        raise _not_a_workbook(extension, "a Word document")
    if any(name.startswith("ppt/") for name in names):
        raise _not_a_workbook(extension, "a PowerPoint presentation")
    raise _not_a_workbook(extension, "a ZIP archive of other files")


def _check_expanded_size(members: list[zipfile.ZipInfo], max_uncompressed_bytes: int) -> None:
    expanded = sum(member.file_size for member in members)
    compressed = sum(member.compress_size for member in members)
    if expanded > max_uncompressed_bytes:
        raise FileRejected(
            f"The workbook expands to {megabytes(expanded)} MB, over the {megabytes(max_uncompressed_bytes)} MB limit."
        )
    if expanded > _SUSPICIOUS_SIZE and expanded > _SUSPICIOUS_RATIO * max(compressed, 1):
        raise FileRejected(
            f"The workbook expands from {megabytes(compressed)} MB to {megabytes(expanded)} MB, "
            "far more than a real workbook does, so it was not opened."
        )


def _check_cfb(path: str | os.PathLike[str], extension: str) -> None:
    try:
        with cfb.CompoundFile(path) as container:
            entries = {entry.name: entry for entry in container.entries()}
            if _ENCRYPTION_STREAMS & entries.keys():
                raise FileRejected(PASSWORD_PROTECTED)
            workbook_stream = entries.get("Workbook") or entries.get("Book")
            if workbook_stream is not None:
                extent.check_xls_dimensions(container.read_stream(workbook_stream))
                return
    except extent.SheetTooLarge as exc:
        raise _too_large(exc) from exc
    except (cfb.NotCompoundFile, extent.BadDimensions) as exc:
        # Handing a broken container to calamine risks an abort (see extent.py).
        raise damaged("its internal structure is broken") from exc
    if "WordDocument" in entries:
        raise _not_a_workbook(extension, "a Word document")
    if "PowerPoint Document" in entries:
        raise _not_a_workbook(extension, "a PowerPoint presentation")
    raise _not_a_workbook(extension, "a Microsoft Office file that is not a workbook")


def _calamine_rejection(exc: Exception) -> FileRejected:
    if isinstance(exc, python_calamine.PasswordError):
        return FileRejected(PASSWORD_PROTECTED)
    message = str(exc)
    lowered = message.lower()
    if "password" in lowered or "encrypt" in lowered:
        return FileRejected(PASSWORD_PROTECTED)
    # Calamine's own wording is technical; keep it short for the person and
    # leave the full text on the chained exception for the logs.
    return damaged(f"reading it failed: {message[:120]}" if message else "it could not be read")


def _is_rust_panic(exc: BaseException) -> bool:
    # A panic inside calamine surfaces as pyo3's PanicException, a BaseException
    # that cannot be imported by name.
    return type(exc).__name__ == "PanicException"


def _load_sheets(path: str | os.PathLike[str]) -> list[CalamineSheet]:
    try:
        with open(path, "rb") as handle:
            # from_filelike detects the format from the content, not from the
            # (possibly misleading or missing) extension of the local path.
            workbook = CalamineWorkbook.from_filelike(handle)
        with workbook:
            return [
                workbook.get_sheet_by_name(sheet.name)
                for sheet in workbook.sheets_metadata
                if sheet.typ == SheetTypeEnum.WorkSheet
            ]
    except python_calamine.CalamineError as exc:
        raise _calamine_rejection(exc) from exc
    except BaseException as exc:
        if _is_rust_panic(exc):
            raise damaged("it could not be read") from exc
        raise


def _sheet_rows(sheet: CalamineSheet) -> Iterator[tuple[int, list[str]]]:
    # iter_rows starts at the sheet's first row (row 1), padding rows above the
    # data with empty cells, so enumerate() gives the sheet's row numbers.
    for number, cells in enumerate(sheet.iter_rows(), start=1):
        yield number, [cell.strip() if type(cell) is str else cell_text(cell) for cell in cells]


def read_workbook(
    path: str | os.PathLike[str], extension: str, max_uncompressed_bytes: int
) -> Iterator[Row | RowRejection]:
    """Yield the rows of every worksheet of a workbook, in workbook order."""
    with open(path, "rb") as handle:
        head = handle.read(512)
    if not head:
        raise FileRejected("The file is empty.")
    if head.startswith((ZIP_MAGIC, EMPTY_ZIP_MAGIC)):
        _check_zip(path, extension, max_uncompressed_bytes)
    elif head.startswith(CFB_MAGIC):
        _check_cfb(path, extension)
    else:
        raise _not_a_workbook(extension, describe(head))

    sheets = _load_sheets(path)
    header_found = yielded = False
    for sheet in sheets:
        start = sheet.start
        if start is None:
            continue  # an empty sheet; iter_rows() would fail on it
        table = TableReader(sheet.name, first_column=start[1] + 1)
        yield from table.read(_sheet_rows(sheet))
        header_found = header_found or table.header_found
        yielded = yielded or table.yielded
    if not header_found:
        raise FileRejected("The file is empty.")
    if not yielded:
        raise FileRejected("The file has a header row but no data rows.")
