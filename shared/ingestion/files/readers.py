"""The one entry point the splitter uses: :func:`read_rows` over any supported lead file.

It picks the reader from the user's file name (``filename``), not from the
local path, and guarantees that only :class:`FileRejected` (whole file) or
:class:`RowRejection` items (single rows) come out for bad input: parser
exceptions never escape.

Timing of whole-file rejections: ``read_rows`` is a generator, so nothing
happens until iteration starts. Every check that can be made up front (format,
encoding, NUL bytes, encryption, zip bombs, damaged workbooks) raises on the
first ``next()``, before any row. "Empty" and "header row but no data rows"
can only be known at the end, so they are raised when iteration finishes,
and only if no Row or RowRejection was produced at all. A CSV whose quoting
breaks down part way (a quote that is never closed, making a field longer
than 128 KiB) is the one case where FileRejected can follow rows already
yielded.

Each format's reader is imported when a file of that format is read, not when this module is: a
file is one format, and the workbook reader alone loads python_calamine.
"""

from __future__ import annotations

import csv
import json
import os
import zipfile
import zlib
from collections.abc import Iterator

from .records import FileRejected, Row, RowRejection

__all__ = ["SUPPORTED_EXTENSIONS", "FileRejected", "Row", "RowRejection", "read_rows"]

_DELIMITED = frozenset({".csv", ".tsv", ".txt"})
_WORKBOOKS = frozenset({".xlsx", ".xlsm", ".xls", ".ods"})
_JSON_LINES = frozenset({".jsonl", ".ndjson"})
SUPPORTED_EXTENSIONS: frozenset[str] = _DELIMITED | _WORKBOOKS | _JSON_LINES | {".json"}

DEFAULT_MAX_UNCOMPRESSED_BYTES = 200 * 1024 * 1024

# Parser failures that mean "this file is unreadable" rather than a bug here (a workbook adds
# python_calamine's).
_UNREADABLE: tuple[type[BaseException], ...] = (
    UnicodeError,
    csv.Error,
    json.JSONDecodeError,
    zipfile.BadZipFile,
    zlib.error,
    EOFError,
    RecursionError,
)


def extension_of(filename: str) -> str:
    """Lower-case extension of the user's file name, e.g. ``".xlsx"``; ``""`` if there is none."""
    # Browsers on Windows have been known to send the full client path.
    base = filename.strip().replace("\\", "/").rsplit("/", 1)[-1].rstrip(". ")
    return os.path.splitext(base)[1].lower()


def _unsupported(extension: str) -> FileRejected:
    supported = ", ".join(sorted(SUPPORTED_EXTENSIONS))
    if not extension:
        return FileRejected(
            f"The file name has no extension, so its format is unknown; supported types are {supported}."
        )
    return FileRejected(f"Files of type {extension} are not supported; supported types are {supported}.")


def read_rows(
    path: str | os.PathLike[str],
    filename: str,
    *,
    max_uncompressed_bytes: int = DEFAULT_MAX_UNCOMPRESSED_BYTES,
) -> Iterator[Row | RowRejection]:
    """Yield every data row of every worksheet, in order.

    ``path`` is a local file with the content; ``filename`` is the user's
    original name, whose extension decides the expected format. Raises
    FileRejected for whole-file problems (see the module docstring for when).
    """
    extension = extension_of(filename)
    if extension not in SUPPORTED_EXTENSIONS:
        raise _unsupported(extension)
    if os.path.getsize(path) == 0:
        raise FileRejected("The file is empty.")

    unreadable = _UNREADABLE
    if extension in _DELIMITED:
        from .delimited import read_delimited

        rows = read_delimited(path, extension)
    elif extension in _WORKBOOKS:
        import python_calamine

        from .workbooks import read_workbook

        rows = read_workbook(path, extension, max_uncompressed_bytes)
        unreadable = (*_UNREADABLE, python_calamine.CalamineError)
    elif extension in _JSON_LINES:
        from .jsonfiles import read_json_lines

        rows = read_json_lines(path, extension)
    else:
        from .jsonfiles import read_json_document

        rows = read_json_document(path, extension, max_uncompressed_bytes)

    try:
        yield from rows
    except unreadable as exc:
        # A safety net: each reader maps the failures it expects to clearer
        # sentences; anything else a parser raises still must not escape raw.
        raise FileRejected("The file could not be read; it may be damaged or saved in an unusual way.") from exc
