"""The LLM, only where rules cannot do it: an OpenAI-compatible client, layout and cell assistance, and /chat queries.

- `client`: `ChatClient` (httpx, retries, JSON answers), `provider_from_env` (None means rules only).
- `assist`: `LayoutCache.resolve` / `map_layout` for low-confidence header layouts, `parse_cells`
  for cells the rules could not parse, both falling back to the rules with `fallback=True`.
- `grounding`: `grounded`, the guard that refuses any value not found in the input.
- `query`: `question_to_query` and the `LeadQuery` schema the lead reader runs.

Importing this package builds nothing: no HTTP client, no AWS client.
"""

from shared.enrichment.llm.assist import (
    CellRequest,
    CellResult,
    LayoutCache,
    LayoutResult,
    cell_requests,
    map_layout,
    parse_cells,
    refused_count,
)
from shared.enrichment.llm.client import (
    DEFAULT_BASE_URL,
    DEFAULT_MODEL,
    ChatClient,
    LlmBadOutput,
    LlmError,
    LlmUnavailable,
    provider_from_env,
)
from shared.enrichment.llm.grounding import grounded
from shared.enrichment.llm.query import (
    NO_PROVIDER_MESSAGE,
    PROVIDER_FAILED_MESSAGE,
    Filter,
    LeadQuery,
    question_to_query,
)

__all__ = [
    "DEFAULT_BASE_URL",
    "DEFAULT_MODEL",
    "NO_PROVIDER_MESSAGE",
    "PROVIDER_FAILED_MESSAGE",
    "CellRequest",
    "CellResult",
    "ChatClient",
    "Filter",
    "LayoutCache",
    "LayoutResult",
    "LeadQuery",
    "LlmBadOutput",
    "LlmError",
    "LlmUnavailable",
    "cell_requests",
    "grounded",
    "map_layout",
    "parse_cells",
    "provider_from_env",
    "question_to_query",
    "refused_count",
]
