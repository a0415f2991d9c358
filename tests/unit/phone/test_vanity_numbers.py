"""Caller numbers for vanity search: what is accepted, how it is split, what is refused and why."""

from __future__ import annotations

import pytest

from shared.phone.vanity import InvalidNumber, normalize_number, spell_back
from shared.phone.vanity.numbers import PhoneNumber, country_code_length, parse_number


@pytest.mark.parametrize(
    "number",
    [
        "+18004685865",
        "8004685865",
        "18004685865",
        "(800) 468-5865",
        "1 800 468 5865",
        "+1.800.468.5865",
        " 800/468-5865 ",
    ],
)
def test_nanp_forms_normalize_alike(number: str) -> None:
    assert parse_number(number) == PhoneNumber("18004685865", "nanp", ("1", "800"), "4685865", False, 3)


def test_local_seven_digits() -> None:
    assert parse_number("468-5865") == PhoneNumber("4685865", "local", (), "4685865", False, 3)


@pytest.mark.parametrize(
    ("number", "prefix", "search"),
    [
        ("+442079460958", ("44", "207"), "9460958"),  # two-digit country code
        ("+35312345678", ("353", "1"), "2345678"),  # three-digit country code
        ("+74951234567", ("7", "495"), "1234567"),  # one-digit country code other than 1
        ("+3545512345", ("354",), "5512345"),  # national number of exactly 7 digits
        ("+6834001", ("683",), "4001"),  # national number shorter than 7: all of it is searched
    ],
)
def test_international_split(number: str, prefix: tuple[str, ...], search: str) -> None:
    phone = parse_number(number)
    assert (phone.kind, phone.prefix, phone.search, phone.plus, phone.split) == ("intl", prefix, search, True, None)
    assert phone.digits == number[1:]


def test_country_code_lengths() -> None:
    assert [country_code_length(d) for d in ("1800", "7495", "4420", "2010", "3531", "2661", "8869")] == [
        1,
        1,
        2,
        2,
        3,
        3,
        3,
    ]


@pytest.mark.parametrize(
    ("number", "reason"),
    [
        ("", "empty"),
        ("   ", "empty"),
        ("anonymous", "withheld"),
        ("Anonymous", "withheld"),
        ("+anonymous", "withheld"),
        ("Unknown Caller", "withheld"),
        ("RESTRICTED", "withheld"),
        ("private number", "withheld"),
        ("+266696687", "withheld"),  # ANONYMOUS on a keypad
        ("1-800-FLOWERS", "not_a_number"),
        ("tel:+18004685865", "not_a_number"),
        ("+", "not_a_number"),
        ("++18004685865", "not_a_number"),
        ("\u0663\u0663\u0663\u0663\u0663\u0663\u0663", "not_a_number"),  # Arabic-Indic digits
        ("12345", "too_short"),
        ("+1800468", "too_short"),
        ("+44123", "too_short"),
        ("+180046858650", "too_long"),
        ("+1234567890123456", "too_long"),
        ("+08004685865", "bad_country_code"),
        ("123456789", "ambiguous"),
        ("442079460958", "ambiguous"),
    ],
)
def test_refused_with_a_reason(number: str, reason: str) -> None:
    with pytest.raises(InvalidNumber) as caught:
        parse_number(number)
    assert caught.value.reason == reason
    assert isinstance(caught.value, ValueError)
    assert str(caught.value)


def test_untyped_inputs() -> None:
    # a missing event field arrives as None from untyped callers
    with pytest.raises(InvalidNumber) as caught:
        parse_number(None)  # type: ignore[arg-type]
    assert caught.value.reason == "empty"
    with pytest.raises(InvalidNumber) as caught:
        parse_number(18004685865)  # type: ignore[arg-type]
    assert caught.value.reason == "not_a_number"


def test_normalize_number() -> None:
    assert normalize_number("(800) 468-5865") == "18004685865"
    assert normalize_number("+44 20 7946 0958") == "442079460958"


@pytest.mark.parametrize(
    ("text", "digits"),
    [
        ("1-800-GOT-JUNK", "18004685865"),
        ("1-800-flowers", "18003569377"),
        ("+1 (800) CONTACT", "18002668228"),
        ("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "22233344455566677778889999"),
        ("0-1 é ß _", "01"),
        ("", ""),
    ],
)
def test_spell_back(text: str, digits: str) -> None:
    assert spell_back(text) == digits
