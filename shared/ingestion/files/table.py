"""From raw text rows to header-keyed rows: header detection, naming and ragged rows.

CSV files and worksheets both arrive here as numbered lists of cell text. Real
lead files rarely start with the header: exports put a title, a date or a note
above it, and people leave blank rows. So the header is chosen from the first
:data:`HEADER_SAMPLE_ROWS` non-empty rows:

* a candidate must be mostly non-numeric text (more text-like cells than
  numbers, dates, phone numbers or e-mail addresses), and at least half of
  the sampled rows after it must fit under it, i.e. not have values further
  right than it has cells; that rules out a title above a wide table. A row
  with two or more lead-like headings is exempt from the fit rule, so a few
  ragged rows cannot hide a real header;
* among the candidates, the one whose cells look most like common lead headers
  (e-mail, name, phone, company, ...) wins; ties, including "no such cells at
  all", go to the earliest candidate, because headers come before data;
* when no row is a candidate (a bare list of e-mail addresses, say) the table
  has no header: every row is data and the columns are named ``column_N``.

Rows above the header are skipped silently, and so are entirely empty rows.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from .records import NulInRow, Row, RowRejection

HEADER_SAMPLE_ROWS = 20

# Words that make a cell look like a lead-file column heading. Matched against
# whole words of the cell (so "E-mail Address" matches "mail" and "address",
# while a company called "Hotel Mailand" matches nothing).
LEAD_HEADER_WORDS = frozenset(
    {
        "email",
        "emails",
        "mail",
        "name",
        "names",
        "first",
        "firstname",
        "last",
        "lastname",
        "surname",
        "fullname",
        "phone",
        "phones",
        "telephone",
        "mobile",
        "tel",
        "cell",
        "company",
        "organisation",
        "organization",
        "title",
        "jobtitle",
        "country",
        "city",
        "address",
        "sender",
        "subject",
        "received",
        "date",
    }
)

_WORD = re.compile(r"[a-z]+")
# Looks like a number, amount, phone number, date or time rather than a heading.
_NUMBER_LIKE = re.compile(r"[\d\s+\-().,/:]*\d[\d\s+\-().,/:]*")
# A heading is short; a long sentence above the table is a note, not a header.
_MAX_HEADING_LENGTH = 80
_MAX_HEADING_WORDS = 6
# A row is a header candidate only if at least this share of the later sample
# rows fit under it (a title row above a wide table fits none of them) ...
_MIN_FIT_SHARE = 0.5
# ... unless it has at least this many cells that read like lead headings.
_LEAD_WORDS_OVERRIDING_FIT = 2


def _is_heading_like(cell: str) -> bool:
    return len(cell) <= _MAX_HEADING_LENGTH and "@" not in cell and _NUMBER_LIKE.fullmatch(cell) is None


def _lead_header_word_count(cell: str) -> int:
    """1 when the cell reads like a lead column heading, else 0."""
    words = _WORD.findall(cell.lower())
    if not words or len(words) > _MAX_HEADING_WORDS:
        return 0
    return 1 if any(word in LEAD_HEADER_WORDS for word in words) else 0


def _width(cells: list[str]) -> int:
    """Number of cells up to and including the last non-empty one."""
    width = len(cells)
    while width and not cells[width - 1]:
        width -= 1
    return width


@dataclass(frozen=True, slots=True)
class _Profile:
    width: int
    heading_like: int
    other: int
    lead_words: int


def _profile(cells: list[str]) -> _Profile:
    heading_like = other = lead_words = 0
    for cell in cells:
        if not cell:
            continue
        if _is_heading_like(cell):
            heading_like += 1
            lead_words += _lead_header_word_count(cell)
        else:
            other += 1
    return _Profile(_width(cells), heading_like, other, lead_words)


def choose_header(sample: list[list[str]]) -> int | None:
    """Index in ``sample`` (non-empty rows, in order) of the header row, or None if there is none."""
    profiles = [_profile(cells) for cells in sample]
    best: int | None = None
    best_words = -1
    for index, profile in enumerate(profiles):
        if profile.heading_like <= profile.other:
            continue
        later = profiles[index + 1 :]
        # Several lead-like headings make a header even when ragged rows below stick out.
        if later and profile.lead_words < _LEAD_WORDS_OVERRIDING_FIT:
            fitting = sum(1 for other in later if other.width <= profile.width)
            if fitting < _MIN_FIT_SHARE * len(later):
                continue
        # Strictly greater: on a tie the earlier row stays the header.
        if profile.lead_words > best_words:
            best, best_words = index, profile.lead_words
    return best


def header_names(cells: list[str], first_column: int) -> list[str]:
    """Column names for a header row: blanks become ``column_N``, repeats get `` (2)``, `` (3)``.

    ``first_column`` is the 1-based sheet column of ``cells[0]`` so that
    ``column_N`` names the column a person sees.
    """
    names: list[str] = []
    taken: set[str] = set()
    for offset, cell in enumerate(cells[: _width(cells)]):
        # Headings wrapped inside an Excel cell contain line breaks; one space reads the same.
        base = " ".join(cell.split()) or f"column_{first_column + offset}"
        name, copy = base, 2
        while name in taken:
            name, copy = f"{base} ({copy})", copy + 1
        taken.add(name)
        names.append(name)
    return names


class TableReader:
    """Shapes the numbered raw rows of one CSV file or one worksheet into Row/RowRejection.

    ``header_found`` and ``yielded`` tell the caller, after iteration, whether the
    table had any content and any data, so it can tell "empty" from "header only".
    """

    def __init__(self, worksheet: str | None, first_column: int = 1) -> None:
        self.worksheet = worksheet
        self.first_column = first_column
        self.header_found = False
        self.yielded = False

    def read(self, numbered_rows: Iterable[tuple[int, list[str]] | NulInRow]) -> Iterator[Row | RowRejection]:
        """Yield the data rows of ``numbered_rows`` (row number, stripped cell texts); a `NulInRow`
        becomes that row's rejection."""
        rows = iter(numbered_rows)
        sample: list[tuple[int, list[str]]] = []
        damaged: list[NulInRow] = []
        for item in rows:
            if isinstance(item, NulInRow):
                damaged.append(item)
                continue
            number, cells = item
            if any(cells):
                sample.append((number, cells))
                if len(sample) == HEADER_SAMPLE_ROWS:
                    break
        if not sample:
            return
        self.header_found = True
        header_index = choose_header([cells for _, cells in sample])
        if header_index is None:
            header = [f"column_{self.first_column + i}" for i in range(max(_width(c) for _, c in sample))]
            data_start = 0
        else:
            header = header_names(sample[header_index][1], self.first_column)
            data_start = header_index + 1
        for nul in damaged:
            yield self._nul(header, nul)
            self.yielded = True
        for number, cells in sample[data_start:]:
            yield self._shape(header, number, cells)
            self.yielded = True
        yield from self._shape_rest(header, rows)

    def _nul(self, header: list[str], nul: NulInRow) -> RowRejection:
        column = header[nul.column] if nul.column < len(header) else f"column {self.first_column + nul.column}"
        return RowRejection(
            self.worksheet,
            nul.row,
            f"The {column} value contains NUL bytes inside its text (a damaged export); fix or remove the row.",
        )

    def _shape_rest(
        self, header: list[str], rows: Iterator[tuple[int, list[str]] | NulInRow]
    ) -> Iterator[Row | RowRejection]:
        # The hot loop for big files: keep the per-row work to one dict build.
        worksheet = self.worksheet
        columns = len(header)
        for item in rows:
            if isinstance(item, NulInRow):
                yield self._nul(header, item)
                self.yielded = True
                continue
            number, cells = item
            if len(cells) > columns and any(cells[columns:]):
                yield self._ragged(number, cells, columns)
                self.yielded = True
                continue
            values = {name: cell for name, cell in zip(header, cells, strict=False) if cell}
            if values:
                yield Row(worksheet, number, values)
                self.yielded = True

    def _shape(self, header: list[str], number: int, cells: list[str]) -> Row | RowRejection:
        columns = len(header)
        if len(cells) > columns and any(cells[columns:]):
            return self._ragged(number, cells, columns)
        return Row(self.worksheet, number, {name: cell for name, cell in zip(header, cells, strict=False) if cell})

    def _ragged(self, number: int, cells: list[str], columns: int) -> RowRejection:
        return RowRejection(
            self.worksheet,
            number,
            f"The row has {_width(cells)} values but the header has {columns} columns.",
        )
