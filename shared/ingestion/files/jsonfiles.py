"""Readers for ``.json`` (one object or an array of objects) and JSON Lines (``.jsonl``, ``.ndjson``).

Each JSON object is one row; its keys are the headers. Scalars become text the
same way spreadsheet cells do (``2125550178.0`` -> ``"2125550178"``,
``true`` -> ``"true"``, ``null`` and blank strings are omitted); nested
objects and arrays become compact JSON text.

A ``.json`` file is parsed whole (the format cannot be streamed with the
standard library), so it is refused above the size limit; JSON Lines is
streamed line by line and a bad line only rejects that line.

Row numbers: the 1-based record index for a ``.json`` array (1 for a single
object), the 1-based line number for JSON Lines (blank lines count as lines
but produce nothing).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator

from .cells import cell_text
from .delimited import LATIN1_FALLBACK, detect_encoding, open_text
from .records import FileRejected, Row, RowRejection, megabytes
from .sniff import binary_kind

_JSON_KIND_NAMES = {list: "a list", str: "a piece of text", int: "a number", float: "a number", bool: "true/false"}

_NO_RECORDS = "The file contains no records."


def _kind_name(value: object) -> str:
    if value is None:
        return "null"
    return _JSON_KIND_NAMES.get(type(value), "not an object")


def record_values(record: dict[str, object]) -> dict[str, str]:
    """Header -> text for one JSON object; empty values omitted, blank keys named ``column_N``."""
    values: dict[str, str] = {}
    for position, (key, value) in enumerate(record.items(), start=1):
        text = cell_text(value)
        if not text:
            continue
        base = " ".join(key.split()) or f"column_{position}"
        name, copy = base, 2
        # Keys differing only in spacing would otherwise overwrite each other.
        while name in values:
            name, copy = f"{base} ({copy})", copy + 1
        values[name] = text
    return values


def read_json_document(path: str | os.PathLike[str], extension: str, max_bytes: int) -> Iterator[Row | RowRejection]:
    """Yield one row per object of a ``.json`` file."""
    size = os.path.getsize(path)
    if size == 0:
        raise FileRejected("The file is empty.")
    if size > max_bytes:
        raise FileRejected(
            f"The file is {megabytes(size)} MB, over the {megabytes(max_bytes)} MB limit for .json files; "
            "save it as JSON Lines (.jsonl) or CSV instead."
        )
    with open(path, "rb") as handle:
        data = handle.read()
    found = binary_kind(data[:16])
    if found is not None:
        raise FileRejected(f"The file is named {extension} but its content is not JSON text; it looks like {found}.")
    try:
        # json.detect_encoding copes with UTF-8 (with or without BOM), UTF-16 and UTF-32.
        text = data.decode(json.detect_encoding(data))
    except UnicodeDecodeError:
        text = data.decode("cp1252", errors=LATIN1_FALLBACK)
    if not text.strip():
        raise FileRejected("The file is empty.")
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise FileRejected(
            f"The file is not valid JSON ({exc.msg.lower()} at line {exc.lineno}, column {exc.colno})."
        ) from exc
    except RecursionError as exc:
        raise FileRejected("The file is not usable JSON: its values are nested too deeply.") from exc
    if isinstance(document, dict):
        records: list[object] = [document]
    elif isinstance(document, list):
        records = document
    else:
        raise FileRejected("The JSON file must contain an object or a list of objects.")
    yielded = False
    for number, record in enumerate(records, start=1):
        if not isinstance(record, dict):
            yield RowRejection(None, number, f"The record is {_kind_name(record)}, not an object with named fields.")
            yielded = True
            continue
        values = record_values(record)
        if values:
            yield Row(None, number, values)
            yielded = True
    if not yielded:
        raise FileRejected(_NO_RECORDS)


def read_json_lines(path: str | os.PathLike[str], extension: str) -> Iterator[Row | RowRejection]:
    """Yield one row per line of a JSON Lines file; a bad line becomes a RowRejection."""
    encoding = detect_encoding(path, extension, "JSON")
    seen_content = produced = False
    with open_text(path, encoding) as text:
        for number, line in enumerate(text, start=1):
            line = line.strip()
            if not line:
                continue
            seen_content = True
            try:
                record = json.loads(line)
            except json.JSONDecodeError as exc:
                produced = True
                reason = f"The line is not valid JSON ({exc.msg.lower()} at column {exc.colno})."
                yield RowRejection(None, number, reason)
                continue
            except RecursionError:
                produced = True
                yield RowRejection(None, number, "The line's values are nested too deeply.")
                continue
            if not isinstance(record, dict):
                produced = True
                yield RowRejection(None, number, f"The line is {_kind_name(record)}, not an object with named fields.")
                continue
            values = record_values(record)
            # An empty object is skipped silently, like an empty spreadsheet row.
            if values:
                produced = True
                yield Row(None, number, values)
    if not seen_content:
        raise FileRejected("The file is empty.")
    if not produced:
        raise FileRejected(_NO_RECORDS)
