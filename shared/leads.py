"""From a raw row to a stored Lead, with light normalization.

Full standardization (phone to E.164, name casing, column layouts of many tools) is the
enrichment domain's next step; here a header is matched by its plain name, values are trimmed,
the email is lower-cased, and a row with no way to reach the person is rejected with its reason.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from shared.models import Lead

_FIELDS: dict[str, tuple[str, ...]] = {
    "email": ("email", "e-mail", "email address", "e-mail address", "mail", "email 1", "sender"),
    "phone": ("phone", "phone number", "phone #", "telephone", "tel", "mobile", "mobile phone", "cell"),
    "first_name": ("first name", "first", "firstname", "given name", "forename"),
    "last_name": ("last name", "last", "lastname", "surname", "family name"),
    "company": ("company", "company name", "organisation", "organization", "account", "account name"),
    "title": ("title", "job title", "position", "role"),
    "country": ("country", "country code"),
}
_HEADER_TO_FIELD = {alias: name for name, aliases in _FIELDS.items() for alias in aliases}
_FULL_NAME = {"name", "full name", "contact name", "contact"}
_SPACES = re.compile(r"\s+")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def _key(header: str) -> str:
    return _SPACES.sub(" ", header.replace("_", " ").strip().lower())


class RowRejected(ValueError):
    """The row cannot become a lead; the message says why."""


def lead_from_row(
    values: Mapping[str, str],
    *,
    job_id: str | None,
    worksheet: str | None,
    row: int,
    source: str,
    file: str | None,
    id_seed: str | None = None,
) -> Lead:
    """`id_seed` names where the row came from when there is no job (a phone call)."""
    fields: dict[str, str] = {}
    attributes: dict[str, str] = {}
    full_name: str | None = None
    for header, raw in values.items():
        value = _SPACES.sub(" ", raw).strip()
        if not value:
            continue
        key = _key(header)
        target = _HEADER_TO_FIELD.get(key)
        if target and target not in fields:
            fields[target] = value
        elif key in _FULL_NAME and full_name is None:
            full_name = value
        else:
            attributes[header] = value
    if full_name and "first_name" not in fields and "last_name" not in fields:
        first, _, last = full_name.partition(" ")
        fields["first_name"] = first
        if last:
            fields["last_name"] = last
    elif full_name:
        attributes["Full Name"] = full_name
    if "email" in fields:
        fields["email"] = fields["email"].lower()
        if not _EMAIL.match(fields["email"]):
            raise RowRejected(f"invalid email address {fields['email']!r}")
    if "email" not in fields and "phone" not in fields:
        raise RowRejected("no email or phone: there is no way to contact this person")
    return Lead.model_validate(
        {
            **fields,
            "lead_id": Lead.id_for(id_seed or job_id or "", worksheet, row),
            "job_id": job_id,
            "_worksheet": worksheet,
            "row": row,
            "source": source,
            "file": file,
            "attributes": attributes,
        }
    )
