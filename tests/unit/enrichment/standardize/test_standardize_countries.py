"""Country cells to ISO alpha-2, and the generated name table held to phonenumbers' locale data."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import phonenumbers
import pytest

from leadflow.config import REPO_ROOT
from shared.enrichment.standardize import standardize_row
from shared.enrichment.standardize.countries import country_code
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
    # The environment holds phonenumberslite (what ships), which has no locale names; the generator
    # runs with the full build of the same release first on its path, as the module docstring says to.
    full = REPO_ROOT / "build" / f"phonenumbers-full-{phonenumbers.__version__}"
    if not (full / "phonenumbers" / "geodata" / "locale.py").is_file():
        pip = [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "-t", str(full)]
        subprocess.run([*pip, f"phonenumbers=={phonenumbers.__version__}"], check=True, timeout=300)
    generate = (
        "import json; from shared.enrichment.standardize.countries import build_name_table; "
        "print(json.dumps(build_name_table()))"
    )
    result = subprocess.run(
        [sys.executable, "-c", generate],
        env={**os.environ, "PYTHONPATH": os.pathsep.join((str(full), str(REPO_ROOT)))},
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    assert json.loads(result.stdout) == COUNTRY_NAMES
    assert COUNTRY_NAMES["deutschland"] == "DE"
