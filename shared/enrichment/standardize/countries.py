"""Country values to ISO 3166-1 alpha-2: codes, English and native names, and the informal spellings people type.

The region list comes from phonenumbers (every region it can parse numbers for). Country names in
English, German, French, Spanish, Portuguese, Italian and Dutch come from phonenumbers' locale
data, frozen into `country_names.py` by `python -m shared.enrichment.standardize.countries`: importing that
locale data at run time costs about 100 MB and 0.3 s, too much for a Lambda cold start.

The layer and the dev environment hold phonenumberslite, which has no locale data. To regenerate, put the
full build of the same release first on the path:
`pip install --no-deps -t build/pn-full phonenumbers==<version>` then
`PYTHONPATH=build/pn-full:. python -m shared.enrichment.standardize.countries`.
"""

from __future__ import annotations

import re
from functools import lru_cache

import phonenumbers

from shared.enrichment.standardize.country_names import COUNTRY_NAMES
from shared.enrichment.standardize.text import comparison_key

REGIONS: frozenset[str] = frozenset(phonenumbers.SUPPORTED_REGIONS)

# The languages whose country names `country_names.py` holds.
NAME_LANGUAGES = ("en", "de", "fr", "es", "pt", "it", "nl")

# ISO alpha-3 codes of the countries leads usually come from; a full alpha-3 table would be a
# dependency of its own, and a three-letter value we do not know is reported, not guessed.
_ALPHA3 = {
    "USA": "US", "CAN": "CA", "MEX": "MX", "GBR": "GB", "IRL": "IE", "DEU": "DE", "FRA": "FR", "ESP": "ES",
    "PRT": "PT", "ITA": "IT", "NLD": "NL", "BEL": "BE", "LUX": "LU", "CHE": "CH", "AUT": "AT", "DNK": "DK",
    "SWE": "SE", "NOR": "NO", "FIN": "FI", "ISL": "IS", "POL": "PL", "CZE": "CZ", "SVK": "SK", "HUN": "HU",
    "ROU": "RO", "BGR": "BG", "GRC": "GR", "TUR": "TR", "RUS": "RU", "UKR": "UA", "HRV": "HR", "SVN": "SI",
    "SRB": "RS", "EST": "EE", "LVA": "LV", "LTU": "LT", "CYP": "CY", "MLT": "MT", "ISR": "IL", "ARE": "AE",
    "SAU": "SA", "QAT": "QA", "KWT": "KW", "EGY": "EG", "ZAF": "ZA", "NGA": "NG", "KEN": "KE", "MAR": "MA",
    "IND": "IN", "PAK": "PK", "BGD": "BD", "LKA": "LK", "CHN": "CN", "HKG": "HK", "TWN": "TW", "JPN": "JP",
    "KOR": "KR", "SGP": "SG", "MYS": "MY", "IDN": "ID", "PHL": "PH", "THA": "TH", "VNM": "VN", "AUS": "AU",
    "NZL": "NZ", "BRA": "BR", "ARG": "AR", "CHL": "CL", "COL": "CO", "PER": "PE", "URY": "UY", "VEN": "VE",
    "ECU": "EC", "CRI": "CR", "PAN": "PA", "DOM": "DO", "PRI": "PR", "GTM": "GT",
}  # fmt: skip

# Informal, historic and native spellings that the locale data does not hold (keys as comparison_key makes them).
_ALIASES = {
    "uk": "GB", "u k": "GB", "great britain": "GB", "britain": "GB", "england": "GB", "scotland": "GB",
    "wales": "GB", "northern ireland": "GB", "united kingdom of great britain and northern ireland": "GB",
    "us": "US", "u s": "US", "usa": "US", "u s a": "US", "america": "US", "united states of america": "US",
    "holland": "NL", "korea": "KR", "republic of korea": "KR", "korea republic of": "KR", "russian federation": "RU",
    "czechia": "CZ", "ivory coast": "CI", "uae": "AE", "emirates": "AE", "viet nam": "VN", "turkiye": "TR",
    "burma": "MM", "eswatini": "SZ", "north macedonia": "MK", "kosovo": "XK", "cabo verde": "CV",
    "macau": "MO", "vatican city": "VA", "holy see": "VA", "dr congo": "CD", "drc": "CD", "eire": "IE",
    "sverige": "SE", "norge": "NO", "danmark": "DK", "suomi": "FI", "polska": "PL", "cesko": "CZ",
    "ceska republika": "CZ", "magyarorszag": "HU", "hrvatska": "HR", "slovensko": "SK", "slovenija": "SI",
    "eesti": "EE", "latvija": "LV", "lietuva": "LT", "ellada": "GR", "nippon": "JP", "nihon": "JP",
    "zhongguo": "CN", "bharat": "IN", "rossiya": "RU", "ukraina": "UA", "schweiz": "CH", "suisse": "CH",
    "svizzera": "CH", "osterreich": "AT", "belgie": "BE", "belgique": "BE", "mexico": "MX",
}  # fmt: skip

_CALLING_CODE = re.compile(r"\+\s*(\d{1,3})")


@lru_cache(maxsize=4096)
def country_code(value: str) -> str | None:
    """ISO alpha-2 for a country cell ("de", "DEU", "Germany", "Deutschland", "U.S.", "+49"), or None if unknown."""
    key = comparison_key(value)
    if key.startswith("the "):
        key = key[4:]
    if len(key) == 2 and key.upper() in REGIONS:
        return key.upper()
    found = _ALIASES.get(key) or COUNTRY_NAMES.get(key)
    if found:
        return found
    if len(key) == 3 and key.upper() in _ALPHA3:
        return _ALPHA3[key.upper()]
    # A dialling code in the country column ("+49") names the country that owns it.
    calling = _CALLING_CODE.fullmatch(value.strip())
    if calling:
        region = phonenumbers.region_code_for_country_code(int(calling.group(1)))
        if region in REGIONS:
            return region
    return None


def build_name_table() -> dict[str, str]:
    """The comparison_key -> alpha-2 table of `country_names.py`, from phonenumbers' locale data.

    A name that means two different regions in two languages is left out rather than guessed.
    """
    import importlib

    # 100 MB, only when regenerating, and only in the full phonenumbers build (phonenumberslite, which
    # the environment holds, has no geodata): imported by name so type checking does not need it.
    locale_module = importlib.import_module("phonenumbers.geodata.locale")
    LOCALE_DATA: dict[str, dict[str, str]] = locale_module.LOCALE_DATA

    def name_in(region: str, language: str) -> str | None:
        names = LOCALE_DATA.get(region, {})
        found = names.get(language)
        while found and found.startswith("*"):  # "*en" means "same as the English name"
            found = names.get(found[1:])
        return found

    seen: dict[str, set[str]] = {}
    for region in sorted(REGIONS):
        for language in NAME_LANGUAGES:
            name = name_in(region, language)
            if not name:
                continue
            # "Mianmar [Birmânia]" and "Hong Kong, Região Admin. Especial da China" also go by their short form.
            variants = {name, re.sub(r"\s*\[.*?\]", "", name), name.split(",")[0], name.split(" [")[0]}
            for variant in variants:
                key = comparison_key(variant)
                if key.startswith("the "):
                    key = key[4:]
                if key and len(key) > 3:
                    seen.setdefault(key, set()).add(region)
    return {key: next(iter(regions)) for key, regions in sorted(seen.items()) if len(regions) == 1}


def _write_name_table() -> None:
    from pathlib import Path

    table = build_name_table()
    lines = [
        '"""Country names (English, German, French, Spanish, Portuguese, Italian, Dutch) -> ISO alpha-2.',
        "",
        "Generated from phonenumbers' locale data by `python -m shared.enrichment.standardize.countries`; do not edit.",
        'Keys are `comparison_key(name)`: folded, punctuation as spaces, without a leading "the".',
        '"""',
        "",
        "COUNTRY_NAMES: dict[str, str] = {",
        *(f"    {key!r}: {region!r}," for key, region in table.items()),
        "}",
        "",
    ]
    Path(__file__).with_name("country_names.py").write_text("\n".join(lines), encoding="utf-8")


if __name__ == "__main__":
    _write_name_table()
