"""Reading leads: filters served by the leads table's indexes, never a Scan; cursor pages; CSV export.

The most selective filter picks the index (job, status, source, then a prefix on email, name or
company, else all leads by creation time); the other filters ride along as a FilterExpression.
Pages are at most 100 leads; the cursor is the opaque, base64-encoded position of the last one.

Every index copy of a lead is a write unit on every write, so the table keeps one index per way of
reading, no more (`leadflow.wiring.enrichment`). All leads by creation time has no index of its
own: `by_status` holds every lead under its status, a closed set (`LeadStatus`), so all leads
newest (or oldest) first is the merge of one query per status, and the cursor keeps a position in
each of them.
"""

from __future__ import annotations

import base64
import binascii
import collections
import csv
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from shared.core.dynamo import call, from_attr, to_attr
from shared.core.errors import BadInput, NotFound
from shared.core.models import Lead, LeadPage, LeadStatus, StoredLead
from shared.enrichment.lead_keys import INDEX_KIND

MAX_PAGE = 100
#: how many DynamoDB pages one API page may read while filters drop items (at least one per partition)
MAX_READS_PER_PAGE = 10
EXPORT_COLUMNS = (
    "lead_id",
    "first_name",
    "last_name",
    "email",
    "phone",
    "company",
    "title",
    "country",
    "source",
    "status",
    "job_id",
    "_worksheet",
    "row",
    "created_at",
)
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


class LeadFilters(BaseModel):
    """What GET /leads and GET /leads/export accept (also what POST /chat's query becomes)."""

    model_config = ConfigDict(extra="forbid")

    status: str | None = None
    source: str | None = None
    job_id: str | None = None
    created_from: str | None = Field(default=None, description="ISO date or time, inclusive")
    created_to: str | None = Field(default=None, description="ISO date or time, inclusive")
    email: str | None = Field(default=None, description="prefix")
    name: str | None = Field(default=None, description="prefix of 'first last'")
    company: str | None = Field(default=None, description="prefix")
    country: str | None = None
    limit: int = Field(default=50, ge=1, le=MAX_PAGE, description=f"page size, 1 to {MAX_PAGE}")
    oldest_first: bool = False

    @model_validator(mode="before")
    @classmethod
    def _unset_when_empty(cls, data: Any) -> Any:
        # a form's empty field (`?status=&limit=`) means "no filter", not an invalid value
        return {k: v for k, v in data.items() if v != ""} if isinstance(data, dict) else data

    @field_validator("email", "name", "company")
    @classmethod
    def _lower(cls, value: str | None) -> str | None:
        return value.strip().lower() if value and value.strip() else None

    @field_validator("created_to")
    @classmethod
    def _inclusive_end(cls, value: str | None) -> str | None:
        # a bare date means the whole day: "T~" sorts after every time of that day
        return value + "T~" if value and len(value) == 10 else value


#: the leads table's global indexes as `leadflow.wiring.enrichment` declares them: (partition key, sort key)
INDEXES: dict[str, tuple[str, str]] = {
    "by_job": ("job_id", "created_at"),
    "by_status": ("status", "created_at"),
    "by_source": ("source", "created_at"),
    "by_email": ("kind", "email_key"),
    "by_name": ("kind", "name_key"),
    "by_company": ("kind", "company_key"),
}


@dataclass(frozen=True)
class _Plan:
    """Queries on one index: one per partition key value, merged in sort key order."""

    index: str
    partitions: tuple[str, ...]
    #: on the sort key, besides the partition key (a time range or a prefix)
    sort_condition: str | None
    values: dict[str, Any]
    names: dict[str, str]
    by_time: bool

    @property
    def pk(self) -> str:
        return INDEXES[self.index][0]

    @property
    def sk(self) -> str:
        return INDEXES[self.index][1]

    @property
    def key_condition(self) -> str:
        return "#pk = :pk" + (f" AND {self.sort_condition}" if self.sort_condition else "")


def _plan(f: LeadFilters) -> _Plan:
    for attribute, index in (("job_id", "by_job"), ("status", "by_status"), ("source", "by_source")):
        value = getattr(f, attribute)
        if value:
            return _time_range(_Plan(index, (value,), None, {}, {"#pk": attribute}, True), f)
    for attribute, index, key in (
        ("email", "by_email", "email_key"),
        ("name", "by_name", "name_key"),
        ("company", "by_company", "company_key"),
    ):
        value = getattr(f, attribute)
        if value:
            names = {"#pk": "kind", "#sk": key}
            return _Plan(index, (INDEX_KIND,), "begins_with(#sk, :prefix)", {":prefix": value}, names, False)
    # all leads: every status's partition of by_status, merged by creation time
    statuses = tuple(status.value for status in LeadStatus)
    return _time_range(_Plan("by_status", statuses, None, {}, {"#pk": "status"}, True), f)


def _time_range(plan: _Plan, f: LeadFilters) -> _Plan:
    names = {**plan.names, "#t": "created_at"}
    values = dict(plan.values)
    condition = None
    if f.created_from and f.created_to:
        values.update({":from": f.created_from, ":to": f.created_to})
        condition = "#t BETWEEN :from AND :to"
    elif f.created_from:
        values[":from"] = f.created_from
        condition = "#t >= :from"
    elif f.created_to:
        values[":to"] = f.created_to
        condition = "#t <= :to"
    if condition is None:
        return plan
    return _Plan(plan.index, plan.partitions, condition, values, names, True)


def _filter_expression(f: LeadFilters, plan: _Plan) -> tuple[str | None, dict[str, str], dict[str, Any]]:
    """The filters the chosen index does not serve."""
    parts, names, values = [], {}, {}
    equal = {"status": f.status, "source": f.source, "job_id": f.job_id, "country": f.country}
    for i, (attribute, value) in enumerate(equal.items()):
        if value and plan.pk != attribute:
            names[f"#f{i}"] = attribute
            values[f":f{i}"] = value
            parts.append(f"#f{i} = :f{i}")
    prefixes = {"email_key": f.email, "name_key": f.name, "company_key": f.company}
    for i, (attribute, value) in enumerate(prefixes.items()):
        if value and plan.sk != attribute:
            names[f"#p{i}"] = attribute
            values[f":p{i}"] = value
            parts.append(f"begins_with(#p{i}, :p{i})")
    if not plan.by_time:
        if f.created_from:
            names["#c"] = "created_at"
            values[":cf"] = f.created_from
            parts.append("#c >= :cf")
        if f.created_to:
            names["#c"] = "created_at"
            values[":ct"] = f.created_to
            parts.append("#c <= :ct")
    return (" AND ".join(parts) or None), names, values


#: a DynamoDB key as the low-level API gives it (LastEvaluatedKey): attribute name -> {"S": "..."}
KeyPosition = dict[str, dict[str, str]]
#: where each partition of a plan resumes: after this key, from its start (None), or absent when read to the end
Positions = dict[str, KeyPosition | None]


def encode_cursor(index: str, positions: Positions) -> str:
    return base64.urlsafe_b64encode(json.dumps({"i": index, "p": positions}).encode()).decode().rstrip("=")


def decode_cursor(cursor: str, plan: _Plan) -> Positions:
    try:
        data = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (ValueError, binascii.Error):
        raise BadInput("the cursor is not one this API gave out") from None
    positions = data.get("p") if isinstance(data, dict) else None
    if (
        not isinstance(data, dict)
        or data.get("i") != plan.index
        or not isinstance(positions, dict)
        or not set(positions) <= set(plan.partitions)
        or not all(p is None or _is_key(p) for p in positions.values())
    ):
        raise BadInput("the cursor belongs to other filters; start again without it")
    return positions


def _is_key(position: object) -> bool:
    return isinstance(position, dict) and all(
        isinstance(name, str)
        and isinstance(value, dict)
        and len(value) == 1
        and all(isinstance(t, str) and isinstance(v, str) for t, v in value.items())
        for name, value in position.items()
    )


@dataclass
class _Stream:
    """One partition's query, read page by page; `resume` is where the next API page starts in it."""

    partition: str
    start: dict[str, Any] | None
    resume: dict[str, Any] | None
    buffer: collections.deque[dict[str, Any]] = field(default_factory=collections.deque)
    more: bool = True

    @property
    def finished(self) -> bool:
        return not self.buffer and not self.more


class LeadReader:
    def __init__(self, table: str) -> None:
        self.table = table

    def get(self, lead_id: str) -> Lead:
        response = call("get_item", TableName=self.table, Key=to_attr({"lead_id": lead_id}))
        if "Item" not in response:
            raise NotFound(f"lead {lead_id} not found")
        return StoredLead.from_item(from_attr(response["Item"])).lead

    def page(self, f: LeadFilters, cursor: str | None = None) -> LeadPage:
        plan = _plan(f)
        condition, names, values = _filter_expression(f, plan)
        positions = decode_cursor(cursor, plan) if cursor else dict.fromkeys(plan.partitions)
        streams = [_Stream(p, positions[p], positions[p]) for p in plan.partitions if p in positions]
        forward = f.oldest_first if plan.by_time else True
        base: dict[str, Any] = {
            "TableName": self.table,
            "IndexName": plan.index,
            "KeyConditionExpression": plan.key_condition,
            "ExpressionAttributeNames": {**plan.names, **names},
            "ScanIndexForward": forward,
        }
        if condition:
            base["FilterExpression"] = condition
        keys = {"lead_id", plan.pk, plan.sk}
        leads: list[Lead] = []
        reads = 0
        # a read for each partition at least: a page cut before every partition had its first read
        # would return nothing and resume where it began
        budget = max(MAX_READS_PER_PAGE, len(streams))
        while len(leads) < f.limit:
            # the next lead is the first of the partitions' next ones: each needs one read ahead. They
            # are read in rounds, one read each, so that one partition whose reads the filter empties
            # cannot spend the page's reads before the others had theirs
            while waiting := [s for s in streams if not s.buffer and s.more]:
                for stream in waiting:
                    if reads >= budget:
                        return self._cut(leads, plan, streams)
                    # without a filter every item read is returned; with one, read full pages
                    limit = MAX_PAGE if condition else f.limit - len(leads)
                    args = {
                        **base,
                        "ExpressionAttributeValues": to_attr({**plan.values, **values, ":pk": stream.partition}),
                        "Limit": limit,
                    }
                    if stream.start:
                        args["ExclusiveStartKey"] = stream.start
                    response = call("query", **args)
                    reads += 1
                    stream.buffer.extend(response.get("Items", []))
                    stream.start = response.get("LastEvaluatedKey")
                    stream.more = stream.start is not None
            ready = [s for s in streams if s.buffer]
            if not ready:
                break
            pick = min if forward else max
            stream = pick(ready, key=lambda s: str(s.buffer[0][plan.sk]["S"]))  # index keys are strings
            item = stream.buffer.popleft()
            # resume right after the last lead returned, not after the last one read
            stream.resume = {k: v for k, v in item.items() if k in keys}
            leads.append(StoredLead.from_item(from_attr(item)).lead)
        return self._cut(leads, plan, streams)

    @staticmethod
    def _cut(leads: list[Lead], plan: _Plan, streams: list[_Stream]) -> LeadPage:
        """The page, and a cursor unless every partition was read to its end."""
        positions: Positions = {}
        for stream in streams:
            if stream.finished:
                continue
            # what was read but not returned is read again from the last returned lead
            positions[stream.partition] = stream.resume if stream.buffer else stream.start
        return LeadPage(leads=leads, next_cursor=encode_cursor(plan.index, positions) if positions else None)

    def all(self, f: LeadFilters, max_leads: int) -> Iterator[Lead]:
        cursor: str | None = None
        sent = 0
        page_filters = f.model_copy(update={"limit": MAX_PAGE})
        while sent < max_leads:
            page = self.page(page_filters, cursor)
            for lead in page.leads:
                yield lead
                sent += 1
            cursor = page.next_cursor
            if not cursor:
                return


def neutralize(value: Any) -> str:
    """A cell Excel will not run as a formula: a leading = + - @ tab or CR gets a quote in front."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def to_csv(leads: Iterator[Lead]) -> tuple[bytes, int]:
    """CSV that opens cleanly in Excel: UTF-8 with a BOM, CRLF, every cell neutralized."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(EXPORT_COLUMNS)
    count = 0
    for lead in leads:
        item = lead.to_item()
        writer.writerow([neutralize(item.get(c)) for c in EXPORT_COLUMNS])
        count += 1
    return ("\ufeff" + buffer.getvalue()).encode("utf-8"), count
