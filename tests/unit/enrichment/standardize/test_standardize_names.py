"""Names split into first and last and cased properly, only where the input has no casing of its own."""

from __future__ import annotations

import pytest

from shared.enrichment.standardize import NAME_PREFIX, NAME_SUFFIX, standardize_row
from shared.enrichment.standardize.names import case_name, is_honorific, split_full_name


@pytest.mark.parametrize(
    ("full", "first", "last"),
    [
        ("Ana Lima", "Ana", "Lima"),
        ("SMITH, JOHN", "John", "Smith"),
        ("smith, john", "John", "Smith"),
        ("dr. ana lima jr.", "Ana", "Lima"),
        ("Ana Maria Lima", "Ana Maria", "Lima"),
        ("LUDWIG VAN DER BERG", "Ludwig", "van der Berg"),
        ("ana maria de la cruz", "Ana Maria", "de la Cruz"),
        ("Ludwig van Beethoven", "Ludwig", "van Beethoven"),
        ("MOHAMMED BIN RASHID AL MAKTOUM", "Mohammed", "bin Rashid Al Maktoum"),
        ("jean-luc picard", "Jean-Luc", "Picard"),
        ("MARY SMITH-JONES", "Mary", "Smith-Jones"),
        ("sean o'neil", "Sean", "O'Neil"),
        ("ROSA D'ANGELO", "Rosa", "D'Angelo"),
        ("ronald mcdonald", "Ronald", "McDonald"),
        ("ANGUS MACLEOD", "Angus", "MacLeod"),
        ("MACK SMITH", "Mack", "Smith"),
        ("john mack", "John", "Mack"),
        ("tony le", "Tony", "Le"),
        ("marine le pen", "Marine", "Le Pen"),
        ("John Smith, Jr.", "John", "Smith"),
        ("Smith, John, PhD", "John", "Smith"),
        ("Lima, Dr. Ana", "Ana", "Lima"),
        ("Madonna", "Madonna", ""),
        ("Van Morrison", "Van", "Morrison"),
        ("DeShawn McKinsey", "DeShawn", "McKinsey"),
        ("Anna de Vries", "Anna", "de Vries"),
        ("john smith iii", "John", "Smith"),
        ("ÉLODIE DUBOIS", "Élodie", "Dubois"),
    ],
)
def test_full_name_split_and_cased(full: str, first: str, last: str) -> None:
    parts = split_full_name(full)
    assert (parts.first, parts.last) == (first, last)


def test_titles_and_suffixes_are_taken_off_and_kept() -> None:
    parts = split_full_name("dr. ana lima jr.")
    assert (parts.prefix, parts.suffix) == ("Dr.", "Jr.")
    assert split_full_name("john smith iii").suffix == "III"
    result = standardize_row({"Full Name": "dr. ana lima jr.", "Email": "ana@lima.dev"})
    assert (result.fields["first_name"], result.fields["last_name"]) == ("Ana", "Lima")
    assert result.attributes[NAME_PREFIX] == "Dr."
    assert result.attributes[NAME_SUFFIX] == "Jr."
    assert "Full Name" not in result.attributes


@pytest.mark.parametrize(
    ("cell", "surname", "cased"),
    [
        ("mcdonald", True, "McDonald"),
        ("MACLEOD", True, "MacLeod"),
        ("mack", True, "Mack"),
        ("macy", True, "Macy"),
        ("machado", True, "Machado"),
        ("o'neil", True, "O'Neil"),
        ("d\u2019angelo", True, "D\u2019Angelo"),
        ("van der berg", True, "van der Berg"),
        ("VAN DER BERG", True, "van der Berg"),
        ("van der berg", False, "Van Der Berg"),
        ("jean-luc", False, "Jean-Luc"),
        ("SMITH-JONES", True, "Smith-Jones"),
        ("dell'acqua", True, "Dell'Acqua"),
        ("de la cruz", True, "de la Cruz"),
        # Mixed case was typed by someone who knew: left alone.
        ("McDonald", True, "McDonald"),
        ("Van der Berg", True, "Van der Berg"),
        ("deShawn", False, "deShawn"),
        ("Mcdonald", True, "Mcdonald"),
        ("1234", True, "1234"),
    ],
)
def test_casing_only_where_the_input_has_none(cell: str, surname: bool, cased: str) -> None:
    assert case_name(cell, surname=surname) == cased


def test_first_and_last_columns_are_cased_and_kept_apart() -> None:
    result = standardize_row({"First Name": "JEAN-LUC", "Last Name": "VAN DER BERG", "Email": "jl@x.org"})
    assert (result.fields["first_name"], result.fields["last_name"]) == ("Jean-Luc", "van der Berg")


def test_full_name_fills_only_what_the_name_columns_left_empty() -> None:
    result = standardize_row({"First Name": "Ana", "Last Name": "", "Name": "Ana Lima", "Email": "ana@lima.dev"})
    assert (result.fields["first_name"], result.fields["last_name"]) == ("Ana", "Lima")
    assert "Name" not in result.attributes


def test_full_name_that_says_more_than_the_name_columns_is_kept() -> None:
    result = standardize_row(
        {"First Name": "Ana", "Last Name": "Lima", "Full Name": "Ana Maria Lima", "Email": "a@b.io"}
    )
    assert (result.fields["first_name"], result.fields["last_name"]) == ("Ana", "Lima")
    assert result.attributes["Full Name"] == "Ana Maria Lima"


def test_dutch_particle_column_goes_in_front_of_the_surname() -> None:
    result = standardize_row({"Voornaam": "jan", "Tussenvoegsel": "van der", "Achternaam": "berg", "E-mail": "j@b.nl"})
    assert result.fields["last_name"] == "van der Berg"
    assert "Tussenvoegsel" not in result.attributes


@pytest.mark.parametrize(
    ("cell", "honorific"), [("Mr.", True), ("Dr", True), ("Frau", True), ("Mme", True), ("CEO", False)]
)
def test_honorific_title_stays_an_attribute(cell: str, honorific: bool) -> None:
    assert is_honorific(cell) is honorific
    result = standardize_row({"Title": cell, "Email": "ana@lima.dev"})
    assert ("title" in result.fields) is not honorific
    assert (result.attributes.get("Title") == cell) is honorific
