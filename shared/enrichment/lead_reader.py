"""Reading leads: filters served by the leads table's indexes, never a Scan; cursor pages; CSV export.

The most selective filter picks the index (job, status, source, then a prefix on email, name or
company, else all leads by creation time); the other filters ride along as a FilterExpression.
Pages are at most 100 leads; the cursor is the opaque, base64-encoded position of the last one.
"""

from __future__ import annotations

import base64
import binascii
import csv
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from shared.core.dynamo import call, from_attr, to_attr
from shared.core.errors import BadInput, NotFound
from shared.core.models import Lead
from shared.enrichment.enricher import INDEX_KIND, lead_from_item

MAX_PAGE = 100
#: how many DynamoDB pages one API page may read while filters drop items
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


@dataclass(frozen=True)
class _Plan:
    index: str
    key_condition: str
    values: dict[str, Any]
    names: dict[str, str]
    by_time: bool


def _plan(f: LeadFilters) -> _Plan:
    names: dict[str, str] = {}
    values: dict[str, Any] = {}
    for attribute, index in (("job_id", "by_job"), ("status", "by_status"), ("source", "by_source")):
        value = getattr(f, attribute)
        if value:
            names["#pk"] = attribute
            values[":pk"] = value
            return _time_range(_Plan(index, "#pk = :pk", values, names, True), f)
    for attribute, index, key in (
        ("email", "by_email", "email_key"),
        ("name", "by_name", "name_key"),
        ("company", "by_company", "company_key"),
    ):
        value = getattr(f, attribute)
        if value:
            names.update({"#pk": "kind", "#sk": key})
            values.update({":pk": INDEX_KIND, ":prefix": value})
            return _Plan(index, "#pk = :pk AND begins_with(#sk, :prefix)", values, names, False)
    names["#pk"] = "kind"
    values[":pk"] = INDEX_KIND
    return _time_range(_Plan("by_created", "#pk = :pk", values, names, True), f)


def _time_range(plan: _Plan, f: LeadFilters) -> _Plan:
    names = {**plan.names, "#t": "created_at"}
    values = dict(plan.values)
    if f.created_from and f.created_to:
        values.update({":from": f.created_from, ":to": f.created_to})
        return _Plan(plan.index, plan.key_condition + " AND #t BETWEEN :from AND :to", values, names, True)
    if f.created_from:
        values[":from"] = f.created_from
        return _Plan(plan.index, plan.key_condition + " AND #t >= :from", values, names, True)
    if f.created_to:
        values[":to"] = f.created_to
        return _Plan(plan.index, plan.key_condition + " AND #t <= :to", values, names, True)
    return plan


def _filter_expression(f: LeadFilters, plan: _Plan) -> tuple[str | None, dict[str, str], dict[str, Any]]:
    """The filters the chosen index does not serve."""
    parts, names, values = [], {}, {}
    equal = {"status": f.status, "source": f.source, "job_id": f.job_id, "country": f.country}
    for i, (attribute, value) in enumerate(equal.items()):
        if value and plan.names.get("#pk") != attribute:
            names[f"#f{i}"] = attribute
            values[f":f{i}"] = value
            parts.append(f"#f{i} = :f{i}")
    prefixes = {"email_key": f.email, "name_key": f.name, "company_key": f.company}
    for i, (attribute, value) in enumerate(prefixes.items()):
        if value and plan.names.get("#sk") != attribute:
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


def encode_cursor(index: str, key: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps({"i": index, "k": key}).encode()).decode().rstrip("=")


def decode_cursor(cursor: str, index: str) -> dict[str, Any]:
    try:
        data = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (ValueError, binascii.Error):
        raise BadInput("the cursor is not one this API gave out") from None
    if not isinstance(data, dict) or data.get("i") != index or not isinstance(data.get("k"), dict):
        raise BadInput("the cursor belongs to other filters; start again without it")
    key: dict[str, Any] = data["k"]
    return key


class LeadReader:
    def __init__(self, table: str) -> None:
        self.table = table

    def get(self, lead_id: str) -> Lead:
        response = call("get_item", TableName=self.table, Key=to_attr({"lead_id": lead_id}))
        if "Item" not in response:
            raise NotFound(f"lead {lead_id} not found")
        return lead_from_item(from_attr(response["Item"]))

    def page(self, f: LeadFilters, cursor: str | None = None) -> dict[str, Any]:
        plan = _plan(f)
        condition, names, values = _filter_expression(f, plan)
        args: dict[str, Any] = {
            "TableName": self.table,
            "IndexName": plan.index,
            "KeyConditionExpression": plan.key_condition,
            "ExpressionAttributeNames": {**plan.names, **names},
            "ExpressionAttributeValues": to_attr({**plan.values, **values}),
            "ScanIndexForward": f.oldest_first if plan.by_time else True,
        }
        if condition:
            args["FilterExpression"] = condition
        if cursor:
            args["ExclusiveStartKey"] = decode_cursor(cursor, plan.index)
        leads: list[dict[str, Any]] = []
        for _ in range(MAX_READS_PER_PAGE):
            # without a filter every item read is returned; with one, read full pages
            args["Limit"] = MAX_PAGE if condition else f.limit - len(leads)
            response = call("query", **args)
            items = response.get("Items", [])
            more = response.get("LastEvaluatedKey")
            for n, item in enumerate(items, start=1):
                leads.append(lead_from_item(from_attr(item)).to_item())
                if len(leads) == f.limit:
                    if n == len(items) and not more:
                        return {"leads": leads, "next_cursor": None}
                    # resume right after the last lead returned, not after the last one read
                    key = {k: v for k, v in item.items() if k in _key_attributes(plan)}
                    return {"leads": leads, "next_cursor": encode_cursor(plan.index, key)}
            if not more:
                return {"leads": leads, "next_cursor": None}
            args["ExclusiveStartKey"] = more
        return {"leads": leads, "next_cursor": encode_cursor(plan.index, args["ExclusiveStartKey"])}

    def all(self, f: LeadFilters, max_leads: int) -> Iterator[dict[str, Any]]:
        cursor: str | None = None
        sent = 0
        page_filters = f.model_copy(update={"limit": MAX_PAGE})
        while sent < max_leads:
            page = self.page(page_filters, cursor)
            for lead in page["leads"]:
                yield lead
                sent += 1
            cursor = page["next_cursor"]
            if not cursor:
                return


def _key_attributes(plan: _Plan) -> set[str]:
    index_keys = {
        "by_job": ("job_id", "created_at"),
        "by_status": ("status", "created_at"),
        "by_source": ("source", "created_at"),
        "by_created": ("kind", "created_at"),
        "by_email": ("kind", "email_key"),
        "by_name": ("kind", "name_key"),
        "by_company": ("kind", "company_key"),
    }
    return {"lead_id", *index_keys[plan.index]}


def neutralize(value: Any) -> str:
    """A cell Excel will not run as a formula: a leading = + - @ tab or CR gets a quote in front."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def to_csv(leads: Iterator[dict[str, Any]]) -> tuple[bytes, int]:
    """CSV that opens cleanly in Excel: UTF-8 with a BOM, CRLF, every cell neutralized."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(EXPORT_COLUMNS)
    count = 0
    for lead in leads:
        writer.writerow([neutralize(lead.get(c)) for c in EXPORT_COLUMNS])
        count += 1
    return ("\ufeff" + buffer.getvalue()).encode("utf-8"), count
