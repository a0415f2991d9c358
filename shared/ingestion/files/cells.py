"""Turning typed cell values (from calamine or JSON) into the text a person expects.

Spreadsheet engines hand numbers back as floats, so a phone number typed into
Excel as a number arrives as ``2125550178.0``; the consumer must see
``"2125550178"``. Everything here is on the hot path of reading a workbook (one
call per non-text cell), so it stays small and branches on exact types.
"""

from __future__ import annotations

import datetime
import json

# Integral floats at or beyond 2**53 are no longer exact integers; printing them
# as a long run of digits would invent precision, so they keep float notation.
_EXACT_INTEGER_LIMIT = float(2**53)


def float_text(value: float) -> str:
    """``2125550178.0`` -> ``"2125550178"``; ``1.5`` -> ``"1.5"``; huge or non-finite -> ``repr``."""
    if value.is_integer() and -_EXACT_INTEGER_LIMIT < value < _EXACT_INTEGER_LIMIT:
        return str(int(value))
    return repr(value)


def duration_text(value: datetime.timedelta) -> str:
    """Render a duration the way Excel shows ``[h]:mm:ss``, e.g. ``30:00:00``."""
    microseconds = (value.days * 86_400 + value.seconds) * 1_000_000 + value.microseconds
    sign = "-" if microseconds < 0 else ""
    whole_seconds, fraction = divmod(abs(microseconds), 1_000_000)
    hours, rest = divmod(whole_seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    text = f"{sign}{hours:02d}:{minutes:02d}:{seconds:02d}"
    if fraction:
        text += f".{fraction:06d}".rstrip("0")
    return text


def cell_text(value: object) -> str:
    """Text for one spreadsheet or JSON scalar; ``""`` means the cell is empty."""
    # Exact type checks first: they are the common cases and bool must not be taken for int.
    if type(value) is str:
        return value.strip()
    if type(value) is float:
        return float_text(value)
    if type(value) is bool:
        return "true" if value else "false"
    if type(value) is int:
        return str(value)
    if value is None:
        return ""
    # datetime is a subclass of date; isoformat() is right for all three.
    if isinstance(value, (datetime.datetime, datetime.date, datetime.time)):
        return value.isoformat()
    if isinstance(value, datetime.timedelta):
        return duration_text(value)
    if isinstance(value, (dict, list)):
        return json_text(value)
    if isinstance(value, float):
        return float_text(value)
    return str(value).strip()


def json_text(value: object) -> str:
    """Compact JSON for nested values, keeping non-ASCII characters readable."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
