"""What the readers produce: rows, per-row rejections and the whole-file rejection (and its wording helpers).

These live in their own module so that every format reader can use them without
importing :mod:`readers` (which imports the format readers). :mod:`readers`
re-exports them; callers should import them from there.
"""

from __future__ import annotations

from dataclasses import dataclass


class FileRejected(Exception):
    """The whole file cannot be read.

    ``reason`` is one sentence a non-technical person understands; the technical
    cause, when there is one, is chained as ``__cause__`` for logs.
    """

    reason: str

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True, slots=True)
class Row:
    """One data row.

    ``worksheet`` is the sheet name for workbooks and None for CSV/JSON.
    ``row`` is the number a person sees: the 1-based line or sheet row (header
    and rows above it included in the count); for a ``.json`` array the 1-based
    record index, for JSON Lines the 1-based line number.
    ``values`` maps header -> cell text; empty cells are omitted.
    """

    worksheet: str | None
    row: int
    values: dict[str, str]


@dataclass(frozen=True, slots=True)
class RowRejection:
    """One row that cannot be used; the rest of the file goes on."""

    worksheet: str | None
    row: int
    reason: str


@dataclass(frozen=True, slots=True)
class NulInRow:
    """A raw row with a NUL byte inside one of its values (`column`: 0-based position), for the table
    reader to reject by the header's name for that column."""

    row: int
    column: int


def megabytes(size: int) -> str:
    """Size in MiB for messages: ``"250"``, ``"1.3"``, or two significant digits below 0.1."""
    value = size / (1024 * 1024)
    if value < 0.1:
        return f"{value:.2g}"
    return f"{value:.1f}".removesuffix(".0")
