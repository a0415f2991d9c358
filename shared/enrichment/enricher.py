"""The enrichment step: a batch of raw rows becomes standardized, deduplicated, stored leads.

Per batch message:
1. each row is standardized by rules (`shared.enrichment.standardize`); an LLM helps only where the rules
   cannot (a header layout mapped with low confidence, a cell the rules could not parse) and only
   with values grounded in the row;
2. rows are keyed by their dedupe key (email, else phone, else name and company); the lead id is
   derived from that key, so one person is one item whichever file or job they came from;
3. duplicates inside the batch are merged in memory, then merged with what is stored (one
   BatchGetItem per 100 keys), and written with TransactWriteItems (100 a call) whose conditions
   (not there yet / same version) make concurrent merges safe: a lost race is re-read and retried;
4. the batch's leads go to S3 as JSON Lines under `enriched/{job}/` and are announced on the bus.

Merging fills empty fields, keeps the first-seen source and records every source. Replaying the
same batch changes nothing: a lead remembers the batch that created it, so a redelivered batch
counts its own leads as stored, not as duplicates.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from shared.core import limits
from shared.core.dynamo import TransactionCancelled, call, from_attr, to_attr
from shared.core.models import BatchRow, Lead, LeadRow, StoredLead, iso_now
from shared.enrichment.lead_keys import INDEX_KIND
from shared.enrichment.standardize import (
    CONFIDENT,
    HeaderMapping,
    Standardized,
    dedupe_key,
    map_headers,
    standardize_row,
)

#: the problem noted on a lead whose unreadable cells the LLM could not be asked about
LLM_FALLBACK = "the LLM provider could not be reached; the rules' result was kept"
BATCH_GET_MAX = limits.BATCH_GET_ITEMS
TRANSACT_MAX = limits.TRANSACT_ITEMS
#: a stored lead stays this far under DynamoDB's 400 KB item limit (its version number beside it)
LEAD_ITEM_BYTES = limits.DYNAMODB_ITEM_BYTES - 8 * limits.KIB
#: the leads of one transaction together stay under its 4 MB
TRANSACT_BUDGET_BYTES = limits.TRANSACT_BYTES - 256 * limits.KIB
#: the problem a lead records when a later sighting's attributes did not fit it
SIZE_LIMIT_PROBLEM = "attributes of later rows left out: the lead reached its size limit"
MERGE_ATTEMPTS = 5
#: fields a later sighting may fill when the stored lead has them empty
MERGEABLE = ("first_name", "last_name", "email", "phone", "company", "title", "country")


def lead_id_for(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()[:32]


class Assist(Protocol):
    """What the LLM may do for the rules (`enrichment.llm.store_assist`); each answer is validated and grounded."""

    @property
    def calls(self) -> int: ...

    def layout(
        self, job_id: str, headers: Sequence[str], samples: Sequence[Mapping[str, str]], rules: HeaderMapping
    ) -> HeaderMapping:
        """The mapping to use for a layout the rules mapped with low confidence (the rules' on failure)."""
        ...

    def cells(
        self, rows: Sequence[tuple[str, Mapping[str, str], HeaderMapping, Standardized]]
    ) -> dict[str, dict[str, str]]:
        """Grounded values by row key and field for the cells the rules left unparsed ({} on failure)."""
        ...

    @property
    def fell_back(self) -> set[str]:
        """Row keys of the last `cells` call the model could not answer (the rules' result stands)."""
        ...


@dataclass
class RowResult:
    worksheet: str | None
    row: int
    standardized: Standardized
    llm_fields: tuple[str, ...] = ()


@dataclass
class EnrichOutcome:
    stored: int = 0
    duplicates: int = 0
    rejected: int = 0
    leads: list[Lead] = field(default_factory=list)
    #: every accepted row, duplicates included, with its own cells: several messages from one
    #: sender are one lead but several rows (the assignment domain makes an email of each)
    rows: list[LeadRow] = field(default_factory=list)
    rejections: list[tuple[str | None, int, str]] = field(default_factory=list)


def _item(lead: Lead) -> dict[str, Any]:
    """The stored item, without its version: the lead plus the keys its reader indexes use."""
    item = lead.to_item()
    item["kind"] = INDEX_KIND
    name = " ".join(p for p in (lead.first_name, lead.last_name) if p).lower()
    if name:
        item["name_key"] = name
    if lead.company:
        item["company_key"] = lead.company.lower()
    if lead.email:
        item["email_key"] = lead.email.lower()
    return item


def _item_bytes(item: Mapping[str, Any]) -> int:
    """An upper bound of an item's DynamoDB size: its compact JSON (names and UTF-8 values, plus the
    quotes and separators JSON adds where DynamoDB counts a byte or three)."""
    return len(json.dumps(item, ensure_ascii=False, separators=(",", ":")).encode())


def lead_bytes(lead: Lead) -> int:
    """An upper bound of the lead's stored item's size (see `_item_bytes`), its version left out."""
    return _item_bytes(_item(lead))


class LeadTable(Protocol):
    """Stored leads by id, as the enricher merges into them (`DynamoLeadTable`; an in-memory one in tests)."""

    def get_many(self, lead_ids: list[str]) -> dict[str, StoredLead]:
        """The stored leads of these ids (missing ids are left out), read consistently."""
        ...

    def put_versioned(self, plan: list[tuple[Lead, StoredLead | None]]) -> bool:
        """Write each lead over the stored lead it was merged with (None: a new lead), all or nothing.
        False when one of those items changed (or appeared) meanwhile, so the caller re-reads."""
        ...


@dataclass
class DynamoLeadTable:
    table: str

    def get_many(self, lead_ids: list[str]) -> dict[str, StoredLead]:
        found: dict[str, StoredLead] = {}
        for start in range(0, len(lead_ids), BATCH_GET_MAX):
            keys = [to_attr({"lead_id": i}) for i in lead_ids[start : start + BATCH_GET_MAX]]
            request: dict[str, Any] = {self.table: {"Keys": keys, "ConsistentRead": True}}
            attempt = 0
            while request:
                response = call("batch_get_item", RequestItems=request)
                for item in response.get("Responses", {}).get(self.table, []):
                    stored = StoredLead.from_item(from_attr(item))
                    found[stored.lead.lead_id] = stored
                request = response.get("UnprocessedKeys") or {}
                attempt += 1
                if request:
                    time.sleep(min(0.05 * 2**attempt, 1.0))
        return found

    def put_versioned(self, plan: list[tuple[Lead, StoredLead | None]]) -> bool:
        """One TransactWriteItems call for up to 100 leads, each Put on its own condition.

        The conditions are the guarantee; the transaction's all-or-nothing adds none (nothing ties one
        lead of a batch to another), and it bills each lead's write twice. A conditional PutItem per
        lead gives the same guarantee for one unit, but is a request per lead: 1,000 a 1,000 leads
        where the store step's target is 60 (README, "Benchmarks"). A batch of conditional PartiQL
        statements (BatchExecuteStatement, 25 a call, not transactional) would give both; not tried.
        """
        items = []
        for lead, existing in plan:
            item = _item(lead)
            if existing is None:
                item["version"] = 1
                condition: dict[str, Any] = {"ConditionExpression": "attribute_not_exists(lead_id)"}
            else:
                item["version"] = existing.version + 1
                condition = {
                    "ConditionExpression": "version = :v",
                    "ExpressionAttributeValues": to_attr({":v": existing.version}),
                }
            items.append({"Put": {"TableName": self.table, "Item": to_attr(item), **condition}})
        try:
            call("transact_write_items", TransactItems=items)
        except TransactionCancelled:
            return False

        return True


@dataclass
class Enricher:
    leads_table: str
    default_region: str = "US"
    assist: Assist | None = None
    now: Callable[[], str] = iso_now
    #: None: the DynamoDB table `leads_table`
    storage: LeadTable | None = None
    _leads: LeadTable = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._leads = self.storage if self.storage is not None else DynamoLeadTable(self.leads_table)

    # ------------------------------------------------------------------ rules (+ LLM where needed)

    def _mapping(self, job_id: str, headers: tuple[str, ...], samples: list[Mapping[str, str]]) -> HeaderMapping:
        mapping = map_headers(headers)  # cached per layout
        if mapping.confidence < CONFIDENT and self.assist is not None:
            mapping = self.assist.layout(job_id, headers, samples, mapping)
        return mapping

    def standardize(self, job_id: str, rows: Sequence[BatchRow]) -> list[RowResult]:
        by_layout: dict[tuple[str, ...], list[Mapping[str, str]]] = {}
        for row in rows:
            by_layout.setdefault(tuple(row.v), []).append(row.v)
        mappings = {headers: self._mapping(job_id, headers, samples[:3]) for headers, samples in by_layout.items()}
        results = []
        for row in rows:
            std = standardize_row(row.v, default_region=self.default_region, mapping=mappings[tuple(row.v)])
            results.append(RowResult(row.w, row.r, std))
        if self.assist is not None:
            self._ask_about_cells(results, rows, mappings)
        return results

    def _ask_about_cells(
        self,
        results: list[RowResult],
        rows: Sequence[BatchRow],
        mappings: Mapping[tuple[str, ...], HeaderMapping],
    ) -> None:
        """One batched request for the cells the rules could not parse; answers go back through the rules."""
        assert self.assist is not None
        asking = [
            (str(i), row.v, mappings[tuple(row.v)], result.standardized)
            for i, (result, row) in enumerate(zip(results, rows, strict=True))
            if result.standardized.unparsed
        ]
        if not asking:
            return
        answers = self.assist.cells(asking)
        for key, values, mapping, std in asking:
            if key in self.assist.fell_back:
                i = int(key)
                flagged = Standardized(
                    std.fields, std.attributes, (*std.problems, LLM_FALLBACK), std.rejected, std.unparsed
                )
                results[i] = RowResult(results[i].worksheet, results[i].row, flagged)
            found = answers.get(key)
            if not found:
                continue
            # the model's values replace their cells and run through the same normalizers
            fields = dict(mapping.fields)
            patched = dict(values)
            for name, value in found.items():
                header = next((h for h, f in fields.items() if f == name), None)
                if header is None:
                    header = f"_llm_{name}"
                    fields[header] = name
                patched[header] = value
            remapped = HeaderMapping(fields=fields, unmapped=mapping.unmapped, confidence=mapping.confidence)
            std = standardize_row(patched, default_region=self.default_region, mapping=remapped)
            i = int(key)
            results[i] = RowResult(results[i].worksheet, results[i].row, std, llm_fields=tuple(found))

    # ------------------------------------------------------------------ dedupe and storage

    def enrich(
        self, *, job_id: str | None, batch_id: str, source: str, file: str | None, rows: Sequence[BatchRow]
    ) -> EnrichOutcome:
        outcome = EnrichOutcome()
        results = self.standardize(job_id or batch_id, rows)
        origin = f"{job_id or '-'}/{batch_id}"
        sighting = f"{source}:{job_id}" if job_id else f"{source}:{batch_id}"
        incoming: dict[str, Lead] = {}
        sizes: dict[int, tuple[Lead, int]] = {}
        for result in results:
            std = result.standardized
            if std.rejected:
                outcome.rejected += 1
                outcome.rejections.append((result.worksheet, result.row, std.rejected))
                continue
            key = dedupe_key(std.fields)
            if key is None:
                outcome.rejected += 1
                outcome.rejections.append((result.worksheet, result.row, "nothing to tell this person apart"))
                continue
            lead = Lead.model_validate(
                {
                    **std.fields,
                    "lead_id": lead_id_for(key),
                    "dedupe_key": key,
                    "source": source,
                    "sources": [sighting],
                    "job_id": job_id,
                    "file": file,
                    "_worksheet": result.worksheet,
                    "row": result.row,
                    "attributes": std.attributes,
                    "problems": list(std.problems),
                    "llm_fields": list(result.llm_fields),
                    "first_batch": origin,
                    "created_at": self.now(),
                }
            )
            size = lead_bytes(lead)
            sizes[id(lead)] = (lead, size)
            if size > LEAD_ITEM_BYTES:
                outcome.rejected += 1
                outcome.rejections.append(
                    (
                        result.worksheet,
                        result.row,
                        f"the row is too large for one lead: {size} bytes, a lead holds at most {LEAD_ITEM_BYTES}",
                    )
                )
                continue
            outcome.rows.append(
                LeadRow(lead_id=lead.lead_id, _worksheet=result.worksheet, row=result.row, attributes=std.attributes)
            )
            if lead.lead_id in incoming:
                outcome.duplicates += 1
                incoming[lead.lead_id] = merge(incoming[lead.lead_id], lead)
            else:
                incoming[lead.lead_id] = lead
        merged = self._store(incoming, origin, outcome, sizes)
        outcome.leads = merged
        return outcome

    def _store(
        self, incoming: dict[str, Lead], origin: str, outcome: EnrichOutcome, sizes: dict[int, tuple[Lead, int]]
    ) -> list[Lead]:
        """Merge and write; `sizes` holds each lead as it came with its measured size (by object id,
        the lead kept so that its id is not reused), so that a lead no merge changed is measured once."""

        def size_of(lead: Lead) -> int:
            known = sizes.get(id(lead))
            return known[1] if known is not None and known[0] is lead else lead_bytes(lead)

        pending = dict(incoming)
        written: list[Lead] = []
        for _attempt in range(MERGE_ATTEMPTS):
            if not pending:
                break
            stored = self._leads.get_many(list(pending))
            retry: dict[str, Lead] = {}
            merged_plan: list[tuple[Lead, StoredLead | None]] = []
            for lead_id, new in pending.items():
                existing = stored.get(lead_id)
                merged_plan.append((merge(existing.lead, new) if existing else new, existing))
            for plan in transactions(merged_plan, size_of=size_of):
                chunk = [lead.lead_id for lead, _ in plan]
                if self._leads.put_versioned(plan):
                    for lead, existing in plan:
                        written.append(lead)
                        created_here = existing is None or existing.lead.first_batch == origin
                        if created_here:
                            outcome.stored += 1
                        else:
                            outcome.duplicates += 1
                else:  # someone else wrote one of these leads meanwhile: re-read and merge again
                    retry.update({lead_id: pending[lead_id] for lead_id in chunk})
            pending = retry
        if pending:
            raise RuntimeError(f"{len(pending)} leads kept conflicting with concurrent writers")
        return written


def transactions(
    plan: list[tuple[Lead, StoredLead | None]],
    *,
    max_items: int = TRANSACT_MAX,
    max_bytes: int = TRANSACT_BUDGET_BYTES,
    size_of: Callable[[Lead], int] = lead_bytes,
) -> list[list[tuple[Lead, StoredLead | None]]]:
    """The writes split into transactions DynamoDB accepts: at most 100 items and 4 MB each."""
    out: list[list[tuple[Lead, StoredLead | None]]] = [[]]
    used = 0
    for entry in plan:
        size = size_of(entry[0])
        if out[-1] and (len(out[-1]) >= max_items or used + size > max_bytes):
            out.append([])
            used = 0
        out[-1].append(entry)
        used += size
    return [chunk for chunk in out if chunk]


def merge(stored: Lead, new: Lead, *, max_bytes: int = LEAD_ITEM_BYTES) -> Lead:
    """Fill what `stored` lacks from `new`; keep the first-seen source; record every source.

    A lead stays inside DynamoDB's item limit: when `new`'s attributes would take it past
    `max_bytes`, they are left out (the lead records `SIZE_LIMIT_PROBLEM`; the file they came from
    keeps them), and when its sightings alone would, the oldest after the first are dropped."""
    update: dict[str, Any] = {f: getattr(new, f) for f in MERGEABLE if not getattr(stored, f) and getattr(new, f)}
    sources = list(dict.fromkeys([*stored.sources, *new.sources]))
    attributes = {**new.attributes, **stored.attributes}
    problems = list(dict.fromkeys([*stored.problems, *new.problems]))
    update.update(sources=sources, attributes=attributes, problems=problems, updated_at=new.created_at)
    merged = stored.model_copy(update=update)
    if lead_bytes(merged) <= max_bytes:
        return merged
    problems = list(dict.fromkeys([*stored.problems, SIZE_LIMIT_PROBLEM]))
    merged = stored.model_copy(update={**update, "attributes": stored.attributes, "problems": problems})
    while lead_bytes(merged) > max_bytes and len(merged.sources) > 2:
        keep = merged.sources
        merged = merged.model_copy(update={"sources": [keep[0], *keep[1 + max(1, (len(keep) - 1) // 2) :]]})
    return merged


def jsonl(leads: Sequence[Lead]) -> bytes:
    """One line of compact JSON per lead, each as stored (no None fields, `_worksheet` by that name)."""
    lines = (json.dumps(lead.to_item(), ensure_ascii=False, separators=(",", ":")) + "\n" for lead in leads)
    return "".join(lines).encode()
