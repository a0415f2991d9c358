"""Light normalization: headers matched by plain name, email lower-cased, rows with no contact rejected."""

from __future__ import annotations

import pytest

from shared.leads import RowRejected, lead_from_row
from shared.models import Lead


def make(values: dict[str, str]) -> Lead:
    return lead_from_row(values, job_id="j", worksheet="S", row=7, source="upload", file="f.xlsx")


def test_fields_mapped_and_trimmed_rest_kept_in_attributes() -> None:
    lead = make({"E-mail Address": "  Ana@Example.COM ", "First Name": "Ana", "Surname": "Lima", "Shoe size": "38"})
    assert (lead.email, lead.first_name, lead.last_name) == ("ana@example.com", "Ana", "Lima")
    assert lead.attributes == {"Shoe size": "38"}
    assert lead.worksheet == "S" and lead.row == 7 and lead.to_item()["_worksheet"] == "S"


def test_full_name_split_when_no_first_or_last() -> None:
    lead = make({"Full Name": "Ana  Maria Lima", "Phone": "555-1234"})
    assert (lead.first_name, lead.last_name, lead.phone) == ("Ana", "Maria Lima", "555-1234")


def test_same_row_same_id_other_row_other_id() -> None:
    assert make({"Email": "a@b.co"}).lead_id == make({"Email": "x@y.co"}).lead_id
    assert Lead.id_for("j", "S", 7) != Lead.id_for("j", "S", 8)
    assert Lead.id_for("j", "S", 7) != Lead.id_for("j", "T", 7)


@pytest.mark.parametrize(
    ("values", "reason"),
    [
        ({"Name": "Nobody"}, "no email or phone"),
        ({"Email": "not-an-email"}, "invalid email"),
        ({"Email": "   ", "Company": "Acme"}, "no email or phone"),
    ],
)
def test_rejections_say_why(values: dict[str, str], reason: str) -> None:
    with pytest.raises(RowRejected, match=reason):
        make(values)
