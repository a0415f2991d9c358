"""Recognising what a file really is from its first bytes (its "magic" signature).

Users rename files, and some exporters write HTML or CSV and call it ``.xls``.
Checking the signature before handing a file to a parser lets the reader say
"the file is named .xlsx but it is a PDF" instead of a parser's stack trace.
"""

from __future__ import annotations

ZIP_MAGIC = b"PK\x03\x04"
# An empty ZIP archive has no local file header, only the end-of-directory record.
EMPTY_ZIP_MAGIC = b"PK\x05\x06"
# OLE2 / Compound File Binary: legacy .xls, and also encrypted .xlsx files.
CFB_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"

# Signatures of binary formats people commonly upload by mistake, with the
# words used to tell them what we found.
_SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (ZIP_MAGIC, "a ZIP archive (such as an Excel workbook)"),
    (EMPTY_ZIP_MAGIC, "a ZIP archive"),
    (CFB_MAGIC, "a Microsoft Office file (such as an old .xls workbook)"),
    (b"%PDF", "a PDF document"),
    (b"\x89PNG\r\n\x1a\n", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF87a", "a GIF image"),
    (b"GIF89a", "a GIF image"),
    (b"\x1f\x8b", "a gzip archive"),
    (b"Rar!\x1a\x07", "a RAR archive"),
    (b"7z\xbc\xaf\x27\x1c", "a 7-Zip archive"),
    (b"{\\rtf", "an RTF document"),
)


def binary_kind(head: bytes) -> str | None:
    """Describe a known binary format (``"a PDF document"``), or None if ``head`` has no known signature."""
    for signature, description in _SIGNATURES:
        if head.startswith(signature):
            return description
    return None


def text_kind(head: bytes) -> str | None:
    """For text that is not a workbook: ``"a web page (HTML)"``, ``"plain text"``, or None if binary."""
    if b"\x00" in head:
        return None
    stripped = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if stripped.startswith((b"<!doctype html", b"<html", b"<table", b"<meta")):
        return "a web page (HTML)"
    if stripped.startswith(b"<?xml"):
        return "an XML document"
    if stripped.startswith((b"{", b"[")):
        return "JSON text"
    try:
        sample = head.decode("utf-8", errors="strict")
    except UnicodeDecodeError as exc:
        # A multi-byte character cut off at the end of the sample is still text.
        if exc.start < len(head) - 3:
            return None
        sample = head[: exc.start].decode("utf-8")
    if looks_binary(sample):
        return None
    return "plain text (such as CSV)"


def describe(head: bytes) -> str:
    """Best short description of what ``head`` is, for rejection messages."""
    return binary_kind(head) or text_kind(head) or "binary data"


# Control characters other than tab, line feed, form feed and carriage return
# practically never occur in exported text; a file full of them is binary.
_TEXT_CONTROLS = frozenset("\t\n\x0b\x0c\r")
_MAX_CONTROL_SHARE = 0.05


def looks_binary(text: str) -> bool:
    """True when a decoded sample has too many control characters to be a text table."""
    if not text:
        return False
    controls = sum(1 for char in text if char < " " and char not in _TEXT_CONTROLS)
    return controls > _MAX_CONTROL_SHARE * len(text)
