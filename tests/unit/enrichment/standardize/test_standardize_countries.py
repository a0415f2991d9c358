"""Country cells to ISO alpha-2, and the generated name table held to phonenumbers' locale data."""

from __future__ import annotations

import pytest

from shared.enrichment.standardize import standardize_row
from shared.enrichment.standardize.countries import build_name_table, country_code
from shared.enrichment.standardize.country_names import COUNTRY_NAMES


@pytest.mark.parametrize(
    ("cell", "code"),
    [
        ("US", "US"), ("us", "US"), ("USA", "US"), ("U.S.", "US"), ("U.S.A.", "US"), ("United States", "US"),
        ("united states of america", "US"), ("America", "US"), ("UK", "GB"), ("U.K.", "GB"), ("United Kingdom", "GB"),
        ("Great Britain", "GB"), ("England", "GB"), ("GB", "GB"), ("GBR", "GB"), ("Deutschland", "DE"),
        ("Germany", "DE"), ("DEU", "DE"), ("Allemagne", "DE"), ("España", "ES"), ("Espana", "ES"), ("Spain", "ES"),
        ("Espagne", "ES"), ("Brasil", "BR"), ("Brazil", "BR"), ("Nederland", "NL"), ("The Netherlands", "NL"),
        ("Holland", "NL"), ("Schweiz", "CH"), ("Suisse", "CH"), ("Svizzera", "CH"), ("Österreich", "AT"),
        ("Italia", "IT"), ("Côte d'Ivoire", "CI"), ("Ivory Coast", "CI"), ("South Korea", "KR"), ("Türkiye", "TR"),
        ("  france  ", "FR"), ("+49", "DE"), ("+44", "GB"), ("MEX", "MX"), ("Japan", "JP"),
    ],
)  # fmt: skip
def test_country_cell_to_alpha2(cell: str, code: str) -> None:
    assert country_code(cell) == code


@pytest.mark.parametrize("cell", ["Narnia", "XX", "ZZZ", "", "Europe", "+999"])
def test_unknown_country_is_none(cell: str) -> None:
    assert country_code(cell) is None


def test_unknown_country_is_reported_kept_and_unparsed() -> None:
    result = standardize_row({"Email": "ana@lima.dev", "Country": "Narnia"})
    assert "country" not in result.fields
    assert result.problems == ("unknown country 'Narnia'",)
    assert result.unparsed == ("country",)
    assert result.attributes["Country"] == "Narnia"


def test_country_names_table_is_what_the_generator_makes() -> None:
    # Regenerate with `python -m shared.enrichment.standardize.countries` when phonenumbers' locale data changes.
    assert build_name_table() == COUNTRY_NAMES
    assert COUNTRY_NAMES["deutschland"] == "DE"
