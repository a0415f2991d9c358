"""Phone cells to E.164: many countries, with and without a country column, and the shortcuts held to phonenumbers."""

from __future__ import annotations

import random

import phonenumbers
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shared.enrichment.standardize import COUNTRY_INFERRED_FROM, PHONE_EXTENSION, standardize_row
from shared.enrichment.standardize.phones import (
    NANP_REGIONS,
    _international_shortcut,
    normalize_phone,
    region_and_validity,
)


@pytest.mark.parametrize(
    ("row", "phone", "country"),
    [
        ({"Phone": "(212) 555-0178"}, "+12125550178", None),
        ({"Phone": "212.555.0178"}, "+12125550178", None),
        ({"Phone": "1-212-555-0178"}, "+12125550178", None),
        ({"Phone": "2125550178.0"}, "+12125550178", None),
        ({"Phone": "tel:+1 212 555 0178"}, "+12125550178", "US"),
        ({"Phone": "+1 (416) 555-0199"}, "+14165550199", "CA"),
        ({"Phone": "+44 20 7946 0958"}, "+442079460958", "GB"),
        ({"Phone": "+44 (0)20 7946 0958"}, "+442079460958", "GB"),
        ({"Phone": "020 7946 0958", "Country": "United Kingdom"}, "+442079460958", "GB"),
        ({"Telefon": "030 901820", "Land": "Deutschland"}, "+4930901820", "DE"),
        ({"Phone": "0049 151 23456789"}, "+4915123456789", "DE"),
        ({"Phone": "4915123456789"}, "+4915123456789", "DE"),
        ({"Téléphone": "06 12 34 56 78", "Pays": "France"}, "+33612345678", "FR"),
        ({"Telefone": "(11) 91234-5678", "País": "Brasil"}, "+5511912345678", "BR"),
        ({"Teléfono": "612 34 56 78", "País": "ES"}, "+34612345678", "ES"),
        ({"Telefono": "06 1234 5678", "Paese": "Italia"}, "+390612345678", "IT"),
        ({"Phone": "03-1234-5678", "Country": "JPN"}, "+81312345678", "JP"),
        ({"Phone": "98765 43210", "Country": "India"}, "+919876543210", "IN"),
        ({"Phone": "0412 345 678", "Country": "Australia"}, "+61412345678", "AU"),
    ],
)
def test_phone_to_e164(row: dict[str, str], phone: str, country: str | None) -> None:
    result = standardize_row(row)
    assert result.fields["phone"] == phone
    assert result.fields.get("country") == country
    assert result.problems == ()


def test_country_is_inferred_only_from_a_number_that_carried_its_country_code() -> None:
    written_out = standardize_row({"Phone": "+44 20 7946 0958"})
    assert written_out.fields["country"] == "GB"
    assert written_out.attributes[COUNTRY_INFERRED_FROM] == "phone"
    # Read in the stage's default region: that region is an assumption, not a fact about the person.
    assumed = standardize_row({"Phone": "020 7946 0958"}, default_region="GB")
    assert assumed.fields["phone"] == "+442079460958"
    assert "country" not in assumed.fields
    assert COUNTRY_INFERRED_FROM not in assumed.attributes


def test_the_country_column_beats_the_default_region() -> None:
    result = standardize_row({"Phone": "030 901820", "Country": "DE"}, default_region="US")
    assert result.fields["phone"] == "+4930901820"


def test_extension_is_kept_under_attributes() -> None:
    result = standardize_row({"Phone": "212-555-0178 ext. 42"})
    assert result.fields["phone"] == "+12125550178"
    assert result.attributes == {PHONE_EXTENSION: "42"}


def test_invalid_number_is_reported_kept_and_listed_as_unparsed() -> None:
    result = standardize_row({"Email": "ana@acme.com", "Phone": "12345"})
    assert "phone" not in result.fields
    assert result.problems == ("invalid phone '12345' (too short)",)
    assert result.unparsed == ("phone",)
    assert result.attributes["Phone"] == "12345"
    assert result.rejected is None


def test_an_empty_or_invalid_phone_column_falls_back_to_the_next_phone_column() -> None:
    empty_first = standardize_row({"Phone": "", "Mobile": "415 555 0132"})
    assert empty_first.fields["phone"] == "+14155550132"
    assert empty_first.attributes == {}
    invalid_first = standardize_row({"Phone": "12345", "Mobile": "415 555 0132"})
    assert invalid_first.fields["phone"] == "+14155550132"
    assert invalid_first.attributes == {"Phone": "12345"}
    assert invalid_first.problems == ("invalid phone '12345' (too short)",)
    assert invalid_first.unparsed == ()


def test_a_cell_with_several_numbers_uses_the_first_and_keeps_the_cell() -> None:
    result = standardize_row({"Phone": "212 555 0178 / 212 555 0199"})
    assert result.fields["phone"] == "+12125550178"
    assert result.attributes["Phone"] == "212 555 0178 / 212 555 0199"


def _library(text: str, region: str) -> tuple[str | None, str | None]:
    """What phonenumbers itself says: (E.164 if valid, region)."""
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        return None, None
    if not phonenumbers.is_valid_number(number):
        return None, None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164), phonenumbers.region_code_for_number(
        number
    )


_NANP_DIGITS = st.tuples(
    st.sampled_from(["", "1"]),
    st.from_regex(r"[2-9][0-9]{2}", fullmatch=True),
    st.from_regex(r"[0-9]{3}", fullmatch=True),
    st.from_regex(r"[0-9]{4}", fullmatch=True),
    st.from_regex(r"[0-9]{1,5}", fullmatch=True),
)
_NANP_STYLES = [
    "({1}) {2}-{3}", "{0}{1}{2}{3}", "+{0} {1} {2} {3}", "{1}.{2}.{3}", "{0}-{1}-{2}-{3}", "{1}-{2}-{3} x{4}",
    "({1}) {2}-{3} ext. {4}", "+{0} {1} {2} {3} Ext {4}", "{1}{2}{3}x{4}",
]  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(parts=_NANP_DIGITS, style=st.sampled_from(_NANP_STYLES), region=st.sampled_from([*sorted(NANP_REGIONS), "DE"]))
def test_nanp_shortcut_agrees_with_phonenumbers(parts: tuple[str, ...], style: str, region: str) -> None:
    text = style.format(*parts)
    result = normalize_phone(text, region, True)
    expected_e164, expected_region = _library(text, region)
    if expected_e164 is not None:
        assert (result.e164, result.region) == (expected_e164, expected_region)
        assert result.extension == phonenumbers.parse(text, region).extension
    elif result.e164 is not None:
        # Invalid where it was read, valid once retried as international without its "+".
        assert result.explicit_country


def _example_numbers() -> list[tuple[int, str]]:
    numbers = []
    for region in sorted(phonenumbers.SUPPORTED_REGIONS):
        for number_type in range(12):
            example = phonenumbers.example_number_for_type(region, number_type)
            if example is not None and example.country_code is not None:
                numbers.append((example.country_code, phonenumbers.national_significant_number(example)))
    return numbers


EXAMPLES = _example_numbers()


@settings(max_examples=300, deadline=None)
@given(
    example=st.sampled_from(EXAMPLES), changes=st.lists(st.tuples(st.integers(0, 20), st.integers(0, 9)), max_size=3)
)
def test_international_numbers_agree_with_phonenumbers(
    example: tuple[int, str], changes: list[tuple[int, int]]
) -> None:
    country_code, national = example
    digits = list(national)
    for position, digit in changes:
        digits[position % len(digits)] = str(digit)
    international = f"{country_code} {''.join(digits)}"
    result = normalize_phone("+" + international, "US", True)
    assert (result.e164, result.region if result.e164 else None) == _library("+" + international, "US")
    for region in ("US", "DE", "AU"):
        # "00" as the international prefix: read as parse() reads it where 00 is the prefix (DE), and
        # retried as "+" where it is not (US, AU) and the number is not valid as written.
        result = normalize_phone("00" + international, region, True)
        written = _library("00" + international, region)
        assert (result.e164, result.region if result.e164 else None) == (
            written if written[0] else _library("+" + international, region)
        )


def test_metadata_validity_agrees_with_phonenumbers_on_every_region() -> None:
    rng = random.Random(3)
    checked = 0
    for country_code, national in EXAMPLES:
        for attempt in range(4):
            digits = list(national)
            for _ in range(attempt):
                digits[rng.randrange(len(digits))] = rng.choice("0123456789")
            candidate = "".join(digits)
            if candidate.startswith("0"):
                continue  # the national number of a PhoneNumber has no leading zeros
            number = phonenumbers.PhoneNumber(country_code=country_code, national_number=int(candidate))
            expected = (phonenumbers.region_code_for_number(number), phonenumbers.is_valid_number(number))
            assert region_and_validity(country_code, candidate) == expected, (country_code, candidate)
            checked += 1
    assert checked > 3000


def test_international_shortcut_defers_to_parse_where_a_national_prefix_could_be_stripped() -> None:
    # Russia's national prefix is 8; "812" is also St Petersburg. parse() decides whether to strip it.
    assert _international_shortcut("+7 812 345 67 89") is None
    assert (
        normalize_phone("+7 812 345 67 89", "US", True).e164 == _library("+7 812 345 67 89", "US")[0] == "+78123456789"
    )
    assert _international_shortcut("+44 20 7946 0958") is not None
