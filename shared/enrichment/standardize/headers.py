"""Column headers of lead files, from whatever tool exported them, mapped onto the Lead's standard fields.

A header is reduced to tokens (accents folded, camelCase and punctuation split, "e-mail" made
"email", numbering such as "Email 2" or "E-mail 1 - Value" set aside, question words such as
"What's your" dropped, known multi-word terms such as "first name" or "nombre completo" joined,
"Person - " style prefixes dropped). Then one token must be a core word of a field ("email",
"telefon", "empresa") and every other token a qualifier that field accepts ("work", "number",
"address"). A token the field does not know means "not this field": "Email Opt Out", "Phone
Type", "Company Size", "Title of campaign", "First Seen" and "Last Activity Date" stay attributes.

When several headers match one field, the strong match beats the weak one ("Job Title" beats
Outlook's honorific "Title"), the first number beats the second ("Email 1" over "Email 2"), the
plain or work variant beats mobile, main-line and home ones, and then the leftmost wins. The
losers are kept under attributes; `standardize_row` falls back to them when the winner is empty.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import NamedTuple

from shared.enrichment.standardize.text import fold, words

# Below this the layout is uncertain enough that the caller may ask an LLM about it.
CONFIDENT = 0.6

FIELD_NAMES = ("first_name", "last_name", "full_name", "name_email", "email", "phone", "company", "title", "country")
# Internal: a Dutch "tussenvoegsel" column ("van der") belongs in front of the surname.
NAME_PARTICLE = "name_particle"

_STRONG = 1.0
# Below this strength a word often means something else ("Title" may be "Mr.", "Contact" a whole address).
_WEAK = 0.85

# Ranks among headers of one field: lower wins.
_PLAIN, _WORK, _MOBILE, _MAIN_LINE, _OTHER = 0, 1, 2, 3, 4


@dataclass(frozen=True)
class HeaderMapping:
    """How one header layout maps onto the Lead. Shared by every row of the layout: treat as read-only."""

    fields: dict[str, str]  # source header -> standard field name (FIELD_NAMES)
    unmapped: tuple[str, ...]  # headers kept under attributes
    confidence: float  # 0..1; below CONFIDENT the caller may ask an LLM about the layout


class HeaderMatch(NamedTuple):
    field: str
    strength: float  # how sure the header names this field: 1.0, less for words that often mean something else
    rank: int  # _PLAIN .. _OTHER
    number: int  # 1 for "Email", "Email 1"; 2 for "Email 2"
    generic_name: bool = False  # "Name", "Nom", "Nombre", "Nome", "Naam": full, first or last name by context


# --- normalization -----------------------------------------------------------------------------------

_CAMEL = re.compile(r"(?<=[a-z])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])|(?<=[A-Za-z])(?=\d)|(?<=\d)(?=[A-Za-z])")
_E_MAIL = re.compile(r"\be[\s_\-]*mail")
_PARENS = re.compile(r"\([^)]*\)")
_NOT_ALNUM = re.compile(r"[^0-9a-z]+")

# Dropped anywhere: question words of form builders and the small words of "Nombre de la empresa".
_STOPWORDS = words(
    """
    what whats s is are your you please enter the a an and of which for do does to who our we at in my
    based located currently
    de del la le les l d da do das dos du di della dello der des het van y e et und en
    """
)
# Dropped at the start when more follows: "Person - Email", "Contact Owner" -> "owner" (an attribute).
_PREFIXES = words(
    "person contact lead customer client attendee participant prospect member subscriber user buyer registrant"
)
# Two-word terms joined before matching.
_COMPOUNDS: dict[tuple[str, ...], str] = {
    ("first", "name"): "firstname", ("given", "name"): "givenname", ("fore", "name"): "forename",
    ("middle", "name"): "middlename", ("last", "name"): "lastname", ("family", "name"): "familyname",
    ("full", "name"): "fullname", ("display", "name"): "displayname", ("job", "title"): "jobtitle",
    ("country", "region"): "country", ("land", "region"): "land", ("reply", "to"): "replyto",
    ("name", "email"): "nameemail", ("correo", "electronico"): "email", ("posta", "elettronica"): "email",
    ("adresse", "electronique"): "email", ("primeiro", "nome"): "firstname", ("ultimo", "nome"): "lastname",
    ("nom", "complet"): "fullname", ("nombre", "completo"): "fullname", ("nome", "completo"): "fullname",
    ("volledige", "naam"): "fullname", ("vollstandiger", "name"): "fullname", ("nome", "cognome"): "fullname",
    ("nombre", "apellidos"): "fullname", ("nombre", "apellido"): "fullname", ("prenom", "nom"): "fullname",
    ("vorname", "nachname"): "fullname", ("voornaam", "achternaam"): "fullname", ("first", "last", "name"): "fullname",
    ("name", "surname"): "fullname", ("ragione", "sociale"): "company", ("raison", "sociale"): "company",
    ("razon", "social"): "company", ("razao", "social"): "company", ("job", "function"): "jobtitle",
    ("job", "position"): "jobtitle", ("contact", "number"): "phone", ("emailadresse",): "email",
    ("emailadres",): "email", ("mailadres",): "email", ("phonenumber",): "phone", ("telefonnummer",): "phone",
    ("telefoonnummer",): "phone", ("mobilenumber",): "mobile", ("mobilnummer",): "mobile",
    ("handynummer",): "mobile", ("mobiltelefon",): "mobile", ("cellphone",): "cell", ("firmenname",): "company",
    ("bedrijfsnaam",): "company", ("companyname",): "company", ("accountname",): "company",
    ("account", "name"): "company",
    ("organization", "title"): "jobtitle", ("organisation", "title"): "jobtitle", ("company", "title"): "jobtitle",
    ("titre", "poste"): "jobtitle", ("intitule", "poste"): "jobtitle",
    ("firstname",): "firstname", ("lastname",): "lastname", ("fullname",): "fullname", ("jobtitle",): "jobtitle",
}  # fmt: skip
_LONGEST_COMPOUND = max(len(key) for key in _COMPOUNDS)


# --- the vocabulary --------------------------------------------------------------------------------------


class _Core(NamedTuple):
    field: str
    strength: float
    rank: int = _PLAIN
    generic_name: bool = False


def _cores(field: str, vocabulary: str, strength: float = _STRONG, rank: int = _PLAIN) -> dict[str, _Core]:
    return {word: _Core(field, strength, rank) for word in words(vocabulary)}


# The word that names a field; `strength` below 1 marks words that often mean something else.
_CORE: dict[str, _Core] = {
    **_cores("email", "email courriel correo"),
    **_cores("email", "mail", 0.8),
    **_cores("phone", "phone telephone tel telefon telefono telefone telefoon fone"),
    **_cores("phone", "mobile mobil mobiel movil cell cellular celular cellulare handy portable gsm", rank=_MOBILE),
    **_cores("first_name", "firstname givenname forename vorname prenom voornaam"),
    **_cores("first_name", "first", 0.9),
    **_cores("last_name", "lastname familyname surname nachname familienname apellido apellidos sobrenome"),
    **_cores("last_name", "cognome achternaam"),
    **_cores("last_name", "last", 0.9),
    **_cores("full_name", "fullname"),
    **_cores("full_name", "displayname fn", 0.6),
    **_cores("full_name", "contact", 0.5),
    **{word: _Core("full_name", 0.9, _PLAIN, True) for word in words("name nom nombre nome naam")},
    **_cores("name_email", "nameemail"),
    **_cores("name_email", "from sender replyto", 0.8),
    **_cores("company", "company organisation organization employer firma unternehmen societe entreprise"),
    **_cores("company", "empresa azienda societa bedrijf organisatie organizacion organizacao organizzazione"),
    **_cores("company", "compania companhia ditta"),
    **_cores("company", "org institution", 0.8),
    **_cores("company", "account", 0.7),
    **_cores("title", "jobtitle"),
    **_cores("title", "position designation funktion fonction cargo puesto ruolo qualifica functie", 0.9),
    **_cores("title", "berufsbezeichnung jobbezeichnung stellenbezeichnung", 0.9),
    **_cores("title", "role occupation", 0.8),
    **_cores("title", "title poste", 0.7),
    **_cores("country", "country pays pais paese nazione"),
    **_cores("country", "land", 0.8),
    **_cores(NAME_PARTICLE, "tussenvoegsel tussenvoegsels"),
}


def _qualifiers(ranks: dict[int, str]) -> dict[str, int]:
    return {word: rank for rank, vocabulary in ranks.items() for word in words(vocabulary)}


_WORK_WORDS = (
    "work business office professional direct geschaftlich beruflich travail professionnel trabajo lavoro werk zakelijk"
)
_HOME_WORDS = "home personal private privat other secondary alternate alternative additional personnel casa prive"

# Words allowed next to a field's core word, with the rank they give the header.
_QUALIFIERS: dict[str, dict[str, int]] = {
    "email": _qualifiers(
        {
            _PLAIN: "address adresse adres direccion endereco indirizzo value primary main preferred",
            _WORK: _WORK_WORDS,
            _OTHER: _HOME_WORDS + " billing",
        }
    ),
    "phone": _qualifiers(
        {
            _PLAIN: "number nummer numero no nr num value primary preferred first",
            _WORK: _WORK_WORDS,
            _MOBILE: "mobile mobil mobiel movil cell cellular celular cellulare portable handy gsm",
            _MAIN_LINE: "main company general switchboard zentrale",
            _OTHER: _HOME_WORDS + " fixe fijo fisso festnetz vast landline",
        }
    ),
    "first_name": {},
    "last_name": {},
    "full_name": _qualifiers({_PLAIN: "complete completo complet value"}),
    "name_email": _qualifiers({_PLAIN: "address"}),
    "company": _qualifiers({_PLAIN: "name nombre nom nome naam account current value", _WORK: "work"}),
    "title": _qualifiers({_PLAIN: "current value intitule job", _WORK: "business work professional"}),
    "country": _qualifiers(
        {
            _PLAIN: "region code iso name value",
            _WORK: _WORK_WORDS + " mailing",
            _MAIN_LINE: "billing address adresse",
            _OTHER: _HOME_WORDS + " shipping residence",
        }
    ),
    NAME_PARTICLE: {},
}

# Words of headers we recognize as "not a standard field" (dates, owners, addresses, consent):
# a layout whose other columns are all of this kind is understood even with few fields mapped.
_KNOWN_OTHER = words(
    """
    id uuid key record date time timestamp created modified updated submitted owner source status stage type
    label notes note description comments comment address street city state province region zip postal code
    postcode plz ort ville ciudad cidade citta plaats website url web page linkedin twitter facebook industry
    revenue employees size tags tag opt out consent subscribed unsubscribed rating score lifecycle birthday
    gender fax salutation suffix prefix middlename nickname department campaign medium utm ip latitude longitude
    timezone language deal deals activity activities count visible seen last first order ticket quantity
    paid barcode group anrede civilite tratamiento saudacao titolo aanhef strasse rue calle rua via straat
    """
)


@lru_cache(maxsize=8192)
def header_tokens(header: str) -> tuple[tuple[str, ...], int]:
    """The header's tokens after normalization, and its number (1 when it has none)."""
    text = _CAMEL.sub(" ", header)
    text = fold(text)
    text = _E_MAIL.sub("email", text)
    without_parens = _PARENS.sub(" ", text)
    if _NOT_ALNUM.sub("", without_parens):
        text = without_parens
    raw = _NOT_ALNUM.sub(" ", text).split()
    number = next((int(token) for token in raw if token.isdigit()), 1)
    tokens = _join_compounds([token for token in raw if not token.isdigit() and token not in _STOPWORDS])
    while len(tokens) > 1 and tokens[0] in _PREFIXES:
        tokens.pop(0)
    return tuple(tokens), number


def _join_compounds(tokens: list[str]) -> list[str]:
    joined: list[str] = []
    index = 0
    while index < len(tokens):
        for size in range(min(_LONGEST_COMPOUND, len(tokens) - index), 0, -1):
            compound = _COMPOUNDS.get(tuple(tokens[index : index + size]))
            if compound:
                joined.append(compound)
                index += size
                break
        else:
            joined.append(tokens[index])
            index += 1
    return joined


@lru_cache(maxsize=8192)
def classify_header(header: str) -> HeaderMatch | None:
    """The field one header names on its own, or None when it names none (an attribute)."""
    tokens, number = header_tokens(header)
    best: HeaderMatch | None = None
    for position, token in enumerate(tokens):
        core = _CORE.get(token)
        if core is None:
            continue
        allowed = _QUALIFIERS[core.field]
        others = tokens[:position] + tokens[position + 1 :]
        if not all(other in allowed for other in others):
            continue
        rank = max([core.rank, *(allowed[other] for other in others)])
        match = HeaderMatch(core.field, core.strength, rank, number, core.generic_name)
        if best is None or match.strength > best.strength:
            best = match
    return best


def _is_understood(header: str) -> bool:
    """An unmapped header we know: one that lost to a better column of its field, or a known non-field."""
    tokens, _ = header_tokens(header)
    return not tokens or any(token in _KNOWN_OTHER for token in tokens) or classify_header(header) is not None


def preference(match: HeaderMatch, position: int) -> tuple[bool, int, int, float, int]:
    """Sort key among headers naming one field: strong before weak, first number, plain rank, leftmost."""
    return (match.strength < _WEAK, match.number, match.rank, -match.strength, position)


@lru_cache(maxsize=1024)
def _map_layout(headers: tuple[str, ...]) -> HeaderMapping:
    matches = {header: classify_header(header) for header in headers}
    fields_present = {match.field for match in matches.values() if match and not match.generic_name}
    candidates: dict[str, list[tuple[tuple[bool, int, int, float, int], str, HeaderMatch]]] = {}
    for position, header in enumerate(headers):
        match = matches[header]
        if match is None or match.field == NAME_PARTICLE:
            continue
        if match.generic_name:
            # "Vorname; Name" and "Prénom; Nom": Name is the surname. "Nombre; Apellidos" and
            # "Nome; Cognome": the first name. Alone, or with both, it is the full name.
            if "first_name" in fields_present and "last_name" not in fields_present:
                match = match._replace(field="last_name")
            elif "last_name" in fields_present and "first_name" not in fields_present:
                match = match._replace(field="first_name")
        candidates.setdefault(match.field, []).append((preference(match, position), header, match))

    fields: dict[str, str] = {}
    strength: dict[str, float] = {}
    ambiguous: set[str] = set()
    for field, found in candidates.items():
        found.sort()
        fields[found[0][1]] = field
        strength[field] = found[0][2].strength
        if len(found) > 1 and found[0][0][:4] == found[1][0][:4]:
            ambiguous.add(field)
    unmapped = tuple(header for header in headers if header not in fields)
    return HeaderMapping(fields, unmapped, _confidence(headers, unmapped, strength, ambiguous))


def _confidence(
    headers: Sequence[str], unmapped: Sequence[str], strength: dict[str, float], ambiguous: set[str]
) -> float:
    """High when a way to reach the person and a name map unambiguously and the other columns are understood."""
    if not strength:
        return 0.0
    contact = max(strength.get("email", 0.0), strength.get("phone", 0.0), strength.get("name_email", 0.0))
    name = max(
        strength.get("full_name", 0.0),
        strength.get("name_email", 0.0),
        min(strength.get("first_name", 0.0), strength.get("last_name", 0.0)),
        0.7 * max(strength.get("first_name", 0.0), strength.get("last_name", 0.0)),
    )
    if contact == 0.0:
        return round(0.3 * name, 3)
    understood = (len(headers) - len(unmapped) + sum(1 for header in unmapped if _is_understood(header))) / len(headers)
    penalty = 0.1 * len(ambiguous & {"email", "phone", "name_email", "full_name", "first_name", "last_name"})
    return round(max(0.0, min(1.0, 0.45 * contact + 0.3 * name + 0.25 * understood - penalty)), 3)


def map_headers(headers: Sequence[str]) -> HeaderMapping:
    """Map a header row onto the Lead's fields; cached per distinct layout."""
    return _map_layout(tuple(headers))


@lru_cache(maxsize=1024)
def fallbacks(unmapped: tuple[str, ...]) -> dict[str, tuple[str, ...]]:
    """Unmapped headers that also name a field, best first: where a row's empty or invalid email or phone may be."""
    found: dict[str, list[tuple[tuple[bool, int, int, float, int], str]]] = {}
    for position, header in enumerate(unmapped):
        match = classify_header(header)
        if match is not None and match.strength >= _WEAK and match.field in {"email", "phone", NAME_PARTICLE}:
            found.setdefault(match.field, []).append((preference(match, position), header))
    return {field: tuple(header for _, header in sorted(items)) for field, items in found.items()}
