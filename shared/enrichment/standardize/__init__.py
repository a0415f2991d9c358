"""Rules-first standardization of lead rows: header layouts, emails, phones, names, countries, companies.

`map_headers` maps a header row (cached per layout), `standardize_row` turns one row into the
Lead's standard fields plus attributes, problems and a rejection reason, and `dedupe_key` gives
the key duplicates share. Everything here is plain rules and libraries; the LLM step only sees
what `HeaderMapping.confidence` and `Standardized.unparsed` say the rules could not do.
"""

from shared.enrichment.standardize.headers import CONFIDENT, FIELD_NAMES, HeaderMapping, map_headers
from shared.enrichment.standardize.row import (
    COMPANY_INFERRED_FROM,
    COUNTRY_INFERRED_FROM,
    NAME_PREFIX,
    NAME_SUFFIX,
    NO_CONTACT,
    PHONE_EXTENSION,
    Standardized,
    dedupe_key,
    standardize_row,
)

__all__ = [
    "COMPANY_INFERRED_FROM",
    "CONFIDENT",
    "COUNTRY_INFERRED_FROM",
    "FIELD_NAMES",
    "NAME_PREFIX",
    "NAME_SUFFIX",
    "NO_CONTACT",
    "PHONE_EXTENSION",
    "HeaderMapping",
    "Standardized",
    "dedupe_key",
    "map_headers",
    "standardize_row",
]
