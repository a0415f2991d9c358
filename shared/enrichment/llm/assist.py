"""The LLM where the rules cannot do it: header layouts mapped with low confidence, and cells the rules could not parse.

Both are asked in as few requests as possible (a layout once per job, cells up to
`MAX_CELLS_PER_REQUEST` per request, identical cells once), both answers are validated against
models, and every value read out of a cell passes the grounding guard before it may reach a lead.

Failure never costs a lead: when the provider is unavailable or answers nonsense, the results
say `fallback=True` and the caller keeps the rules' result for those rows.
"""

from __future__ import annotations

import dataclasses
import json
import threading
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError, ValidationInfo, model_validator

from shared.core.observability import logger
from shared.enrichment.llm.client import ChatClient, LlmBadOutput, LlmError
from shared.enrichment.llm.grounding import grounded
from shared.enrichment.llm.prompts import CELLS_PROMPT, LAYOUT_FIELDS, LAYOUT_PROMPT
from shared.enrichment.standardize import CONFIDENT, HeaderMapping, Standardized, map_headers
from shared.enrichment.standardize.countries import country_code
from shared.enrichment.standardize.text import collapse

__all__ = [
    "CELL_FIELDS",
    "MAX_CELLS_PER_REQUEST",
    "CellRequest",
    "CellResult",
    "LayoutAnswer",
    "LayoutCache",
    "LayoutResult",
    "cell_requests",
    "grounded",
    "map_layout",
    "parse_cells",
    "refused_count",
]

MAX_CELLS_PER_REQUEST = 50
MAX_SAMPLE_ROWS = 3
# Enough of a cell for the model to see what a column holds, without sending whole notes fields.
_MAX_SAMPLE_CHARS = 80
_MAX_CELL_CHARS = 500

_NAME_OUTPUTS = frozenset({"first_name", "last_name", "title", "company"})
# For a cell of each field, the fields the model may read out of it ("ANA LIMA (CEO, ACME)" holds four).
CELL_FIELDS: dict[str, frozenset[str]] = {
    "email": frozenset({"email"}),
    "phone": frozenset({"phone"}),
    "first_name": _NAME_OUTPUTS,
    "last_name": _NAME_OUTPUTS,
    "full_name": _NAME_OUTPUTS,
    "company": frozenset({"company"}),
    "title": frozenset({"title"}),
    "country": frozenset({"country"}),
}


# --- header layouts ----------------------------------------------------------------------------------


class LayoutAnswer(BaseModel):
    """The model's mapping, checked against the layout asked about: validate with `context={"headers": ...}`.

    Kept: known headers mapped to known fields, each field once (the leftmost header wins).
    Everything else is dropped and counted.
    """

    # defer_build: built at the first LLM answer, not at cold start (most functions never get one)
    model_config = ConfigDict(frozen=True, defer_build=True)

    fields: dict[str, str]  # header -> standard field
    answered: tuple[str, ...]  # headers the model gave a valid answer for: a field or null
    dropped: int

    @model_validator(mode="before")
    @classmethod
    def _keep_valid(cls, data: Any, info: ValidationInfo) -> dict[str, Any]:
        headers: Sequence[str] = (info.context or {}).get("headers", ())
        raw = data.get("mapping") if isinstance(data, Mapping) else None
        if not isinstance(raw, Mapping):
            raise ValueError("the answer has no 'mapping' object")
        position = {header: index for index, header in reversed(list(enumerate(headers)))}
        stripped = {header.strip(): header for header in reversed(headers)}
        answered: list[str] = []
        proposed: list[tuple[int, str, str]] = []
        dropped = 0
        for key, value in raw.items():
            header = key if key in position else stripped.get(str(key).strip())
            if header is None:
                if value is not None:
                    dropped += 1  # a header that is not in the file
                continue
            if value is None or (isinstance(value, str) and value.strip().lower() in ("", "null", "none")):
                answered.append(header)
                continue
            name = value.strip().lower() if isinstance(value, str) else None
            if name not in LAYOUT_FIELDS:
                dropped += 1  # not a field of the Lead: as if the model had said nothing about the header
                continue
            answered.append(header)
            proposed.append((position[header], header, name))
        fields: dict[str, str] = {}
        for _, header, name in sorted(proposed):
            if name in fields.values():
                dropped += 1  # a field named twice
                continue
            fields[header] = name
        return {"fields": fields, "answered": tuple(dict.fromkeys(answered)), "dropped": dropped}


def ask_layout(client: ChatClient, headers: Sequence[str], sample_rows: Sequence[Mapping[str, str]]) -> LayoutAnswer:
    """Ask the model about one layout; raises `LlmUnavailable` or `LlmBadOutput`."""
    rows = [
        [str(row.get(header) or "")[:_MAX_SAMPLE_CHARS] for header in headers] for row in sample_rows[:MAX_SAMPLE_ROWS]
    ]
    question = json.dumps({"headers": list(headers), "sample_rows": rows}, ensure_ascii=False)
    answer = client.complete_json([{"role": "system", "content": LAYOUT_PROMPT}, {"role": "user", "content": question}])
    try:
        result = LayoutAnswer.model_validate(answer, context={"headers": tuple(headers)})
    except ValidationError as exc:
        raise LlmBadOutput(f"layout answer rejected: {_first_error(exc)}") from exc
    if result.dropped:
        logger.warning("llm layout answers dropped", extra={"dropped": result.dropped})
    return result


def map_layout(client: ChatClient, headers: Sequence[str], sample_rows: Sequence[Mapping[str, str]]) -> dict[str, str]:
    """Header -> standard field, as the model maps the layout; raises `LlmUnavailable` or `LlmBadOutput`.

    Callers normally go through `LayoutCache.resolve`, which asks once per layout per job and falls back.
    """
    return ask_layout(client, headers, sample_rows).fields


@dataclass(frozen=True)
class LayoutResult:
    """The mapping to standardize a layout's rows with, and where it came from."""

    mapping: HeaderMapping
    used_llm: bool  # the mapping includes the model's answer
    fallback: bool  # the model was needed but failed: this is the rules' mapping
    dropped: int = 0  # answers of the model refused by validation


class LayoutCache:
    """Resolves layouts: the rules' mapping when it is confident, else the model's, asked once per (job, layout).

    A failed request is remembered too, so one job does not wait through the retries again for
    every batch of a layout the provider could not answer. Thread-safe; least recently used
    entries go first beyond `max_layouts`.
    """

    def __init__(self, *, max_layouts: int = 256, threshold: float = CONFIDENT) -> None:
        self.max_layouts = max_layouts
        self.threshold = threshold
        self._results: OrderedDict[tuple[str, tuple[str, ...]], LayoutResult] = OrderedDict()
        self._pending: dict[tuple[str, tuple[str, ...]], threading.Lock] = {}
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._results)

    def resolve(
        self,
        client: ChatClient | None,
        job_id: str,
        headers: Sequence[str],
        sample_rows: Sequence[Mapping[str, str]],
        *,
        rules: HeaderMapping | None = None,
    ) -> LayoutResult:
        """The mapping for `headers` in `job_id`; `rules` is `map_headers(headers)` when the caller has it."""
        rules = rules if rules is not None else map_headers(headers)
        if client is None or rules.confidence >= self.threshold:
            return LayoutResult(rules, used_llm=False, fallback=False)
        key = (job_id, tuple(headers))
        with self._lock:
            if key in self._results:
                self._results.move_to_end(key)
                return self._results[key]
            key_lock = self._pending.setdefault(key, threading.Lock())
        # One request per key even when threads of one batch meet the same new layout together.
        with key_lock:
            with self._lock:
                if key in self._results:
                    return self._results[key]
            result = _resolve_with_llm(client, job_id, headers, sample_rows, rules)
            with self._lock:
                self._results[key] = result
                while len(self._results) > self.max_layouts:
                    self._results.popitem(last=False)
                self._pending.pop(key, None)
        return result


def _resolve_with_llm(
    client: ChatClient,
    job_id: str,
    headers: Sequence[str],
    sample_rows: Sequence[Mapping[str, str]],
    rules: HeaderMapping,
) -> LayoutResult:
    try:
        answer = ask_layout(client, headers, sample_rows)
    except LlmError as exc:
        logger.warning("llm layout failed, using the rules' mapping", extra={"job_id": job_id, "reason": exc.reason})
        return LayoutResult(rules, used_llm=False, fallback=True)
    return LayoutResult(merge_layout(headers, rules, answer), used_llm=True, fallback=False, dropped=answer.dropped)


def merge_layout(headers: Sequence[str], rules: HeaderMapping, answer: LayoutAnswer) -> HeaderMapping:
    """The model's mapping, with the rules' mapping for headers the model said nothing about.

    A header the model answered null for stays unmapped: that answer is why it was asked. One it
    skipped keeps the rules' field unless the model gave that field to another header.
    """
    fields = dict(answer.fields)
    answered = set(answer.answered)
    for header in headers:
        name = rules.fields.get(header)
        if name is not None and header not in answered and header not in fields and name not in fields.values():
            fields[header] = name
    ordered = {header: fields[header] for header in headers if header in fields}
    unmapped = tuple(header for header in headers if header not in ordered)
    return HeaderMapping(ordered, unmapped, rules.confidence)


# --- cells -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CellRequest:
    """One cell the rules could not parse: which row it is in, the field its column holds, its text."""

    row_key: str
    field: str
    text: str

    def __post_init__(self) -> None:
        if self.field not in CELL_FIELDS:
            raise ValueError(f"cannot ask about a {self.field!r} cell; fields: {', '.join(CELL_FIELDS)}")


@dataclass(frozen=True)
class CellResult:
    """What the model read out of one cell, after the guard.

    `values` holds grounded values by standard field, as written in the cell (country as its
    alpha-2 code); the caller still runs them through the rules' normalizers. `refused` names
    fields whose value the guard refused. `fallback` means the model could not be asked: keep the
    rules' result for this cell.
    """

    row_key: str
    field: str
    values: dict[str, str] = dataclasses.field(default_factory=dict)
    refused: tuple[str, ...] = ()
    fallback: bool = False


class _CellAnswer(BaseModel):
    model_config = ConfigDict(coerce_numbers_to_str=True, extra="ignore", defer_build=True)

    id: str
    values: dict[str, str | None] = {}


def parse_cells(
    client: ChatClient, cells: Sequence[CellRequest], *, batch_size: int = MAX_CELLS_PER_REQUEST
) -> list[CellResult]:
    """Ask the model about many cells in few requests; one result per cell, in order.

    Identical cells (same field and text) are asked once. A request that fails marks its cells
    `fallback=True`; the other requests' results stand.
    """
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1")
    unique: dict[tuple[str, str], int] = {}
    for cell in cells:
        unique.setdefault((cell.field, cell.text), len(unique))
    keys = list(unique)
    outcomes: list[tuple[dict[str, str], tuple[str, ...], bool]] = []
    for start in range(0, len(keys), batch_size):
        chunk = keys[start : start + batch_size]
        try:
            answers = _ask_cells(client, chunk)
        except LlmError as exc:
            logger.warning(
                "llm cells failed, keeping the rules' results", extra={"cells": len(chunk), "reason": exc.reason}
            )
            outcomes.extend(({}, (), True) for _ in chunk)
            continue
        for index, (name, text) in enumerate(chunk):
            values, refused = _guard(name, text, answers.get(str(index), {}))
            outcomes.append((values, refused, False))
    results = []
    for cell in cells:
        values, refused, fallback = outcomes[unique[(cell.field, cell.text)]]
        results.append(CellResult(cell.row_key, cell.field, dict(values), refused, fallback))
    refused_total = refused_count(results)
    if refused_total:
        logger.warning("llm values refused by the grounding guard", extra={"refused": refused_total})
    return results


def _ask_cells(client: ChatClient, chunk: Sequence[tuple[str, str]]) -> dict[str, dict[str, str | None]]:
    """The model's values per cell id (the cell's index in `chunk`); raises `LlmUnavailable` or `LlmBadOutput`."""
    payload = [
        {"id": str(index), "field": name, "text": text[:_MAX_CELL_CHARS]} for index, (name, text) in enumerate(chunk)
    ]
    question = json.dumps({"cells": payload}, ensure_ascii=False)
    answer = client.complete_json([{"role": "system", "content": CELLS_PROMPT}, {"role": "user", "content": question}])
    items = answer.get("cells")
    if not isinstance(items, list):
        raise LlmBadOutput("the answer has no 'cells' list")
    found: dict[str, dict[str, str | None]] = {}
    invalid = 0
    for item in items:
        try:
            cell = _CellAnswer.model_validate(item)
        except ValidationError:
            invalid += 1  # one malformed cell does not spoil the others
            continue
        found.setdefault(cell.id, cell.values)
    if invalid:
        logger.warning("llm cell answers malformed", extra={"invalid": invalid})
    return found


def _guard(name: str, text: str, values: Mapping[str, str | None]) -> tuple[dict[str, str], tuple[str, ...]]:
    kept: dict[str, str] = {}
    refused: list[str] = []
    for raw_field, raw_value in values.items():
        if raw_value is None:
            continue
        out = raw_field.strip().lower()
        value = _clean(out, raw_value)
        if not value:
            continue
        if out not in CELL_FIELDS[name] or not grounded(out, value, text):
            refused.append(out)
            continue
        kept[out] = (country_code(value) or value) if out == "country" else value
    return kept, tuple(refused)


def _clean(name: str, value: str) -> str:
    value = collapse(value)
    if name == "email":
        value = value.removeprefix("mailto:").strip("<>\"' ")
    return value


def refused_count(results: Sequence[CellResult]) -> int:
    """How many values the grounding guard refused across `results`."""
    return sum(len(result.refused) for result in results)


def cell_requests(
    row_key: str, values: Mapping[str, str], mapping: HeaderMapping, result: Standardized
) -> list[CellRequest]:
    """The cells of one row worth asking about: the cells of the fields the rules left unparsed."""
    requests: list[CellRequest] = []
    for name in result.unparsed:
        if name not in CELL_FIELDS:
            continue
        for header, mapped in mapping.fields.items():
            text = collapse(str(values.get(header) or ""))
            if mapped == name and text:
                requests.append(CellRequest(row_key, name, text))
    return requests


def _first_error(exc: ValidationError) -> str:
    error = exc.errors()[0]
    where = ".".join(str(part) for part in error["loc"])
    return f"{where}: {error['msg']}" if where else str(error["msg"])
