"""The LLM as the rules' assistant in the store step: layouts once per job, cells in batches, grounded.

A provider that fails leaves the rules' result in place (`shared.enrichment.llm` marks it as a fallback); a
lead is never lost to the LLM.

The store step loads the client alone at its cold start. The assistance (its models, prompts and grounding)
loads at the first layout or cell the rules could not read, which most batches never have.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from shared.enrichment.llm.client import ChatClient, provider_from_env
from shared.enrichment.standardize import HeaderMapping, Standardized

if TYPE_CHECKING:
    from shared.enrichment.llm.assist import LayoutCache


class LlmAssist:
    def __init__(self, client: ChatClient) -> None:
        self.client = client
        #: built at the first layout the rules mapped with low confidence
        self._layouts: LayoutCache | None = None
        self._layouts_lock = threading.Lock()
        self.fallbacks = 0
        #: row keys of the last `cells` call whose cells the model could not be asked about
        self.fell_back: set[str] = set()

    @property
    def calls(self) -> int:
        return int(self.client.calls)

    @property
    def layouts(self) -> LayoutCache:
        """One cache for every thread: it asks once per (job, layout) only if there is one."""
        with self._layouts_lock:
            if self._layouts is None:
                # here, not at the top: only a layout the rules could not map needs it
                from shared.enrichment.llm.assist import LayoutCache

                self._layouts = LayoutCache()
            return self._layouts

    def layout(
        self, job_id: str, headers: Sequence[str], samples: Sequence[Mapping[str, str]], rules: HeaderMapping
    ) -> HeaderMapping:
        result = self.layouts.resolve(self.client, job_id, headers, samples, rules=rules)
        self.fallbacks += int(result.fallback)
        return result.mapping

    def cells(
        self, rows: Sequence[tuple[str, Mapping[str, str], HeaderMapping, Standardized]]
    ) -> dict[str, dict[str, str]]:
        # here, not at the top: only a row with a cell the rules could not parse needs them
        from shared.enrichment.llm.assist import cell_requests, parse_cells

        self.fell_back = set()
        requests = [req for key, values, mapping, std in rows for req in cell_requests(key, values, mapping, std)]
        if not requests:
            return {}
        answers: dict[str, dict[str, str]] = {}
        for result in parse_cells(self.client, requests):
            self.fallbacks += int(result.fallback)
            if result.fallback:
                answers.setdefault(result.row_key, {})
                self.fell_back.add(result.row_key)
            if result.values:
                answers.setdefault(result.row_key, {}).update(result.values)
        return answers


def assist_from_env() -> LlmAssist | None:
    """None while no provider key is configured: rules only."""
    client = provider_from_env()
    return LlmAssist(client) if client else None
