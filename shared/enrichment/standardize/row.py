"""One raw row to the Lead's standard fields, by rules alone: what could be filled, what was kept, what was wrong.

Nothing in a row is lost. A cell either went whole into the standard fields (possibly
normalized) or stays under `attributes` with its original header; an invalid email or phone
stays there too, next to the problem that explains it. Facts the rules derived are added to
`attributes` under keys starting with "_" (the constants below), never over a column of the file.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from shared.enrichment.standardize.countries import REGIONS, country_code
from shared.enrichment.standardize.emails import company_from_domain, normalize_email, split_name_email
from shared.enrichment.standardize.headers import NAME_PARTICLE, HeaderMapping, fallbacks, map_headers
from shared.enrichment.standardize.names import case_name, is_honorific, split_full_name
from shared.enrichment.standardize.phones import PhoneResult, normalize_phone
from shared.enrichment.standardize.text import collapse, comparison_key

NO_CONTACT = "no valid email or phone: no way to contact this person"

# Attributes the rules add. The company and the country may be inferred rather than read, and
# a reviewer must be able to tell; the others keep what the standard fields have no room for.
COMPANY_INFERRED_FROM = "_company_inferred_from"  # the email domain the company name was taken from
COUNTRY_INFERRED_FROM = "_country_inferred_from"  # "phone": from the number's own country code
PHONE_EXTENSION = "_phone_extension"
NAME_PREFIX = "_name_prefix"  # "Dr.", "Mrs." taken off a full name
NAME_SUFFIX = "_name_suffix"  # "Jr.", "III", "PhD" taken off a full name


@dataclass(frozen=True)
class Standardized:
    """The rules' result for one row."""

    fields: dict[str, str]  # first_name, last_name, email, phone (E.164), company, title, country (alpha-2)
    attributes: dict[str, str]  # every other non-empty cell under its original header, plus "_" facts
    problems: tuple[str, ...]  # human-readable notes on what was wrong
    rejected: str | None  # why the row cannot become a lead (no way to contact the person), else None
    unparsed: tuple[str, ...]  # fields whose cell the rules could not parse (an LLM may try those cells)


@dataclass(frozen=True, slots=True)
class _NameCell:
    header: str
    name: str  # the name part of the cell ("" when it holds only an address)
    address: str | None = None  # the address part of a `Name <email>` cell
    in_email_column: bool = False  # then the cell is only used up if its address became the email


@dataclass(slots=True)
class _Row:
    """The state of one row while the rules run; `consumed` holds headers whose whole cell is in `fields`."""

    cells: dict[str, str]  # every non-empty cell, collapsed, in file order
    mapped: dict[str, tuple[str, str]]  # standard field -> (header, cell)
    alternates: dict[str, tuple[str, ...]]  # other headers naming email, phone or a name particle
    fields: dict[str, str] = field(default_factory=dict)
    consumed: set[str] = field(default_factory=set)
    derived: dict[str, str] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    unparsed: list[str] = field(default_factory=list)

    def other_cells(self, name: str) -> list[tuple[str, str]]:
        """Non-empty cells of unmapped headers that also name `name`, best first."""
        headers = self.alternates.get(name)
        return [(header, self.cells[header]) for header in headers if header in self.cells] if headers else []

    def fill_country(self) -> None:
        if "country" not in self.mapped:
            return
        header, value = self.mapped["country"]
        code = country_code(value)
        if code:
            self.fields["country"] = code
            self.consumed.add(header)
        else:
            self.problems.append(f"unknown country {value!r}")

    def name_cells(self) -> list[_NameCell]:
        """Cells that may hold a name, best first: the full-name column, then `Name <email>` cells."""
        found: list[_NameCell] = []
        for name in ("full_name", "name_email", "email"):
            if name not in self.mapped:
                continue
            header, value = self.mapped[name]
            bracketed = "<" in value or "(" in value or '"' in value
            has_address = "@" in value or "<" in value
            pair = split_name_email(value) if has_address and (name != "email" or bracketed) else None
            if pair is not None:
                found.append(_NameCell(header, pair[0], pair[1] or None, name == "email"))
            elif name != "email" and "@" not in value:
                found.append(_NameCell(header, value))
        return found

    def fill_email(self, name_cells: list[_NameCell]) -> None:
        """The first valid address of: the email column, `Name <email>` cells, other email columns."""
        candidates: list[tuple[str, str]] = []
        if "email" in self.mapped:
            header, value = self.mapped["email"]
            if not any(cell.header == header and cell.address for cell in name_cells):
                candidates.append((header, value))
        candidates += [(cell.header, cell.address) for cell in name_cells if cell.address is not None]
        candidates += self.other_cells("email")
        for header, text in candidates:
            result = normalize_email(text)
            if result.email:
                self.fields["email"] = result.email
                if not result.partial and self.cells[header] == text:
                    self.consumed.add(header)
                return
            self.problems.append(f"invalid email {text!r} ({result.error})")
        if candidates:
            self.unparsed.append("email")

    def fill_phone(self, default_region: str) -> PhoneResult | None:
        """The first valid number of the phone column and then the other phone columns."""
        candidates = [self.mapped["phone"]] if "phone" in self.mapped else []
        candidates += self.other_cells("phone")
        country = self.fields.get("country")
        region = country if country in REGIONS else default_region
        for header, text in candidates:
            result = normalize_phone(text, region, country is None)
            if result.e164:
                self.fields["phone"] = result.e164
                if not result.partial:
                    self.consumed.add(header)
                if result.extension:
                    self.derived[PHONE_EXTENSION] = result.extension
                return result
            self.problems.append(f"invalid phone {text!r} ({result.error})")
        if candidates:
            self.unparsed.append("phone")
        return None

    def infer_country(self, phone: PhoneResult | None) -> None:
        if "country" in self.fields:
            return
        # Only a number that carried its own country code says where the person is; the stage's
        # default region is an assumption, and a country inferred from it would be invented.
        if phone is not None and phone.explicit_country and phone.region in REGIONS:
            self.fields["country"] = phone.region
            self.derived[COUNTRY_INFERRED_FROM] = "phone"
        elif "country" in self.mapped:
            self.unparsed.append("country")

    def fill_names(self, name_cells: list[_NameCell]) -> None:
        if "first_name" in self.mapped:
            header, value = self.mapped["first_name"]
            self.fields["first_name"] = case_name(value)
            self.consumed.add(header)
        if "last_name" in self.mapped:
            header, value = self.mapped["last_name"]
            for particle, text in self.other_cells(NAME_PARTICLE)[:1]:
                # Dutch files keep "van der" in a column of its own; it belongs in front of the surname.
                value = f"{text} {value}"
                self.consumed.add(particle)
            self.fields["last_name"] = case_name(value, surname=True)
            self.consumed.add(header)
        for cell in name_cells:
            parts = split_full_name(cell.name) if cell.name else None
            if parts is not None:
                if parts.first and "first_name" not in self.fields:
                    self.fields["first_name"] = parts.first
                if parts.last and "last_name" not in self.fields:
                    self.fields["last_name"] = parts.last
            # The cell is consumed when everything it said is in the fields: its name is the
            # first and last name (in any casing), and its address is the email.
            whole = comparison_key(f"{self.fields.get('first_name', '')} {self.fields.get('last_name', '')}")
            said = comparison_key(f"{parts.first} {parts.last}") if parts is not None else ""
            name_kept = parts is None or (bool(said) and said == whole)
            address = normalize_email(cell.address).email if cell.address is not None else None
            if cell.address is None:
                address_kept = not cell.in_email_column
            else:
                address_kept = address is not None and address == self.fields.get("email")
            if name_kept and address_kept:
                self.consumed.add(cell.header)
                if parts is not None and parts.prefix:
                    self.derived.setdefault(NAME_PREFIX, parts.prefix)
                if parts is not None and parts.suffix:
                    self.derived.setdefault(NAME_SUFFIX, parts.suffix)

    def fill_title_and_company(self) -> None:
        if "title" in self.mapped:
            header, value = self.mapped["title"]
            # Outlook's "Title" column is the honorific ("Mr."), not the job: that stays an attribute.
            if not is_honorific(value):
                self.fields["title"] = value
                self.consumed.add(header)
        if "company" in self.mapped:
            header, value = self.mapped["company"]
            self.fields["company"] = value
            self.consumed.add(header)
        elif "email" in self.fields:
            domain = self.fields["email"].rpartition("@")[2]
            company = company_from_domain(domain)
            if company:
                self.fields["company"] = company
                self.derived[COMPANY_INFERRED_FROM] = domain

    def result(self) -> Standardized:
        rejected = None
        if "email" not in self.fields and "phone" not in self.fields:
            why = [problem for problem in self.problems if problem.startswith(("invalid email", "invalid phone"))]
            rejected = NO_CONTACT + (f" ({'; '.join(why)})" if why else "")
        attributes = {header: value for header, value in self.cells.items() if header not in self.consumed}
        for key, value in self.derived.items():
            attributes.setdefault(key, value)  # a column of the file with the same name wins
        return Standardized(self.fields, attributes, tuple(self.problems), rejected, tuple(self.unparsed))


def standardize_row(
    values: Mapping[str, str], *, default_region: str = "US", mapping: HeaderMapping | None = None
) -> Standardized:
    """Standardize one row of `header -> cell` by rules; `default_region` is the stage's phone region."""
    if mapping is None:
        mapping = map_headers(tuple(values))
    cells: dict[str, str] = {}
    mapped: dict[str, tuple[str, str]] = {}
    for header, raw in values.items():
        if not raw:
            continue
        value = collapse(raw if isinstance(raw, str) else str(raw))
        if value:
            cells[header] = value
            name = mapping.fields.get(header)
            if name is not None:
                mapped[name] = (header, value)
    row = _Row(cells, mapped, fallbacks(mapping.unmapped))
    # Country first: it is the region that numbers without a country code are read in.
    row.fill_country()
    name_cells = row.name_cells()
    row.fill_email(name_cells)
    row.infer_country(row.fill_phone(default_region))
    row.fill_names(name_cells)
    row.fill_title_and_company()
    return row.result()


def dedupe_key(fields: Mapping[str, str]) -> str | None:
    """The key duplicates share: the normalized email, else the E.164 phone, else name and company.

    A name alone is no key: two "John Smith" rows without a company are as likely two people,
    and merging them would mix their data. So the name key needs the company too.
    """
    email = collapse(fields.get("email") or "").lower()
    if email:
        return email
    phone = "".join((fields.get("phone") or "").split())
    if phone:
        return phone
    name = comparison_key(f"{fields.get('first_name') or ''} {fields.get('last_name') or ''}")
    company = comparison_key(fields.get("company") or "")
    if name and company:
        return f"name:{name}|{company}"
    return None
