"""Streaming reader for delimited text (``.csv``, ``.tsv``, ``.txt``) and the text plumbing JSON Lines shares.

Memory stays flat however long the file is: the file is read through a
:class:`io.TextIOWrapper` and :mod:`csv` pulls one record at a time.

Before any row is produced the whole file is scanned once, in 1 MiB chunks, to
settle the encoding (UTF-8 if every byte of it is valid UTF-8, else cp1252)
and to count NUL bytes, so decoding can never fail half way through. Some
exporters leave stray NULs in otherwise good text (padding at the end of a
value, a damaged line): such a file is read, and only the affected rows are
touched. A value whose NULs are only padding around it is cleaned; a row with
a NUL inside a value is rejected with its row number and the column. A file
that is mostly NULs, or starts out binary, is still refused as a whole before
the first row. The scan costs one extra pass of decoding, which
is small next to CSV parsing.

Encodings: a UTF-8, UTF-16 or UTF-32 byte-order mark is honoured; UTF-16
without a mark is recognised from its zero bytes; otherwise UTF-8 if the file
is valid UTF-8, else cp1252 (Windows "ANSI", a superset of Latin-1's printable
characters), with the five bytes cp1252 leaves undefined read as Latin-1.

Row numbers are the line on which a record starts, counting every line break
(``\\r\\n``, ``\\n`` or ``\\r``) including those inside quoted values, so a value
spanning lines 4-6 belongs to row 4 and the next record is row 7.
"""

from __future__ import annotations

import _csv
import codecs
import csv
import io
import os
from collections import Counter
from collections.abc import Iterator

from .records import FileRejected, NulInRow, Row, RowRejection
from .sniff import binary_kind, looks_binary
from .table import TableReader

DELIMITERS = (",", ";", "\t", "|")
_SAMPLE_BYTES = 64 * 1024
_SCAN_CHUNK_BYTES = 1024 * 1024
# csv.Sniffer's regular expressions get slow on big inputs; 16 KiB is plenty of lines.
_SNIFF_CHARS = 16 * 1024
_DELIMITER_SAMPLE_RECORDS = 50

LATIN1_FALLBACK = "leadflow-latin-1-fallback"


def _latin1_fallback(error: UnicodeError) -> tuple[str, int]:
    # cp1252 leaves 0x81, 0x8D, 0x8F, 0x90 and 0x9D undefined; Latin-1 maps
    # every byte, so those few become the matching C1 control characters
    # instead of failing the whole file.
    if isinstance(error, UnicodeDecodeError):
        return error.object[error.start : error.end].decode("latin-1"), error.end
    raise error


codecs.register_error(LATIN1_FALLBACK, _latin1_fallback)


def _bomless_utf16(head: bytes) -> str | None:
    """``utf-16-le``/``utf-16-be`` when ASCII-heavy text shows the telltale zero byte in every pair."""
    sample = head[:1024]
    if len(sample) < 4:
        return None
    even, odd = sample[0::2], sample[1::2]
    even_zeros, odd_zeros = even.count(0), odd.count(0)
    if odd_zeros >= 0.9 * len(odd) and even_zeros <= 0.1 * len(even):
        return "utf-16-le"
    if even_zeros >= 0.9 * len(even) and odd_zeros <= 0.1 * len(odd):
        return "utf-16-be"
    return None


#: a text export with stray NULs has a handful; more than this share of the file is binary data
_MAX_NUL_SHARE = 0.02


def _nul_rejection(kind: str) -> FileRejected:
    return FileRejected(f"The file contains NUL bytes throughout; it looks binary, not {kind} text.")


#: below this many, NULs are stray whatever the file's size (a short file with one padded value)
_STRAY_NULS = 64


def _check_nul_share(nuls: int, size: int, kind: str) -> None:
    if nuls > max(_STRAY_NULS, _MAX_NUL_SHARE * size):
        raise _nul_rejection(kind)


def detect_encoding(path: str | os.PathLike[str], extension: str, kind: str) -> str:
    """Choose the codec for a text file and refuse binary content.

    ``kind`` ("CSV", "JSON") is the word used in rejection messages. Reads the
    whole file once in chunks (see the module docstring).
    """
    with open(path, "rb") as handle:
        head = handle.read(_SAMPLE_BYTES)
        if not head:
            raise FileRejected("The file is empty.")
        found = binary_kind(head)
        if found is not None:
            raise FileRejected(
                f"The file is named {extension} but its content is not {kind} text; it looks like {found}."
            )
        if head.startswith((codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)):
            encoding = "utf-32"
        elif head.startswith(codecs.BOM_UTF8):
            encoding = "utf-8-sig"
        elif head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            encoding = "utf-16"
        else:
            encoding = _bomless_utf16(head) or "utf-8"
        handle.seek(0)
        if encoding.startswith(("utf-16", "utf-32")):
            _check_wide_text(handle, encoding, kind)
            return encoding
        return _check_byte_text(handle, encoding, kind)


def _check_wide_text(handle: io.BufferedReader, encoding: str, kind: str) -> None:
    decoder = codecs.getincrementaldecoder(encoding)()
    first = True
    nuls = chars = 0
    while True:
        chunk = handle.read(_SCAN_CHUNK_BYTES)
        try:
            text = decoder.decode(chunk, final=not chunk)
        except UnicodeDecodeError as exc:
            raise FileRejected(
                f"The file starts like {encoding.upper()} text but is not valid {encoding.upper()}, "
                "so it cannot be read."
            ) from exc
        nuls += text.count("\x00")
        chars += len(text)
        if first and looks_binary(text[:4096]):
            raise FileRejected(f"The file looks binary, not {kind} text.")
        first = False
        if not chunk:
            _check_nul_share(nuls, chars, kind)
            return


def _check_byte_text(handle: io.BufferedReader, encoding: str, kind: str) -> str:
    """Count NULs and decide between UTF-8 and cp1252 (returns the codec)."""
    decoder: codecs.IncrementalDecoder | None = codecs.getincrementaldecoder(encoding)()
    first = True
    nuls = size = 0
    while True:
        chunk = handle.read(_SCAN_CHUNK_BYTES)
        nuls += chunk.count(b"\x00")
        size += len(chunk)
        if first:
            # whatever the codec turns out to be, a start full of control characters is binary
            head = chunk[:4096].decode("cp1252", errors=LATIN1_FALLBACK)
            if looks_binary(head):
                raise FileRejected(f"The file looks binary, not {kind} text.")
        if decoder is not None:
            try:
                decoder.decode(chunk, final=not chunk)
            except UnicodeDecodeError:
                # Not UTF-8 after all; keep scanning for NULs only.
                decoder = None
                encoding = "cp1252"
        first = False
        if not chunk:
            _check_nul_share(nuls, size, kind)
            return encoding


def open_text(path: str | os.PathLike[str], encoding: str) -> io.TextIOWrapper:
    """Open a checked text file for streaming; line breaks are left for csv to handle."""
    errors = LATIN1_FALLBACK if encoding == "cp1252" else "strict"
    return io.TextIOWrapper(open(path, "rb"), encoding=encoding, errors=errors, newline="")


def _field_counts(sample: str, delimiter: str, complete: bool) -> list[int]:
    reader = csv.reader(io.StringIO(sample, newline=""), delimiter=delimiter, quotechar='"', strict=False)
    counts: list[int] = []
    try:
        for record in reader:
            if any(field.strip() for field in record):
                counts.append(len(record))
            if len(counts) > _DELIMITER_SAMPLE_RECORDS:
                break
    except csv.Error:
        pass
    if not complete and len(counts) <= _DELIMITER_SAMPLE_RECORDS and counts:
        counts.pop()  # the sample probably cut the last record in half
    return counts


def _consistency(counts: list[int]) -> tuple[float, int]:
    """(share, number) of sample records having the most common field count above one.

    The share comes first because a wrong delimiter can also split many rows
    the same way (a "Smith; John" in every row of a comma file) but never the
    header and title rows as well; a share of one half or less is no evidence.
    """
    wide = Counter(count for count in counts if count > 1)
    if not wide:
        return (0.0, 0)
    agreeing = wide.most_common(1)[0][1]
    share = agreeing / len(counts)
    return (share, agreeing) if share > 0.5 else (0.0, 0)


def detect_delimiter(sample: str, complete: bool, preferred: str = ",") -> str:
    """Pick the delimiter among :data:`DELIMITERS` for a text sample.

    csv.Sniffer (restricted to the four delimiters) makes the first guess; it
    is kept if it splits the sample as consistently as the best of the four
    (see :func:`_consistency`), otherwise the most consistent one wins.
    Sniffer alone is easily fooled, e.g. by commas inside names in a
    semicolon file. With nothing to go on (one column) ``preferred`` is used.
    """
    scores = {delimiter: _consistency(_field_counts(sample, delimiter, complete)) for delimiter in DELIMITERS}
    best_score = max(scores.values())
    if best_score == (0.0, 0):
        return preferred
    try:
        sniffed: str | None = csv.Sniffer().sniff(sample[:_SNIFF_CHARS], delimiters="".join(DELIMITERS)).delimiter
    except csv.Error:
        sniffed = None
    if sniffed is not None and scores.get(sniffed) == best_score:
        return sniffed
    if scores[preferred] == best_score:
        return preferred
    return next(delimiter for delimiter in DELIMITERS if scores[delimiter] == best_score)


def _numbered_records(reader: _csv.Reader) -> Iterator[tuple[int, list[str]]]:
    """Pair each record with the line it starts on (line_num is the last line it used)."""
    start = 1
    for record in reader:
        yield start, [field.strip() for field in record]
        start = reader.line_num + 1


def _without_stray_nuls(records: Iterator[tuple[int, list[str]]]) -> Iterator[tuple[int, list[str]] | NulInRow]:
    """Clean NUL padding around values; a NUL inside a value marks its row (see the module docstring)."""
    for number, cells in records:
        if not any("\x00" in cell for cell in cells):
            yield number, cells
            continue
        cleaned = [cell.strip("\x00").strip() for cell in cells]
        inside = next((i for i, cell in enumerate(cleaned) if "\x00" in cell), None)
        yield (number, cleaned) if inside is None else NulInRow(number, inside)


def read_delimited(path: str | os.PathLike[str], extension: str) -> Iterator[Row | RowRejection]:
    """Yield the rows of a delimited text file (see the module docstring for the rules)."""
    encoding = detect_encoding(path, extension, "CSV")
    with open_text(path, encoding) as text:
        sample = text.read(_SAMPLE_BYTES)
        if not sample.strip():
            raise FileRejected("The file is empty.")
        preferred = "\t" if extension == ".tsv" else ","
        delimiter = detect_delimiter(sample, complete=len(sample) < _SAMPLE_BYTES, preferred=preferred)
    with open_text(path, encoding) as text:
        reader = csv.reader(text, delimiter=delimiter, quotechar='"', doublequote=True, strict=False)
        table = TableReader(None)
        try:
            yield from table.read(_without_stray_nuls(_numbered_records(reader)))
        except csv.Error as exc:
            raise FileRejected(
                f"The file could not be read as CSV near line {reader.line_num}; "
                "a quote mark there is probably never closed."
            ) from exc
    if not table.header_found:
        raise FileRejected("The file is empty.")
    if not table.yielded:
        raise FileRejected("The file has a header row but no data rows.")
