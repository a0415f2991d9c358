"""Whole rows: rejection, whitespace, attributes never dropped, caller mappings, and the dedupe key."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from shared.enrichment.standardize import (
    COMPANY_INFERRED_FROM,
    COUNTRY_INFERRED_FROM,
    NAME_PREFIX,
    NAME_SUFFIX,
    NO_CONTACT,
    PHONE_EXTENSION,
    HeaderMapping,
    dedupe_key,
    map_headers,
    standardize_row,
)
from shared.enrichment.standardize.countries import country_code
from shared.enrichment.standardize.headers import NAME_PARTICLE, classify_header
from shared.enrichment.standardize.text import collapse, comparison_key

DERIVED = {COMPANY_INFERRED_FROM, COUNTRY_INFERRED_FROM, PHONE_EXTENSION, NAME_PREFIX, NAME_SUFFIX}
STANDARD = {"first_name", "last_name", "email", "phone", "company", "title", "country"}


def test_row_without_a_way_to_contact_the_person_is_rejected_with_its_reason() -> None:
    nothing = standardize_row({"Name": "Ana Lima", "Company": "Acme"})
    assert nothing.rejected == NO_CONTACT == "no valid email or phone: no way to contact this person"
    assert nothing.fields == {"first_name": "Ana", "last_name": "Lima", "company": "Acme"}
    invalid = standardize_row({"Name": "Ana Lima", "Email": "ana@", "Phone": "123"})
    assert invalid.rejected is not None
    assert invalid.rejected.startswith(NO_CONTACT)
    assert "invalid email 'ana@'" in invalid.rejected
    assert "invalid phone '123'" in invalid.rejected


def test_email_or_phone_alone_is_enough() -> None:
    assert standardize_row({"Email": "ana@lima.dev"}).rejected is None
    assert standardize_row({"Phone": "+44 20 7946 0958"}).rejected is None


def test_whitespace_is_collapsed_and_empty_cells_are_missing() -> None:
    result = standardize_row(
        {"First Name": "  Ana \t Maria ", "Last Name": "\u00a0", "Company": "  Acme\n Corp ", "Email": " ana@acme.com ",
         "Notes": "   ", "Source": " web  form "}
    )  # fmt: skip
    assert result.fields == {"first_name": "Ana Maria", "email": "ana@acme.com", "company": "Acme Corp"}
    assert result.attributes == {"Source": "web form"}


def test_derived_facts_never_overwrite_a_column_of_the_file() -> None:
    result = standardize_row({"Email": "ana@acme.com", COMPANY_INFERRED_FROM: "the file's own value"})
    assert result.fields["company"] == "Acme"
    assert result.attributes[COMPANY_INFERRED_FROM] == "the file's own value"


def test_a_mapping_from_the_caller_is_used_as_given() -> None:
    mapping = HeaderMapping(fields={"col_a": "email", "col_b": "full_name"}, unmapped=("col_c",), confidence=0.9)
    result = standardize_row(
        {"col_a": "Ana@Lima.dev", "col_b": "ana lima", "col_c": "x", "col_d": "y"}, mapping=mapping
    )
    assert result.fields == {"email": "ana@lima.dev", "first_name": "Ana", "last_name": "Lima", "company": "Lima"}
    assert result.attributes == {"col_c": "x", "col_d": "y", COMPANY_INFERRED_FROM: "lima.dev"}


def test_unparsed_lists_only_the_fields_left_unfilled() -> None:
    result = standardize_row({"Email": "nope", "Phone": "+44 20 7946 0958", "Country": "Narnia"})
    assert result.unparsed == ("email",)
    assert result.fields["country"] == "GB"
    assert result.attributes["Country"] == "Narnia"


def test_dedupe_key_prefers_email_then_phone_then_name_and_company() -> None:
    full = {
        "email": " Ana@Lima.dev ",
        "phone": "+12125550178",
        "first_name": "Ana",
        "last_name": "Lima",
        "company": "X",
    }
    assert dedupe_key(full) == "ana@lima.dev"
    assert dedupe_key({**full, "email": ""}) == "+12125550178"
    assert dedupe_key({"first_name": "Élodie", "last_name": "D'Angelo", "company": "Acme  Corp"}) == (
        "name:elodie d angelo|acme corp"
    )
    assert dedupe_key({"first_name": "ana", "last_name": "LIMA", "company": "ACME"}) == dedupe_key(
        {"first_name": "Ana", "last_name": "Lima", "company": "Acme"}
    )
    assert dedupe_key({"first_name": "Ana", "last_name": "Lima"}) is None
    assert dedupe_key({"company": "Acme"}) is None
    assert dedupe_key({}) is None


def test_dedupe_key_of_two_spellings_of_one_lead_is_the_same() -> None:
    one = standardize_row({"Email": "ANA@LIMA.DEV", "Phone": "(212) 555-0178"})
    other = standardize_row({"E-mail Address": "ana@lima.dev", "Mobile": "+1 212 555 0178"})
    assert dedupe_key(one.fields) == dedupe_key(other.fields) == "ana@lima.dev"
    by_phone = [standardize_row({"Phone": cell}).fields for cell in ("(212) 555-0178", "+1.212.555.0178")]
    assert dedupe_key(by_phone[0]) == dedupe_key(by_phone[1]) == "+12125550178"


# --- nothing is ever dropped -------------------------------------------------------------------------------

_HEADERS = [
    "Email", "E-mail 2", "Secondary Email", "Phone", "Mobile", "Work Phone", "First Name", "Last Name", "Name",
    "Full Name", "Contact", "From", "Company", "Organization", "Title", "Job Title", "Country", "Land", "Tussenvoegsel",
    "Notes", "Lead Source", "Email Opt Out", "Phone Type", COMPANY_INFERRED_FROM,
]  # fmt: skip
_VALUES = st.one_of(
    st.sampled_from(
        [
            "ana@acme.com", "ANA@ACME.COM", "bob@", "a@b", "x@gmail.com", '"Ana Lima" <ana@lima.dev>', "Lima <bob@>",
            "ana@x.com; bob@y.com", "(212) 555-0178", "+44 20 7946 0958", "12345", "0049 151 23456789",
            "212-555-0178 ext. 7", "ana lima", "SMITH, JOHN", "dr. ana lima jr.", "van der", "Mr.", "CEO", "USA",
            "Deutschland", "Narnia", "  ", "", ",", "-", "<>", "Ana <>", "o'neil",
        ]
    ),
    st.text(max_size=30),
)  # fmt: skip
_ROWS = st.dictionaries(st.one_of(st.sampled_from(_HEADERS), st.text(max_size=12)), _VALUES, max_size=8)


def _represented(header: str, cell: str, fields: dict[str, str], mapping: HeaderMapping) -> bool:
    """Whether a cell that is not under attributes is in the fields (possibly normalized)."""
    field = mapping.fields.get(header)
    if field is None:
        match = classify_header(header)  # an unmapped column the rules fell back to
        field = match.field if match is not None else None
    names = {"first_name", "last_name"} & set(fields)
    if field in ("company", "title"):
        return fields.get(field) == cell
    if field == "country":
        return fields.get("country") == country_code(cell)
    if field in ("email", "phone", "first_name", "last_name"):
        return field in fields
    if field in ("full_name", "name_email"):
        # A name, or a `Name <email>` cell (or a bare address) whose address is the email.
        return bool(names) or ("@" in cell and "email" in fields)
    if field == NAME_PARTICLE:
        return comparison_key(cell) in comparison_key(fields.get("last_name", ""))
    return False


@settings(max_examples=400, deadline=None)
@given(row=_ROWS, region=st.sampled_from(["US", "DE", "GB"]))
def test_every_non_empty_cell_is_in_the_fields_or_under_its_header(row: dict[str, str], region: str) -> None:
    result = standardize_row(row, default_region=region)
    mapping = map_headers(tuple(row))
    for header, raw in row.items():
        cell = collapse(raw)
        if not cell:
            assert header not in result.attributes or header in DERIVED
            continue
        if result.attributes.get(header) != cell:
            assert _represented(header, cell, result.fields, mapping), (header, cell, result)
    for key, value in result.attributes.items():
        if collapse(row.get(key, "")):
            assert value == collapse(row[key])
        else:
            assert key in DERIVED
    assert set(result.fields) <= STANDARD
    assert all(result.fields.values())
    assert result.fields.get("email", "").lower() == result.fields.get("email", "")
    assert result.fields.get("phone", "+").startswith("+")
    assert (result.rejected is None) == ("email" in result.fields or "phone" in result.fields)
