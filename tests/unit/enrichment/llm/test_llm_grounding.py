"""The grounding guard: values found in the source pass, invented ones never do (examples and properties)."""

from __future__ import annotations

import re

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from shared.enrichment.llm.grounding import digit_runs, grounded
from shared.enrichment.standardize.text import fold


def letters(text: str) -> list[str]:
    """The words of `text`, case and accents folded: what "in the source" means for names."""
    return re.findall(r"[^\W_]+", fold(text))


# --- examples ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "source"),
    [
        ("ana@acme.com", "Ana Lima <ANA@ACME.COM>"),
        ("Ana.Lima@Acme.com", "mail: ana.lima@acme.com, thanks"),
        ("ana@acme.com", "ana@acme.com."),
        ("ana@acme.com", "mailto:ana@acme.com"),
    ],
)
def test_an_email_in_the_source_is_grounded(value: str, source: str) -> None:
    assert grounded("email", value, source)


@pytest.mark.parametrize(
    ("value", "source"),
    [
        ("ana@acme.com", "Ana Lima, ACME"),  # invented from the name and the company
        ("ana@acme.com", "diana@acme.com"),  # part of a longer address
        ("ana@acme.com", "ana@acme.com.br"),  # the domain goes on
        ("ana@acme.com", "ana at acme dot com"),  # not written as an address: a rule's job, not a guess
        ("ana@acme", "ana@acme"),  # no domain
        ("ana lima@acme.com", "ana lima@acme.com"),
    ],
)
def test_an_email_not_in_the_source_is_refused(value: str, source: str) -> None:
    assert not grounded("email", value, source)


@pytest.mark.parametrize(
    ("value", "source"),
    [
        ("5551234", "call me at five five five one two three four"),
        ("+1 555 123 4567", "five five five, one two three, four five six seven"),  # country code the source omits
        ("(212) 555-0178", "tel 212.555.0178 (office)"),
        ("+442079460958", "+44 (0)20 7946 0958"),
        ("+44 20 7946 0958", "020 7946 0958"),  # country code added, trunk 0 dropped
        ("2125550178", "+1 212 555 0178"),  # country code dropped
        ("5550100", "double five five zero one double oh"),
        ("+4930123456", "Tel. +49 30 123456"),
        ("915551234", "nueve uno cinco cinco cinco uno dos tres cuatro"),
    ],
)
def test_a_phone_whose_digits_are_in_the_source_is_grounded(value: str, source: str) -> None:
    assert grounded("phone", value, source)


@pytest.mark.parametrize(
    ("value", "source"),
    [
        ("+1 555 123 9999", "call me at five five five one two three four"),  # completed
        ("5551243", "555 1234"),  # digits out of order
        ("5551234", "555 / 1234"),  # two numbers are not one
        ("5551234", "555 ext 1234"),
        ("1234", "1234"),  # too short to be a phone number
        ("99 555 1234", "555 1234 5"),  # a "country code" with the rest not the whole number
        ("555-1234 ext 5", "555-1234 ext 5"),  # not a phone value
        ("+1 808 555 0199", "no phone, call the office"),
    ],
)
def test_a_phone_not_in_the_source_is_refused(value: str, source: str) -> None:
    assert not grounded("phone", value, source)


@pytest.mark.parametrize(
    ("field", "value", "source"),
    [
        ("first_name", "Ana", "ANA LIMA (CEO, ACME)"),
        ("last_name", "Lima", "ANA LIMA (CEO, ACME)"),
        ("title", "CEO", "ANA LIMA (CEO, ACME)"),
        ("company", "Acme", "ANA LIMA (CEO, ACME)"),
        ("last_name", "Müller-Lüdenscheidt", "MUELLER? no: müller-lüdenscheidt"),
        ("first_name", "José", "JOSE da Silva"),
        ("last_name", "O'Neil", "o'neil, pat"),
        ("last_name", "McDonald", "Mc Donald, Ronald"),
        ("last_name", "Mc Donald", "McDonald, Ronald"),
        ("full_name", "Ana Lima", "lima ana"),
        ("title", "Head of Sales", "head of sales EMEA"),
    ],
)
def test_words_in_the_source_are_grounded(field: str, value: str, source: str) -> None:
    assert grounded(field, value, source)


@pytest.mark.parametrize(
    ("field", "value", "source"),
    [
        ("first_name", "Anna", "ANA LIMA"),
        ("last_name", "Smith", "ANA LIMA"),
        ("company", "Acme Inc.", "ANA LIMA (CEO, ACME)"),  # "Inc." is not in the cell
        ("title", "Chief Executive Officer", "ANA LIMA (CEO, ACME)"),  # expanded, not copied
        ("first_name", "ana", "banana split"),  # inside a word is not a word
        ("first_name", "...", "..."),
        ("nickname", "Ana", "Ana"),  # not a field the guard knows
    ],
)
def test_words_not_in_the_source_are_refused(field: str, value: str, source: str) -> None:
    assert not grounded(field, value, source)


@pytest.mark.parametrize(
    ("value", "source", "expected"),
    [
        ("DE", "Germany (HQ)", True),
        ("Germany", "Deutschland / Berlin", True),
        ("BR", "São Paulo, BR", True),
        ("BR", "Brasil - SP", True),
        ("DE", "de Paris", False),  # "de" is a word, not a code
        ("FR", "Bavaria", False),  # not named
        ("XX", "XX", False),  # not a country
        ("AQ", "Lisbon office", False),
    ],
)
def test_a_country_must_be_named_in_the_source(value: str, source: str, expected: bool) -> None:
    assert grounded("country", value, source) is expected


def test_digit_runs_join_spelled_digits_and_split_at_words() -> None:
    assert digit_runs("call five 5 5-12, 34 or 020") == ("5551234", "020")
    assert "2079460958" in digit_runs("+44 (0)20 7946 0958")[-1]


# --- properties -------------------------------------------------------------------------------------------

LETTERS = "abcdefghijklmnopqrstuvwxyzéüñçø"
word = st.text(LETTERS, min_size=2, max_size=9)
source_words = st.lists(word, min_size=1, max_size=12)
casing = st.sampled_from([str.lower, str.upper, str.title, str.capitalize])
NAME_FIELDS = st.sampled_from(["first_name", "last_name", "full_name", "company", "title"])


@settings(max_examples=150, deadline=None)
@given(source=source_words, invented=st.lists(word, min_size=1, max_size=4), field=NAME_FIELDS, case=casing)
def test_words_not_in_the_source_are_always_refused(
    source: list[str], invented: list[str], field: str, case: object
) -> None:
    compact = "".join(letters(" ".join(source)))
    assume(all(letters(token) and "".join(letters(token)) not in compact for token in invented))
    text = ", ".join(source)
    value = " ".join(invented)
    assert callable(case)
    assert not grounded(field, case(value), text)


@settings(max_examples=150, deadline=None)
@given(source=source_words, data=st.data(), field=NAME_FIELDS, case=casing)
def test_words_copied_from_the_source_are_accepted(
    source: list[str], data: st.DataObject, field: str, case: object
) -> None:
    start = data.draw(st.integers(0, len(source) - 1))
    end = data.draw(st.integers(start + 1, len(source)))
    assume(letters(" ".join(source[start:end])))
    assert callable(case)
    assert grounded(field, case(" ".join(source[start:end])), " ".join(source))


local_part = st.text("abcdefghijklmnopqrstuvwxyz0123456789._+-", min_size=1, max_size=12).filter(
    lambda s: s[0].isalnum() and s[-1].isalnum()
)
domain = st.lists(st.text("abcdefghijklmnopqrstuvwxyz0123456789", min_size=1, max_size=8), min_size=2, max_size=3)
emails = st.builds(lambda local, parts: f"{local}@{'.'.join(parts)}", local_part, domain)
filler = st.lists(st.text("abcdefghij ,;:()", max_size=12), max_size=3).map(" ".join)


@settings(max_examples=150, deadline=None)
@given(email=emails, before=filler, after=filler, upper=st.booleans())
def test_an_email_copied_from_the_source_is_accepted(email: str, before: str, after: str, upper: bool) -> None:
    source = f"{before} {email.upper() if upper else email} {after}"
    assert grounded("email", email, source)


@settings(max_examples=150, deadline=None)
@given(email=emails, other=emails, before=filler)
def test_an_email_not_in_the_source_is_always_refused(email: str, other: str, before: str) -> None:
    assume(email.lower() not in other.lower())
    assert not grounded("email", email, f"{before} {other}")


# Source digits from one half of the keypad, invented digits from the other: no run can contain them.
# Source words are consonants only, so no spelled-out digit hides in them.
phone_format = st.sampled_from(["{}", "+{}", "({}) ", "{}-", "{}."])
source_phone = st.lists(st.text("01234", min_size=2, max_size=4), min_size=2, max_size=4)
consonants = st.text("bcdfghjklmnpqrstvwxz", min_size=1, max_size=6)


@settings(max_examples=150, deadline=None)
@given(
    groups=source_phone,
    invented=st.lists(st.text("56789", min_size=2, max_size=4), min_size=2, max_size=4),
    words_=st.lists(consonants, max_size=3),
    formats=st.lists(phone_format, min_size=4, max_size=4),
)
def test_a_phone_with_digits_not_in_the_source_is_always_refused(
    groups: list[str], invented: list[str], words_: list[str], formats: list[str]
) -> None:
    source = " ".join(words_) + " " + " ".join(groups)
    value = "".join(fmt.format(part) for fmt, part in zip(formats, invented, strict=False)).strip(" -.")
    assert not grounded("phone", value, source)


@settings(max_examples=150, deadline=None)
@given(
    groups=source_phone,
    words_=st.lists(consonants, max_size=3),
    separator=st.sampled_from([" ", "-", ".", " - "]),
    add_country_code=st.sampled_from(["", "1", "44", "351"]),
)
def test_a_phone_copied_from_the_source_is_accepted(
    groups: list[str], words_: list[str], separator: str, add_country_code: str
) -> None:
    number = separator.join(groups)
    digits = "".join(groups)
    assume(5 <= len(digits) <= 12)
    source = f"{' '.join(words_)} tel {number} thanks"
    assert grounded("phone", number, source)
    assert grounded("phone", digits, source)
    if add_country_code:
        assert grounded("phone", f"+{add_country_code} {digits}", source)
