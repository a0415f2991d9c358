"""Caller numbers for vanity search: validate, normalize, and split off the part that may become letters.

Accepted inputs (spaces, hyphens, dots, slashes and parentheses are ignored):

- E.164 with `+`: `+1` and exactly 10 digits is a North American (NANP) number; any other country code
  (ITU codes are prefix-free, so their length follows from the first digits) needs at least 4 national
  digits and at most 15 digits in all.
- Without `+`: 10 digits, or 11 starting with `1`, is NANP; 7 digits is a local number. Other lengths are
  ambiguous without a country code and are refused.

The searched part (the only digits that may turn into letters) is the subscriber number: for NANP the last
7 digits (exchange + line; the country code and area code stay digits), elsewhere the last 7 digits of the
national number, or all of it when it is shorter.

Anything else raises `InvalidNumber` (a `ValueError`) with a machine-readable `reason`, so the Connect
handler can answer a withheld or malformed caller gracefully instead of failing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final, Literal

Reason = Literal["empty", "withheld", "not_a_number", "too_short", "too_long", "bad_country_code", "ambiguous"]
Kind = Literal["nanp", "intl", "local"]

SUBSCRIBER_DIGITS: Final = 7
MIN_NATIONAL_DIGITS: Final = 4
MAX_E164_DIGITS: Final = 15

# ITU-T E.164 two-digit country codes. The one-digit codes are 1 and 7 and every other code has three
# digits; since the codes are prefix-free, the first one or two digits decide the length.
# fmt: off
_TWO_DIGIT_CODES: Final = frozenset({
    "20", "27", "30", "31", "32", "33", "34", "36", "39", "40", "41", "43", "44", "45", "46",
    "47", "48", "49", "51", "52", "53", "54", "55", "56", "57", "58", "60", "61", "62", "63",
    "64", "65", "66", "81", "82", "84", "86", "90", "91", "92", "93", "94", "95", "98",
})
# fmt: on

# What carriers and contact centers put where a withheld number would be, compared with the letters only.
_WITHHELD_WORDS: Final = frozenset(
    {
        "anonymous",
        "anonymouscaller",
        "blocked",
        "nocallerid",
        "private",
        "privatenumber",
        "restricted",
        "unavailable",
        "unknown",
        "unknowncaller",
        "withheld",
    }
)
# "+266696687" spells ANONYMOUS on a keypad: some carriers and CPaaS send it for withheld numbers. As a
# number it would be Lesotho (+266) with 6 national digits, which Lesotho does not have.
_WITHHELD_DIGITS: Final = frozenset({"266696687"})

_SEPARATORS: Final = str.maketrans("", "", " \t-./()")
_NOT_LETTERS: Final = re.compile(r"[^a-z]")


class InvalidNumber(ValueError):
    """The input is not a caller number that a vanity number can be made of (withheld, empty, malformed)."""

    def __init__(self, message: str, *, reason: Reason) -> None:
        super().__init__(message)
        self.reason: Reason = reason


@dataclass(frozen=True)
class PhoneNumber:
    """A validated number, split into the groups that always stay digits and the searched subscriber part."""

    digits: str  # every digit, country code included (E.164 without the `+`; a local number as given)
    kind: Kind
    prefix: tuple[str, ...]  # the digit groups shown before the searched part, e.g. ("1", "800")
    search: str  # the subscriber digits that may become letters
    plus: bool  # whether the display form starts with `+` (international numbers)
    split: int | None  # offset in `search` of the exchange/line boundary (NANP and local), else None

    def display_prefix(self, *, plus: bool | None = None) -> list[str]:
        groups = list(self.prefix)
        if groups and (self.plus if plus is None else plus):
            groups[0] = "+" + groups[0]
        return groups


def country_code_length(digits: str) -> int:
    if digits[0] in "17":
        return 1
    return 2 if digits[:2] in _TWO_DIGIT_CODES else 3


def parse_number(number: str) -> PhoneNumber:
    """Validate and split `number`; raise `InvalidNumber` with a reason when it cannot be used."""
    # callers may pass an event field through untyped: None for a missing field, a number from bad JSON
    if number is None or (isinstance(number, str) and not number.strip()):
        raise InvalidNumber("no caller number was given", reason="empty")
    if not isinstance(number, str):
        raise InvalidNumber(f"a phone number is text, not {type(number).__name__}", reason="not_a_number")
    raw = number.strip()
    if _NOT_LETTERS.sub("", raw.lower()) in _WITHHELD_WORDS:
        raise InvalidNumber(f"the caller's number is withheld ({raw!r})", reason="withheld")

    body = raw.translate(_SEPARATORS)
    plus = body.startswith("+")
    if plus:
        body = body[1:]
    if not body or not body.isascii() or not body.isdigit():
        raise InvalidNumber(f"not a phone number: {raw!r}", reason="not_a_number")

    if plus:
        return _parse_e164(body, raw)
    if len(body) < SUBSCRIBER_DIGITS:
        raise InvalidNumber(f"too short for a phone number: {raw!r}", reason="too_short")
    if len(body) == SUBSCRIBER_DIGITS:
        return PhoneNumber(body, "local", (), body, False, 3)
    if len(body) == 10:
        return _nanp("1" + body)
    if len(body) == 11 and body[0] == "1":
        return _nanp(body)
    raise InvalidNumber(f"give {raw!r} in E.164 form (+ and the country code)", reason="ambiguous")


def _parse_e164(body: str, raw: str) -> PhoneNumber:
    if body in _WITHHELD_DIGITS:
        raise InvalidNumber(f"the caller's number is withheld ({raw!r})", reason="withheld")
    if body[0] == "0":
        raise InvalidNumber(f"no country code starts with 0: {raw!r}", reason="bad_country_code")
    if len(body) > MAX_E164_DIGITS:
        raise InvalidNumber(f"longer than E.164 allows: {raw!r}", reason="too_long")
    if body[0] == "1":
        if len(body) != 11:
            reason: Reason = "too_short" if len(body) < 11 else "too_long"
            raise InvalidNumber(f"a +1 number has 10 digits after the 1: {raw!r}", reason=reason)
        return _nanp(body)
    cc = country_code_length(body)
    national = body[cc:]
    if len(national) < MIN_NATIONAL_DIGITS:
        raise InvalidNumber(f"too short for a phone number: {raw!r}", reason="too_short")
    cut = max(0, len(national) - SUBSCRIBER_DIGITS)
    prefix = (body[:cc], national[:cut]) if cut else (body[:cc],)
    return PhoneNumber(body, "intl", prefix, national[cut:], True, None)


def _nanp(digits: str) -> PhoneNumber:
    return PhoneNumber(digits, "nanp", (digits[0], digits[1:4]), digits[4:], False, 3)


def normalize_number(number: str) -> str:
    """The digit string every vanity text of `number` spells back to (E.164 without `+`, or a local number)."""
    return parse_number(number).digits
