"""Header layouts from the export formats of real tools (the `corpus` folder beside this file), and the header rules."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from shared.enrichment.standardize import CONFIDENT, map_headers, standardize_row
from shared.enrichment.standardize.headers import classify_header

CORPUS = Path(__file__).parent / "corpus"
LAYOUTS = sorted(CORPUS.glob("*.json"))


def _load(path: Path) -> dict[str, Any]:
    layout: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return layout


def test_corpus_covers_the_tools_leads_are_exported_from() -> None:
    tools = {_load(path)["tool"] for path in LAYOUTS}
    for tool in (
        "Salesforce", "HubSpot", "Zoho CRM", "Pipedrive", "Microsoft Dynamics 365 Sales", "Mailchimp",
        "ActiveCampaign", "Adobe Marketo Engage", "LinkedIn", "Google Contacts", "Microsoft Outlook",
        "Mozilla Thunderbird", "Excel / Google Sheets", "Eventbrite", "Typeform", "Google Forms",
        "German lead template", "French lead template", "Spanish lead template",
        "Portuguese (Brazil) lead template", "Italian lead template", "Dutch lead template",
    ):  # fmt: skip
        assert tool in tools


@pytest.mark.parametrize("path", LAYOUTS, ids=lambda path: path.stem)
def test_layout_maps_exactly_its_key_fields(path: Path) -> None:
    layout = _load(path)
    mapping = map_headers(layout["headers"])
    assert {field: header for header, field in mapping.fields.items()} == layout["expected"]
    assert set(mapping.unmapped) == set(layout["headers"]) - set(layout["expected"].values())
    assert mapping.confidence >= CONFIDENT


@pytest.mark.parametrize("path", [path for path in LAYOUTS if "sample" in _load(path)], ids=lambda path: path.stem)
def test_layout_sample_row_standardizes(path: Path) -> None:
    layout = _load(path)
    row = {header: "" for header in layout["headers"]} | layout["sample"]
    result = standardize_row(row)
    assert result.fields == layout["sample_fields"]
    assert (result.rejected is not None) == layout.get("sample_rejected", False)


@pytest.mark.parametrize(
    ("header", "field"),
    [
        ("E-mail Address", "email"), ("Email 1", "email"), ("Email Address", "email"), ("EMAIL_ADDRESS", "email"),
        ("emailAddress", "email"), ("  Email    Address ", "email"), ("e_mail", "email"), ("Phone #", "phone"),
        ("Mobile", "phone"), ("Mobile Phone", "phone"), ("Business Phone", "phone"), ("phoneNumber", "phone"),
        ("First", "first_name"), ("First Name", "first_name"), ("first_name", "first_name"),
        ("Given name", "first_name"),
        ("Surname", "last_name"), ("Last Name", "last_name"), ("LastName", "last_name"), ("Full Name", "full_name"),
        ("Name", "full_name"), ("Contact", "full_name"), ("Company Name", "company"), ("Organisation", "company"),
        ("Organization", "company"), ("Account Name", "company"), ("Job Title", "title"), ("Position", "title"),
        ("Country", "country"), ("Country/Region", "country"), ("From", "name_email"),
        # German, French, Spanish, Portuguese, Italian, Dutch
        ("Vorname", "first_name"), ("Nachname", "last_name"), ("E-Mail", "email"), ("Telefon", "phone"),
        ("Firma", "company"), ("Prénom", "first_name"), ("PRENOM", "first_name"), ("Courriel", "email"),
        ("Téléphone", "phone"), ("Société", "company"), ("Entreprise", "company"), ("Apellido(s)", "last_name"),
        ("Correo electrónico", "email"), ("Teléfono", "phone"), ("Empresa", "company"), ("Sobrenome", "last_name"),
        ("Cognome", "last_name"), ("Azienda", "company"), ("Voornaam", "first_name"), ("Achternaam", "last_name"),
        ("Bedrijf", "company"), ("Land", "country"), ("País", "country"), ("Pays", "country"),
        ("Nombre completo", "full_name"), ("Nome e cognome", "full_name"), ("Numéro de téléphone", "phone"),
        ("Nombre de la empresa", "company"), ("E-mailadres", "email"), ("Telefonnummer", "phone"),
    ],
)  # fmt: skip
def test_header_names_field(header: str, field: str) -> None:
    match = classify_header(header)
    assert match is not None
    assert match.field == field


@pytest.mark.parametrize(
    "header",
    [
        "Email Opt Out", "Phone Type", "Company Size", "Title of campaign", "Last Activity Date", "First Seen",
        "E-mail 1 - Type", "E-mail Display Name", "Email Domain", "Email Status", "HasOptedOutOfEmail", "DoNotCall",
        "Contact owner", "Lead Source", "Assistant's Phone", "Business Fax", "Phonetic First Name", "Given Name Yomi",
        "Company Name for Emails", "Last Contacted", "Name Prefix", "Organization 1 - Department", "Account Owner",
        "Record ID", "Address", "#", "", "Phone Extension", "Country Code of Phone",
    ],
)  # fmt: skip
def test_header_that_only_looks_like_a_field_is_an_attribute(header: str) -> None:
    assert classify_header(header) is None
    assert map_headers(["Email", header] if header != "Email" else [header]).unmapped[-1:] == (header,)


def test_first_number_wins_and_the_second_is_kept() -> None:
    for headers in (["Email 1", "Email 2"], ["Email 2", "Email 1"], ["E-mail 2 Address", "E-mail Address"]):
        mapping = map_headers(headers)
        assert mapping.fields == {headers[0] if "2" not in headers[0] else headers[1]: "email"}
        assert len(mapping.unmapped) == 1


def test_work_phone_beats_mobile_which_beats_main_line_and_home() -> None:
    headers = ["Home Phone", "Company Main Phone", "Mobile Phone", "Business Phone"]
    assert map_headers(headers).fields == {"Business Phone": "phone"}
    assert map_headers(headers[:3]).fields == {"Mobile Phone": "phone"}
    assert map_headers(headers[:2]).fields == {"Company Main Phone": "phone"}


def test_job_title_beats_outlooks_honorific_title() -> None:
    assert map_headers(["Title", "First Name", "Job Title"]).fields == {
        "First Name": "first_name",
        "Job Title": "title",
    }
    assert map_headers(["Title", "First Name"]).fields == {"Title": "title", "First Name": "first_name"}


@pytest.mark.parametrize(
    ("headers", "field"),
    [
        (["Vorname", "Name"], "last_name"),
        (["Prénom", "Nom"], "last_name"),
        (["Voornaam", "Naam"], "last_name"),
        (["Apellidos", "Nombre"], "first_name"),
        (["Cognome", "Nome"], "first_name"),
        (["Sobrenome", "Nome"], "first_name"),
        (["Email", "Name"], "full_name"),
        (["First Name", "Last Name", "Name"], "full_name"),
    ],
)
def test_a_plain_name_column_means_what_the_other_name_columns_leave(headers: list[str], field: str) -> None:
    assert map_headers(headers).fields[headers[-1]] == field


def test_confidence_is_high_for_contact_and_name_and_low_for_unknown_layouts() -> None:
    assert map_headers([]).confidence == 0.0
    assert map_headers(["foo", "bar"]).confidence == 0.0
    assert map_headers(["Contact", "Notes"]).confidence < CONFIDENT
    assert map_headers(["Email", "Xyzzy", "Plugh", "Frobozz"]).confidence < CONFIDENT
    assert map_headers(["Email"]).confidence >= CONFIDENT
    assert map_headers(["Email", "First Name", "Last Name", "Created Date"]).confidence == 1.0
    # Two headers equally good for the email: the rules pick the first, but are less sure.
    assert map_headers(["Email", "E-mail", "Name"]).confidence < map_headers(["Email", "Name"]).confidence
    assert map_headers(["Email 1", "Email 2", "Name"]).confidence == map_headers(["Email", "Name"]).confidence


def test_mapping_is_cached_per_layout() -> None:
    assert map_headers(["Email", "Whatever"]) is map_headers(("Email", "Whatever"))
    assert map_headers(["Email", "Whatever"]) is not map_headers(["Whatever", "Email"])
