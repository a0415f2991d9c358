"""Builders for the bad inputs the readers must reject, written into a test's tmp dir.

Every function takes the directory and returns the path it wrote. Content is
deterministic (fixed seeds), and the big ones (zip bombs) are streamed so they
stay small on disk and quick to make.
"""

from __future__ import annotations

import random
import struct
import zipfile
import zlib
from collections.abc import Callable
from pathlib import Path

import openpyxl
from goodfiles import write_csv, write_xls, write_xlsx
from msoffcrypto.format.ooxml import OOXMLFile

Builder = Callable[[Path], Path]

LEAD_HEADER = ["First Name", "Last Name", "Email", "Phone"]
LEAD_ROW = ["Ada", "Lovelace", "ada@example.com", "+44 20 7946 0000"]

# Smallest valid PNG: an 1x1 image.
_PNG_1X1 = (
    b"\x89PNG\r\n\x1a\n"
    + struct.pack(">I", 13)
    + b"IHDR"
    + struct.pack(">IIBBBBB", 1, 1, 8, 6, 0, 0, 0)
    + struct.pack(">I", zlib.crc32(b"IHDR" + struct.pack(">IIBBBBB", 1, 1, 8, 6, 0, 0, 0)))
    + struct.pack(">I", 0)
    + b"IEND"
    + struct.pack(">I", zlib.crc32(b"IEND"))
)

_MINIMAL_PDF = b"""%PDF-1.4
1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj
2 0 obj << /Type /Pages /Kids [] /Count 0 >> endobj
trailer << /Root 1 0 R >>
%%EOF
"""


def empty_file(directory: Path, name: str = "empty.csv") -> Path:
    path = directory / name
    path.write_bytes(b"")
    return path


def blank_csv(directory: Path) -> Path:
    """Only whitespace, line breaks and delimiters: no content at all."""
    path = directory / "blank.csv"
    path.write_text("\n  \r\n,,,\n , ,\n\t\n", encoding="utf-8")
    return path


def header_only_csv(directory: Path) -> Path:
    return write_csv(directory, [LEAD_HEADER, [], ["", "", ""]], name="header-only.csv")


def header_only_xlsx(directory: Path) -> Path:
    """Two sheets: one with only a title and a header, one entirely empty."""
    return write_xlsx(
        directory,
        {"Leads": [["Leads from Expo 2026"], [], LEAD_HEADER], "Empty": []},
        name="header-only.xlsx",
    )


def empty_xlsx(directory: Path) -> Path:
    return write_xlsx(directory, {"Sheet1": [], "Sheet2": []}, name="empty.xlsx")


def unknown_extension(directory: Path) -> Path:
    path = directory / "leads.pdf"
    path.write_bytes(_MINIMAL_PDF)
    return path


def png_named_xlsx(directory: Path) -> Path:
    path = directory / "photo.xlsx"
    path.write_bytes(_PNG_1X1)
    return path


def pdf_named_xlsx(directory: Path) -> Path:
    path = directory / "report.xlsx"
    path.write_bytes(_MINIMAL_PDF)
    return path


def csv_named_xlsx(directory: Path) -> Path:
    return write_csv(directory, [LEAD_HEADER, LEAD_ROW], name="leads.xlsx")


def html_named_xls(directory: Path) -> Path:
    """What some web apps export as "Excel": an HTML table with an .xls name."""
    path = directory / "export.xls"
    path.write_text("<html><body><table><tr><td>Email</td></tr></table></body></html>", encoding="utf-8")
    return path


def xlsx_named_csv(directory: Path) -> Path:
    source = write_xlsx(directory, {"Leads": [LEAD_HEADER, LEAD_ROW]}, name="real.xlsx")
    path = directory / "leads.csv"
    path.write_bytes(source.read_bytes())
    return path


def zip_named_csv(directory: Path) -> Path:
    path = directory / "archive.csv"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("leads.csv", "Email\nada@example.com\n")
    return path


def docx_named_xlsx(directory: Path) -> Path:
    """A ZIP laid out like a Word document."""
    path = directory / "letter.xlsx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<w:document/>")
    return path


def binary_junk_csv(directory: Path) -> Path:
    path = directory / "junk.csv"
    path.write_bytes(random.Random(1234).randbytes(4096))
    return path


def nul_bytes_csv(directory: Path) -> Path:
    """A text export with stray NULs, as some exporters leave them: padding after a value (row 3),
    and one value damaged inside its text (row 4). Rows 2 and 5 are clean."""
    path = directory / "nul.csv"
    path.write_bytes(
        b"Email,Name\r\n"
        b"ada.lovelace@analytical.example,Ada Lovelace\r\n"
        b"grace.hopper@cobol.example,Grace Hopper\x00\x00\x00\r\n"
        b"alan.turing@bletchley.example,Al\x00an Turing\r\n"
        b"edsger.dijkstra@eindhoven.example,Edsger Dijkstra\r\n"
    )
    return path


def late_nul_bytes_csv(directory: Path, good_rows: int = 60_000) -> Path:
    """Good rows for more than a MiB, then one damaged row: only that row is refused."""
    path = directory / "late-nul.csv"
    with path.open("wb") as handle:
        handle.write(b"Email,Name\r\n")
        for index in range(good_rows):
            handle.write(b"person%d@example.com,Person %d\r\n" % (index, index))
        handle.write(b"broken@example.com,Bro\x00ken\r\n")
    return path


def mostly_nul_csv(directory: Path) -> Path:
    """A header of text, then NULs: binary data with a plausible first line, refused as a whole."""
    path = directory / "zeros.csv"
    path.write_bytes(b"Email,Name\r\n" + b"x@example.com,X\r\n" * 1_000 + b"\x00" * 20_000)
    return path


def ragged_csv(directory: Path) -> Path:
    """Header with 5 columns; row 3 has 7 values, row 4 fewer than 5 (which is fine)."""
    grid = [
        ["Name", "Email", "Phone", "Company", "Country"],
        ["Ada", "ada@example.com", "1", "Acme", "UK"],
        ["Bob", "bob@example.com", "2", "Acme", "UK", "extra", "more"],
        ["Cy", "cy@example.com"],
    ]
    return write_csv(directory, grid, name="ragged.csv")


def truncated_xlsx(directory: Path) -> Path:
    source = write_xlsx(directory, {"Leads": [LEAD_HEADER, LEAD_ROW] * 50}, name="whole.xlsx")
    data = source.read_bytes()
    path = directory / "truncated.xlsx"
    path.write_bytes(data[: len(data) // 2])
    return path


def garbage_xml_xlsx(directory: Path) -> Path:
    """A well-formed ZIP laid out like a workbook whose XML parts are garbage."""
    path = directory / "garbage.xlsx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("[Content_Types].xml", "this is not xml <<<")
        archive.writestr("xl/workbook.xml", "<workbook><sheets><sheet")
        archive.writestr("xl/_rels/workbook.xml.rels", "\x01\x02 garbage")
    return path


def password_protected_xlsx(directory: Path, password: str = "secret") -> Path:
    """A real encrypted workbook (ECMA-376 agile encryption via msoffcrypto-tool)."""
    plain = write_xlsx(directory, {"Leads": [LEAD_HEADER, LEAD_ROW]}, name="plain.xlsx")
    path = directory / "protected.xlsx"
    with plain.open("rb") as source, path.open("wb") as target:
        OOXMLFile(source).encrypt(password, target)
    return path


def zip_bomb_xlsx(directory: Path, megabytes: int = 250, name: str = "bomb.xlsx") -> Path:
    """An xlsx-shaped ZIP whose sheet inflates to ``megabytes`` MiB of zeros (about 1 MB on disk)."""
    path = directory / name
    chunk = bytes(1024 * 1024)
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/workbook.xml", "<workbook/>")
        with archive.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as member:
            for _ in range(megabytes):
                member.write(chunk)
    return path


def invalid_json(directory: Path) -> Path:
    path = directory / "leads.json"
    path.write_text('[{"email": "ada@example.com"}, {"email": ', encoding="utf-8")
    return path


def scalar_json(directory: Path) -> Path:
    path = directory / "scalar.json"
    path.write_text("42", encoding="utf-8")
    return path


def sheet_with_title_only_xlsx(directory: Path) -> Path:
    """Used to check a lone title is not mistaken for data: a workbook with only a title cell."""
    workbook = openpyxl.Workbook()
    workbook.active["A1"] = "Nothing to see here"
    path = directory / "title-only.xlsx"
    workbook.save(path)
    return path


def far_apart_cells_xlsx(directory: Path) -> Path:
    """A few KB whose two values span the whole sheet grid (A1 and XFD1048576)."""
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet["A1"] = "Email"
    sheet["A2"] = "ada@example.com"
    sheet["XFD1048576"] = "stray"
    path = directory / "far-apart.xlsx"
    workbook.save(path)
    return path


def _patch_first_biff_record(source: Path, target: Path, record_type: int, patch: dict[int, int]) -> Path:
    """Copy an .xls, changing bytes of the first record of ``record_type`` in its Workbook stream.

    xlwt writes the Workbook stream first, in one contiguous run of sectors
    starting right after the 512-byte header, so the records can be walked
    straight through the file.
    """
    data = bytearray(source.read_bytes())
    offset = 512
    while offset + 4 <= len(data):
        found_type, length = struct.unpack_from("<HH", data, offset)
        if found_type == record_type:
            for position, value in patch.items():
                data[offset + 4 + position] = value
            target.write_bytes(bytes(data))
            return target
        offset += 4 + length
    raise AssertionError(f"record {record_type:#06x} not found")


def xls_with_bad_dimensions(directory: Path) -> Path:
    """A real .xls whose DIMENSIONS record says the first row comes after the last (calamine would abort)."""
    source = write_xls(directory, {"Leads": [LEAD_HEADER, LEAD_ROW]}, name="source.xls")
    return _patch_first_biff_record(source, directory / "bad-dimensions.xls", 0x0200, {1: 0x5A})


def xls_with_cell_outside_the_sheet(directory: Path) -> Path:
    """A real .xls with a text cell moved to column 32,512 (BIFF8 has 256 columns; calamine would abort)."""
    source = write_xls(directory, {"Leads": [LEAD_HEADER, LEAD_ROW]}, name="source.xls")
    return _patch_first_biff_record(source, directory / "bad-cell.xls", 0x00FD, {3: 0x7F})
