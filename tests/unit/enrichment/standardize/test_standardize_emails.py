"""Emails checked and normalized with email-validator, `Name <email>` cells, and companies from business domains."""

from __future__ import annotations

import pytest
from email_validator import EmailNotValidError, validate_email
from hypothesis import given, settings
from hypothesis import strategies as st

from shared.enrichment.standardize import COMPANY_INFERRED_FROM, standardize_row
from shared.enrichment.standardize.emails import company_from_domain, is_free_mail, normalize_email


@pytest.mark.parametrize(
    ("cell", "email"),
    [
        ("Ana.Lima@Example.COM", "ana.lima@example.com"),
        ("  ANA@ACME.CO.UK ", "ana@acme.co.uk"),
        ("mailto:Bob@X.io", "bob@x.io"),
        ("<bob@x.io>", "bob@x.io"),
        ("o'neil+leads@acme-corp.com", "o'neil+leads@acme-corp.com"),
        ("ana@exämple.de", "ana@exämple.de"),
        ("ana@xn--exmple-cua.de", "ana@exämple.de"),
        ("Postmaster@Acme.com", "postmaster@acme.com"),
    ],
)
def test_valid_email_is_normalized_and_lower_cased(cell: str, email: str) -> None:
    result = standardize_row({"Email": cell})
    assert result.fields["email"] == email
    assert result.problems == ()
    assert "Email" not in result.attributes


@pytest.mark.parametrize("cell", ["bob@", "bob@@x.com", "bob@x", "a..b@x.com", "bob @x.com", "bob@localhost", "@x.com"])
def test_invalid_email_is_reported_with_the_libraries_reason(cell: str) -> None:
    with pytest.raises(EmailNotValidError) as raised:
        validate_email(cell, check_deliverability=False)
    result = standardize_row({"Email": cell})
    assert "email" not in result.fields
    assert result.problems == (f"invalid email {cell!r} ({raised.value})",)
    assert result.unparsed == ("email",)
    assert result.attributes == {"Email": cell}
    assert result.rejected is not None
    assert str(raised.value) in result.rejected


def test_invalid_email_message_reads_as_the_brief_says() -> None:
    result = standardize_row({"Email": "bob@"})
    assert result.problems == ("invalid email 'bob@' (There must be something after the @-sign.)",)


def test_a_cell_with_several_addresses_uses_the_first_valid_one_and_keeps_the_cell() -> None:
    result = standardize_row({"Email": "bob@; ana@acme.com, joe@acme.com"})
    assert result.fields["email"] == "ana@acme.com"
    assert result.attributes["Email"] == "bob@; ana@acme.com, joe@acme.com"


def test_an_invalid_email_column_falls_back_to_the_next_email_column() -> None:
    result = standardize_row({"Email": "bob@", "Secondary Email": "Bob@Acme.com"})
    assert result.fields["email"] == "bob@acme.com"
    assert result.attributes == {"Email": "bob@", COMPANY_INFERRED_FROM: "acme.com"}


_ATOM = st.text(alphabet="abcXYZ019_%+-'.", min_size=1, max_size=12)
_LABEL = st.text(alphabet="abcxyz019-", min_size=1, max_size=10)


@settings(max_examples=400, deadline=None)
@given(
    local=_ATOM, labels=st.lists(_LABEL, min_size=1, max_size=3), tld=st.sampled_from(["com", "co.uk", "DE", "io", "x"])
)
def test_domain_cache_shortcut_agrees_with_email_validator(local: str, labels: list[str], tld: str) -> None:
    address = f"{local}@{'.'.join(labels)}.{tld}"
    try:
        expected: str | None = validate_email(address, check_deliverability=False).normalized.lower()
        reason = None
    except EmailNotValidError as exc:
        expected, reason = None, str(exc)
    result = normalize_email(address)
    assert (result.email, result.error) == (expected, reason)


@pytest.mark.parametrize(
    ("row", "first", "last", "email"),
    [
        ({"Contact": '"Ana Lima" <ana@x.com>'}, "Ana", "Lima", "ana@x.com"),
        ({"From": "ana@x.com (Ana Lima)"}, "Ana", "Lima", "ana@x.com"),
        ({"Sender": "LIMA, ANA <ANA@X.COM>"}, "Ana", "Lima", "ana@x.com"),
        ({"Email": "Ana Lima <Ana@X.com>"}, "Ana", "Lima", "ana@x.com"),
        ({"Name": '"Jean-Luc Picard" <jl@starfleet.fr>'}, "Jean-Luc", "Picard", "jl@starfleet.fr"),
    ],
)
def test_name_and_email_in_one_cell_are_split(row: dict[str, str], first: str, last: str, email: str) -> None:
    result = standardize_row(row)
    assert (result.fields["first_name"], result.fields["last_name"], result.fields["email"]) == (first, last, email)
    assert set(result.attributes) <= {COMPANY_INFERRED_FROM}


def test_name_and_email_cell_is_kept_when_its_email_was_not_used() -> None:
    result = standardize_row({"Email": "ana@acme.com", "Contact": "Ana Lima <ana.lima@gmail.com>"})
    assert result.fields["email"] == "ana@acme.com"
    assert (result.fields["first_name"], result.fields["last_name"]) == ("Ana", "Lima")
    assert result.attributes["Contact"] == "Ana Lima <ana.lima@gmail.com>"


def test_name_and_invalid_email_cell_keeps_the_name_and_reports_the_email() -> None:
    result = standardize_row({"Contact": '"ana lima" <bob@>'})
    assert (result.fields["first_name"], result.fields["last_name"]) == ("Ana", "Lima")
    assert result.problems == ("invalid email 'bob@' (There must be something after the @-sign.)",)
    assert result.attributes == {"Contact": '"ana lima" <bob@>'}


@pytest.mark.parametrize(
    "domain",
    [
        "gmail.com", "googlemail.com", "yahoo.com", "yahoo.co.uk", "ymail.com", "hotmail.com", "hotmail.fr",
        "outlook.com", "outlook.de", "live.com", "live.co.uk", "msn.com", "aol.com", "icloud.com", "me.com", "mac.com",
        "protonmail.com", "proton.me", "pm.me", "gmx.de", "gmx.net", "gmx.at", "web.de", "mail.ru", "yandex.ru",
        "yandex.com", "qq.com",
        "163.com", "126.com", "zoho.com", "fastmail.com", "hey.com", "tutanota.com", "uol.com.br", "orange.fr",
        "t-online.de", "libero.it", "comcast.net", "btinternet.com", "mailinator.com",
    ],
)  # fmt: skip
def test_free_mail_domains_give_no_company(domain: str) -> None:
    assert is_free_mail(domain)
    result = standardize_row({"Email": f"ana@{domain}"})
    assert "company" not in result.fields
    assert COMPANY_INFERRED_FROM not in result.attributes


@pytest.mark.parametrize(
    ("domain", "company"),
    [
        ("acme-corp.co.uk", "Acme Corp"),
        ("acme.com", "Acme"),
        ("sales.globex.com", "Globex"),
        ("lima-associados.com.br", "Lima Associados"),
        ("heide-gmbh.de", "Heide GmbH"),
        ("3m.com", "3m"),
        ("mail.initech.io", "Initech"),
    ],
)
def test_business_domain_gives_the_company_and_says_so(domain: str, company: str) -> None:
    assert company_from_domain(domain) == company
    result = standardize_row({"Email": f"ana@{domain}"})
    assert result.fields["company"] == company
    assert result.attributes[COMPANY_INFERRED_FROM] == domain


def test_a_company_column_is_never_overridden_by_the_domain() -> None:
    result = standardize_row({"Email": "ana@acme.com", "Company": "ACME Holdings Ltd"})
    assert result.fields["company"] == "ACME Holdings Ltd"
    assert COMPANY_INFERRED_FROM not in result.attributes


def test_a_bare_public_suffix_gives_no_company() -> None:
    assert company_from_domain("co.uk") is None


def test_an_invalid_domain_gives_no_company() -> None:
    result = standardize_row({"Email": "ana@heide_gmbh.de"})
    assert "company" not in result.fields
    assert result.rejected is not None
