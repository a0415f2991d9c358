"""Generate ``samples/leads-sample.xlsx`` and ``samples/leads-sample.expected.json``.

The workbook is what a real upload tends to look like: several worksheets with
different headers, a title and a blank row above one header, a phone number
stored as a number cell, dates, an empty sheet, and a few bad rows (one with
neither e-mail nor phone, one with an invalid e-mail, one with more values
than the header has columns). The expected JSON records, per sheet, how many
data rows there are and which ones the reader itself rejects (only the ragged
one: judging e-mail addresses and missing contacts is the consumer's job).

The output is byte-for-byte deterministic (fixed data, fixed timestamps in the
document properties and the ZIP entries), so regenerating it produces no diff.

Usage: ``python samples/make_samples.py`` (writes both files next to this script).
"""

from __future__ import annotations

import datetime
import io
import json
import re
import sys
import zipfile
from pathlib import Path
from typing import Any

import openpyxl

SAMPLES = Path(__file__).resolve().parent
WORKBOOK_PATH = SAMPLES / "leads-sample.xlsx"
EXPECTED_PATH = SAMPLES / "leads-sample.expected.json"

# A fixed moment for every timestamp in the file, so the bytes never change.
FIXED_TIME = datetime.datetime(2026, 1, 1, 0, 0, 0)
_ZIP_TIME = (2026, 1, 1, 0, 0, 0)

TRADE_SHOW_TITLE = "Leads from Expo 2026"
TRADE_SHOW_HEADER = ["First Name", "Last Name", "E-mail Address", "Phone", "Company", "Job Title", "Country"]
# Each entry: (cells, what the reader does with it). "ragged" rows have more values than the header.
TRADE_SHOW_ROWS: list[tuple[list[Any], str]] = [
    (["Ada", "Lovelace", "ada.lovelace@example.com", "+44 20 7946 0001", "Analytical Engines Ltd", "CTO", "UK"], "row"),
    # The phone is a number cell: calamine reads it as 2125550178.0, the reader must give "2125550178".
    (["Grace", "Hopper", "grace.hopper@example.com", 2125550178, "Compiler Corp", "Rear Admiral", "US"], "row"),
    (
        ["Alan", "Turing", "alan.turing@example.com", "+44 161 496 0002", "Bletchley Analytics", "Researcher", "UK"],
        "row",
    ),
    # No e-mail and no phone: readable, the consumer rejects it.
    (["Katherine", "Johnson", None, None, "Orbital Mechanics Inc", "Mathematician", "US"], "row"),
    (["Linus", "Torvalds", "not-an-email", "+358 9 4289 0003", "Kernel Oy", "Maintainer", "FI"], "row"),
    (
        [
            "Margaret",
            "Hamilton",
            "margaret.hamilton@example.com",
            "+1 617 555 0104",
            "Apollo Software",
            "Director",
            "US",
        ],
        "row",
    ),
    # One value too many (column H): the reader rejects this row.
    (
        ["Tim", "Berners-Lee", "tim@example.com", "+44 20 7946 0005", "Web Works", "Founder", "UK", "met at booth 12"],
        "ragged",
    ),
    (
        ["Hedy", "Lamarr", "hedy.lamarr@example.com", "+1 310 555 0106", "Frequency Hopping LLC", "Inventor", "AT"],
        "row",
    ),
    (["Edsger", "Dijkstra", "edsger@example.com", "+31 20 555 0107", "Shortest Path BV", "Professor", "NL"], "row"),
    (
        [
            "Barbara",
            "Liskov",
            "barbara.liskov@example.com",
            "+1 617 555 0108",
            "Substitution Systems",
            "Professor",
            "US",
        ],
        "row",
    ),
    (["Donald", "Knuth", "don.knuth@example.com", "+1 650 555 0109", "Typesetting Press", "Author", "US"], "row"),
    (["Frances", "Allen", "fran.allen@example.com", "+1 914 555 0110", "Optimizing Compilers", "Fellow", "US"], "row"),
]

WEBSITE_HEADER = ["Full Name", "Email", "Mobile", "Organisation"]
WEBSITE_ROWS: list[tuple[list[Any], str]] = [
    (["Sophie Wilson", "sophie.wilson@example.com", "07700 900201", "Acorn Chips"], "row"),
    (["Steve Furber", "steve.furber@example.com", "07700 900202", "Acorn Chips"], "row"),
    (["Radia Perlman", "radia@example.com", "+1 508 555 0203", "Spanning Tree Co"], "row"),
    (["Ken Thompson", "ken@example.com", None, "Unix Labs"], "row"),
    (["Dennis Ritchie", "dmr@example.com", "+1 908 555 0205", "Unix Labs"], "row"),
    (["Anita Borg", "anita.borg@example.com", "+1 650 555 0206", None], "row"),
    (["John McCarthy", "jmc@example.com", "+1 650 555 0207", "Lisp Machines"], "row"),
    (["Jean Sammet", "jean.sammet@example.com", None, "COBOL Group"], "row"),
    (["Adele Goldberg", "adele@example.com", "+1 650 555 0209", "Smalltalk Inc"], "row"),
    (["Niklaus Wirth", "wirth@example.com", "+41 44 555 0210", "Pascal AG"], "row"),
]

REFERRALS_HEADER = ["Name", "Email", "Phone", "Referred By", "Date"]
REFERRALS_ROWS: list[tuple[list[Any], str]] = [
    (["Carol Shaw", "carol.shaw@example.com", "+1 408 555 0301", "Ada Lovelace", datetime.date(2026, 2, 3)], "row"),
    (["Ivan Sutherland", "ivan@example.com", "+1 801 555 0302", "Alan Turing", datetime.date(2026, 2, 4)], "row"),
    (["Lynn Conway", "lynn.conway@example.com", None, "Grace Hopper", datetime.date(2026, 2, 5)], "row"),
    (["Bjarne Stroustrup", "bjarne@example.com", "+1 212 555 0304", None, datetime.date(2026, 2, 6)], "row"),
    (["Guido van Rossum", "guido@example.com", "+31 20 555 0305", "Edsger Dijkstra", datetime.date(2026, 2, 7)], "row"),
    (
        [
            "Joan Clarke",
            "joan.clarke@example.com",
            "+44 1908 555 306",
            "Alan Turing",
            datetime.datetime(2026, 2, 8, 9, 30),
        ],
        "row",
    ),
]


def _sheets() -> list[tuple[str, list[list[Any]], int, list[tuple[list[Any], str]]]]:
    """(name, rows above the header, header row number, data rows) per worksheet, in workbook order."""
    return [
        ("Trade show", [[TRADE_SHOW_TITLE], []], 3, [(TRADE_SHOW_HEADER, "header"), *TRADE_SHOW_ROWS]),
        ("Website", [], 1, [(WEBSITE_HEADER, "header"), *WEBSITE_ROWS]),
        ("Notes", [], 0, []),
        ("Referrals", [], 1, [(REFERRALS_HEADER, "header"), *REFERRALS_ROWS]),
    ]


def _workbook() -> openpyxl.Workbook:
    workbook = openpyxl.Workbook()
    workbook.remove(workbook.active)
    workbook.properties.creator = "Leadflow samples"
    workbook.properties.created = FIXED_TIME
    for name, preamble, _, rows in _sheets():
        sheet = workbook.create_sheet(name)
        for row_number, cells in enumerate([*preamble, *(cells for cells, _ in rows)], start=1):
            for column_number, value in enumerate(cells, start=1):
                if value is not None:
                    sheet.cell(row=row_number, column=column_number, value=value)
    return workbook


def _normalise(xlsx: bytes) -> bytes:
    """Pin the timestamps openpyxl sets at save time, in core.xml and on every ZIP entry."""
    stamp = FIXED_TIME.strftime("%Y-%m-%dT%H:%M:%SZ").encode()
    source = zipfile.ZipFile(io.BytesIO(xlsx))
    target_buffer = io.BytesIO()
    with zipfile.ZipFile(target_buffer, "w", compression=zipfile.ZIP_DEFLATED) as target:
        for member in source.infolist():
            data = source.read(member)
            if member.filename == "docProps/core.xml":
                data = re.sub(rb"(<dcterms:(?:created|modified)[^>]*>)[^<]*(<)", rb"\g<1>" + stamp + rb"\g<2>", data)
            target.writestr(zipfile.ZipInfo(member.filename, date_time=_ZIP_TIME), data, zipfile.ZIP_DEFLATED)
    return target_buffer.getvalue()


def build_workbook() -> bytes:
    """The sample workbook's bytes (deterministic)."""
    buffer = io.BytesIO()
    _workbook().save(buffer)
    return _normalise(buffer.getvalue())


def expected() -> dict[str, Any]:
    """The figures a correct reader produces for the sample workbook."""
    sheets = []
    skipped = []
    for name, _, header_row, rows in _sheets():
        if not rows:
            skipped.append(name)
            continue
        data = rows[1:]
        first_data_row = header_row + 1
        rejected_rows = [first_data_row + index for index, (_, kind) in enumerate(data) if kind == "ragged"]
        sheets.append(
            {
                "name": name,
                "header_row": header_row,
                "header": rows[0][0],
                "first_data_row": first_data_row,
                "data_rows": len(data),
                "rows": len(data) - len(rejected_rows),
                "rejected": len(rejected_rows),
                "rejected_rows": rejected_rows,
            }
        )
    return {
        "file": WORKBOOK_PATH.name,
        "sheets": sheets,
        "skipped_sheets": skipped,
        "totals": {
            "data_rows": sum(sheet["data_rows"] for sheet in sheets),
            "rows": sum(sheet["rows"] for sheet in sheets),
            "rejected": sum(sheet["rejected"] for sheet in sheets),
        },
        # Individual cells worth checking, as (sheet, row, column) -> text the reader must produce.
        "cells": [
            {"worksheet": "Trade show", "row": 5, "column": "Phone", "text": "2125550178"},
            {"worksheet": "Trade show", "row": 8, "column": "E-mail Address", "text": "not-an-email"},
            {"worksheet": "Referrals", "row": 2, "column": "Date", "text": "2026-02-03"},
            {"worksheet": "Referrals", "row": 7, "column": "Date", "text": "2026-02-08T09:30:00"},
        ],
        # Rows the reader passes on but the consumer should reject.
        "consumer_rejects": [
            {"worksheet": "Trade show", "row": 7, "why": "no e-mail and no phone"},
        ],
        # Rows the consumer keeps (the phone reaches the person) with a problem noted on the lead.
        "consumer_problems": [
            {"worksheet": "Trade show", "row": 8, "why": "invalid e-mail"},
        ],
    }


def main() -> int:
    WORKBOOK_PATH.write_bytes(build_workbook())
    EXPECTED_PATH.write_text(json.dumps(expected(), indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    sys.stdout.write(f"wrote {WORKBOOK_PATH.name} and {EXPECTED_PATH.name}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
