"""The LLM, only where rules cannot do it: an OpenAI-compatible client, layout and cell assistance, and /chat queries.

- `client`: `ChatClient` (httpx, retries, JSON answers), `provider_from_env` (None means rules only).
- `assist`: `LayoutCache.resolve` / `map_layout` for low-confidence header layouts, `parse_cells`
  for cells the rules could not parse, both falling back to the rules with `fallback=True`.
- `grounding`: `grounded`, the guard that refuses any value not found in the input.
- `query`: `question_to_query` and the `LeadQuery` schema the lead reader runs.

Importing this package builds nothing: no HTTP client, no AWS client. A name is imported from its module at
first use (PEP 562), so `from shared.enrichment.llm.client import provider_from_env` loads the client alone:
the store step asks whether a provider is configured at every cold start, and needs the assistance's models
and prompts only for a row the rules cannot standardize.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from shared.core.lazy import exports

if TYPE_CHECKING:  # what mypy sees; at run time `__getattr__` (`shared.core.lazy`) imports each on first use
    from shared.enrichment.llm.assist import CellRequest as CellRequest
    from shared.enrichment.llm.assist import CellResult as CellResult
    from shared.enrichment.llm.assist import LayoutCache as LayoutCache
    from shared.enrichment.llm.assist import LayoutResult as LayoutResult
    from shared.enrichment.llm.assist import cell_requests as cell_requests
    from shared.enrichment.llm.assist import map_layout as map_layout
    from shared.enrichment.llm.assist import parse_cells as parse_cells
    from shared.enrichment.llm.assist import refused_count as refused_count
    from shared.enrichment.llm.client import DEFAULT_BASE_URL as DEFAULT_BASE_URL
    from shared.enrichment.llm.client import DEFAULT_MODEL as DEFAULT_MODEL
    from shared.enrichment.llm.client import ChatClient as ChatClient
    from shared.enrichment.llm.client import LlmBadOutput as LlmBadOutput
    from shared.enrichment.llm.client import LlmError as LlmError
    from shared.enrichment.llm.client import LlmUnavailable as LlmUnavailable
    from shared.enrichment.llm.client import provider_from_env as provider_from_env
    from shared.enrichment.llm.grounding import grounded as grounded
    from shared.enrichment.llm.query import NO_PROVIDER_MESSAGE as NO_PROVIDER_MESSAGE
    from shared.enrichment.llm.query import PROVIDER_FAILED_MESSAGE as PROVIDER_FAILED_MESSAGE
    from shared.enrichment.llm.query import Filter as Filter
    from shared.enrichment.llm.query import LeadQuery as LeadQuery
    from shared.enrichment.llm.query import question_to_query as question_to_query

#: each public name and the module that defines it
_HOMES = {
    "CellRequest": "assist",
    "CellResult": "assist",
    "LayoutCache": "assist",
    "LayoutResult": "assist",
    "cell_requests": "assist",
    "map_layout": "assist",
    "parse_cells": "assist",
    "refused_count": "assist",
    "DEFAULT_BASE_URL": "client",
    "DEFAULT_MODEL": "client",
    "ChatClient": "client",
    "LlmBadOutput": "client",
    "LlmError": "client",
    "LlmUnavailable": "client",
    "provider_from_env": "client",
    "grounded": "grounding",
    "NO_PROVIDER_MESSAGE": "query",
    "PROVIDER_FAILED_MESSAGE": "query",
    "Filter": "query",
    "LeadQuery": "query",
    "question_to_query": "query",
}

__all__ = sorted(_HOMES)

__getattr__, __dir__ = exports(__name__, _HOMES)
