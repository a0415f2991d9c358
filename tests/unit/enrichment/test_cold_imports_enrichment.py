"""What the enrichment functions leave out of their cold start: the modules only some requests need.

leads-api: listing, showing and exporting leads need the reader, not the rules the enricher runs (and
their phonenumbers); only POST /chat needs the LLM client, its prompts and the query schema; only GET
/leads/{id} reads deliveries. store-leads: every batch runs the rules and asks whether a provider is
configured, but only a layout or a cell the rules could not read needs the LLM's assistance.
"""

from __future__ import annotations

import json

from tests.unit.core.test_cold_imports import _fresh_python

_LOADED = """
import importlib, json, sys
importlib.import_module(sys.argv[1])
print(json.dumps(sorted(sys.modules)))
"""


def _loaded_by(module: str) -> set[str]:
    return set(json.loads(_fresh_python(_LOADED, module).splitlines()[-1]))


def _under(loaded: set[str], package: str) -> set[str]:
    return {m for m in loaded if m == package or m.startswith(package + ".")}


def test_leads_api_starts_without_the_rules_the_llm_or_deliveries() -> None:
    loaded = _loaded_by("lambdas.enrichment.leads_api.handler")
    assert "shared.enrichment.lead_reader" in loaded and "shared.enrichment.chat_question" in loaded
    needless = {
        "shared.enrichment.chat",
        "shared.enrichment.enricher",
        "shared.notification.deliveries",
    }
    assert loaded & needless == set()
    assert _under(loaded, "shared.enrichment.llm") == set()
    assert _under(loaded, "shared.enrichment.standardize") == set()
    assert _under(loaded, "phonenumbers") == set()


def test_store_leads_starts_with_the_llm_client_alone() -> None:
    loaded = _loaded_by("lambdas.enrichment.store_leads.handler")
    # the rules run on every batch, and every cold start asks whether a provider is configured
    assert {"shared.enrichment.standardize", "phonenumbers", "shared.enrichment.llm.client"} <= loaded
    assert _under(loaded, "shared.enrichment.llm") == {
        "shared.enrichment.llm",
        "shared.enrichment.llm.client",
        "shared.enrichment.llm.store_assist",
    }


_ASSIST = """
import json, sys
from shared.enrichment.llm.store_assist import LlmAssist
from shared.enrichment.standardize import map_headers

class Unasked:
    calls = 0

assist = LlmAssist(Unasked())
before = "shared.enrichment.llm.assist" in sys.modules
headers = ("Email", "Phone", "First Name")
rules = map_headers(headers)
mapping = assist.layout("job", headers, [], rules)
print(json.dumps({
    "before": before,
    "after": "shared.enrichment.llm.assist" in sys.modules,
    "same_cache": assist.layouts is assist.layouts,
    "rules_kept": mapping == rules,
    "no_cells": assist.cells([]),
}))
"""


def test_the_llm_assistance_loads_at_the_first_layout_or_cell_it_is_asked_about() -> None:
    found = json.loads(_fresh_python(_ASSIST).splitlines()[-1])
    assert found == {"before": False, "after": True, "same_cache": True, "rules_kept": True, "no_cells": {}}


def test_the_llm_package_loads_each_module_at_the_first_use_of_one_of_its_names() -> None:
    code = (
        "import sys; from shared.enrichment.llm import ChatClient; "
        "print(sorted(m for m in sys.modules if m.startswith('shared.enrichment.llm')))"
    )
    assert _fresh_python(code) == "['shared.enrichment.llm', 'shared.enrichment.llm.client']"
    code = "from shared.enrichment.llm import LeadQuery, query; print(LeadQuery is query.LeadQuery)"
    assert _fresh_python(code) == "True"
