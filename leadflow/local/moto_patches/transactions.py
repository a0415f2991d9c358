"""moto's TransactWriteItems without a deep copy of every table it touches.

moto 5.2.5 backs up each table a transaction touches (`copy.deepcopy` of the whole table) so that
it can restore it when a condition fails, which makes one transaction cost as much as the table is
large (about 55 ms at 2,000 items and growing; 5 ms without the copy). With DynamoDB requests
serialized (`leadflow.local.moto_patches.atomic_writes`), checking first is enough: a transaction whose conditions
fail, or that names one item twice, writes nothing, so there is nothing to restore; one that
passes is applied without the backup, and without evaluating its conditions again.
"""

from __future__ import annotations

import copy
import json
import re
import threading
from collections.abc import Callable
from functools import lru_cache
from typing import Any

from moto.dynamodb import models as dynamodb_models
from moto.dynamodb.comparisons import (
    AttributePath,
    AttributeValue,
    FuncAttrExists,
    FuncAttrNotExists,
    OpAnd,
    OpEqual,
    get_filter_expression,
)
from moto.dynamodb.exceptions import MultipleTransactionsException, TransactionCanceledException
from moto.dynamodb.parsing.reserved_keywords import ReservedKeywords

_applying = threading.local()
_OPERATIONS = {"ConditionCheck", "Put", "Delete", "Update"}


class _CopyWithoutTableBackup:
    """The `copy` module as moto's DynamoDB models see it: tables are not copied while applying."""

    def __getattr__(self, name: str) -> Any:
        return getattr(copy, name)

    @staticmethod
    def deepcopy(value: Any, memo: Any = None) -> Any:
        if getattr(_applying, "active", False) and isinstance(value, dynamodb_models.Table):
            return value
        return copy.deepcopy(value, memo)


def _key_of(backend: Any, op_type: str, op: dict[str, Any]) -> dict[str, Any]:
    if op_type != "Put":
        return dict(op["Key"])
    table = backend.get_table(op["TableName"])
    key = {table.hash_key_attr: op["Item"][table.hash_key_attr]}
    if table.range_key_attr is not None:
        key[table.range_key_attr] = op["Item"][table.range_key_attr]
    return key


def _frozen(value: Any) -> str | None:
    return None if value is None else json.dumps(value, sort_keys=True)


#: one term of a plain condition: `attribute_exists(a)`, `attribute_not_exists(#a)` or `a = :v`
_TERM = re.compile(r"\s*(?:(attribute_exists|attribute_not_exists)\(\s*(#?\w+)\s*\)|(#?\w+)\s*=\s*(:\w+))\s*")
_RESERVED = frozenset(ReservedKeywords.get_reserved_keywords())


def _plain_condition(expression: str, names: dict[str, str], values: dict[str, Any]) -> Any:
    """moto's own condition tree for a condition made only of equalities and attribute_(not_)exists
    on top-level names, joined by AND, built without moto's lexer and parser (which cost more than
    evaluating); None for anything else (or anything moto would refuse), which moto parses."""
    terms = expression.split(" AND ")
    ops: list[Any] = []
    for term in terms:
        match = _TERM.fullmatch(term)
        if match is None:
            return None
        function, function_path, path, placeholder = match.groups()
        raw = function_path or path
        name = names.get(raw) if raw.startswith("#") else raw
        if name is None or (not raw.startswith("#") and raw.upper() in _RESERVED):
            return None
        attribute = AttributePath([name])
        if function == "attribute_exists":
            ops.append(FuncAttrExists(attribute))
        elif function == "attribute_not_exists":
            ops.append(FuncAttrNotExists(attribute))
        else:
            value = values.get(placeholder)
            if not isinstance(value, dict) or len(value) != 1:
                return None
            ops.append(OpEqual(attribute, AttributeValue(value)))
    condition = ops[0]
    for op in ops[1:]:
        condition = OpAnd(condition, op)
    return condition


@lru_cache(maxsize=1024)
def _condition(expression: str, names: str | None, values: str | None) -> Any:
    """A parsed condition (evaluating it reads the item only): most repeat, such as
    `attribute_not_exists(lead_id)` for every new lead."""
    parsed_names, parsed_values = json.loads(names) if names else None, json.loads(values) if values else None
    plain = _plain_condition(expression, parsed_names or {}, parsed_values or {})
    if plain is not None:
        return plain
    return get_filter_expression(expression, parsed_names, parsed_values)


def _checked_first(original: Callable[..., None]) -> Callable[..., None]:
    def transact_write_items(self: Any, transact_items: list[dict[str, Any]]) -> None:
        reasons: list[tuple[str | None, str | None, Any]] = []
        seen: set[str] = set()
        for item in transact_items:
            op_type, op = next(iter(item.items()))
            if op_type in _OPERATIONS:  # two operations on one item: refused before anything is written
                key = f"{op['TableName']}|{sorted(_key_of(self, op_type, op).items())}"
                if key in seen:
                    raise MultipleTransactionsException()
                seen.add(key)
            condition = op.get("ConditionExpression") if op_type in _OPERATIONS else None
            if condition is None:
                reasons.append((None, None, None))
                continue
            current = self.get_item(op["TableName"], _key_of(self, op_type, op))
            holds = _condition(
                condition, _frozen(op.get("ExpressionAttributeNames")), _frozen(op.get("ExpressionAttributeValues"))
            ).expr(current)
            reasons.append(
                (None, None, None) if holds else ("ConditionalCheckFailed", "The conditional request failed", None)
            )
        if any(code is not None for code, _, _ in reasons):
            raise TransactionCanceledException(reasons)
        # every condition holds, and the lock keeps it so: moto need not parse and evaluate each
        # one twice more (once in the transaction, once in put_item / update_item / delete_item)
        unconditional = [
            {op_type: {k: v for k, v in op.items() if k != "ConditionExpression"}}
            for op_type, op in (next(iter(item.items())) for item in transact_items)
        ]
        _applying.active = True
        try:
            original(self, unconditional)
        finally:
            _applying.active = False

    return transact_write_items


def patch() -> None:
    if getattr(dynamodb_models.DynamoDBBackend.transact_write_items, "_leadflow", False):
        return
    dynamodb_models.copy = _CopyWithoutTableBackup()  # type: ignore[assignment]
    patched = _checked_first(dynamodb_models.DynamoDBBackend.transact_write_items)
    patched._leadflow = True  # type: ignore[attr-defined]
    dynamodb_models.DynamoDBBackend.transact_write_items = patched  # type: ignore[method-assign]
