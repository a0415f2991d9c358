"""moto on the assignment engine's hot paths: the same answers as moto's own, with less work.

- Items in DynamoDB responses are written by a direct walk of each attribute value; moto's
  serializer visits every member shape of every value (ten, at every level of a map or list), and
  was a quarter of the local AWS's time on the engine's reads (binary values still go moto's way).
- Update expressions (every engine transaction names the same few) are parsed once per text, and
  the validator's copy of the parsed tree is a pickle round trip instead of `copy.deepcopy`.

- A Query on a secondary index (the engine's oldest waiting email, longest idle agent) goes through
  every item of the table, then sorts the matches with `DynamoType` comparisons (about 0.1 s at
  5,000 waiting emails), for a request that wants the first few. Here the matches are found with
  plain value comparisons and only the first `Limit` (+1, for `LastEvaluatedKey`) are sorted out
  (`heapq`), in moto's order; moto's own query then runs on them for everything else (pagination,
  size limit, filters, projection). Queries with a key condition on the sort key, an exclusive start
  key, a descending order, legacy `QueryFilter`s or multi-attribute keys are handed the matches in
  full (still without moto's sort); queries on the table itself are moto's own.
- An SQS queue holding thousands of delayed messages (one assignment timer each) costs a pass over
  all of them per `SendMessage` (moto computes every attribute of the queue, approximate counts
  included, to read `ContentBasedDeduplication`), several passes per `ReceiveMessage`, and one more
  for each long-polling consumer woken by every message sent. Here a message's `visible`/`delayed`
  read the clock directly (moto goes through `datetime` for each message), the approximate counts are
  not computed while a message is sent (nothing in sending reads them), and a long poll woken by a
  send looks only at the messages sent meanwhile; messages that become visible as time passes are
  found when the wait ends, as in moto.
"""

from __future__ import annotations

import copy
import heapq
import pickle
import threading
import time
from collections.abc import Callable, Iterable
from functools import lru_cache
from typing import Any

from moto.core import serialize
from moto.dynamodb.models.dynamo_type import DynamoType, Item
from moto.dynamodb.models.table import Table
from moto.dynamodb.parsing import validators
from moto.dynamodb.parsing.ast_nodes import Node  # type: ignore[attr-defined]
from moto.dynamodb.parsing.expressions import UpdateExpressionParser  # type: ignore[attr-defined]
from moto.sqs import models as sqs_models

_sending = threading.local()


# ---------------------------------------------------------------------- DynamoDB: Query on an index


class _Matches:
    """The table as moto's query sees it: only the given items, already in the index's order."""

    def __init__(self, table: Table, items: list[Item]) -> None:
        self._table = table
        self._items = items

    def __getattr__(self, name: str) -> Any:
        return getattr(self._table, name)

    def all_items(self) -> list[Item]:
        return self._items

    @staticmethod
    def sorted_items(_hash_attrs: Any, _range_attrs: Any, items: list[Item]) -> list[Item]:
        return items


def _sort_value(value: DynamoType | None) -> Any:
    if value is None:
        return None
    return value.value if value.type == "S" else value.cast_value  # a string's cast_value is itself


def _index_matches(
    table: Table, index_name: str, hash_key: DynamoType | None, hash_conditions: list[tuple[str, DynamoType]] | None
) -> list[tuple[Any, ...]] | None:
    """The items of the index's partition, each as (its order, tie-breaker, item), or None for moto's
    own query. The order is moto's: the index's sort key, then the table's hash and range keys."""
    index = next((i for i in table.all_indexes() if i.name == index_name), None)
    if index is None:
        return None
    hashes = [k["AttributeName"] for k in index.schema if k["KeyType"] == "HASH"]
    ranges = [k["AttributeName"] for k in index.schema if k["KeyType"] == "RANGE"]
    if len(hashes) != 1 or len(ranges) > 1:
        return None
    conditions = dict(hash_conditions or [])
    if set(conditions) - {hashes[0]}:
        return None
    wanted = conditions.get(hashes[0], hash_key)
    if wanted is None:
        return None
    attr, range_attr = hashes[0], ranges[0] if ranges else None
    table_hash, table_range = table.hash_key_attr, table.range_key_attr
    # strings (every key of this project) compare as they are; other types as moto compares them
    plain, value = wanted.type == "S", wanted.value
    # a copy of the table's items (one C-level step), so a concurrent put cannot change it under us
    stored: Any = table.items
    if table.range_key_attr:
        items: list[Item] = [i for group in list(stored.values()) for i in list(group.values())]
    else:
        items = list(stored.values())
    matches: list[tuple[Any, ...]] = []
    for seq, item in enumerate(items):
        attrs = item.attrs
        found = attrs.get(attr)
        if found is None or not (found.value == value and found.type == "S" if plain else found == wanted):
            continue
        sort = attrs.get(range_attr) if range_attr is not None else None
        if range_attr is not None and not sort:
            continue
        order = (
            _sort_value(sort),
            _sort_value(attrs.get(table_hash)),
            _sort_value(attrs.get(table_range)) if table_range else None,
        )
        matches.append((order, seq, item))
    return matches


def _fast_query(original: Callable[..., Any]) -> Callable[..., Any]:
    def query(
        self: Table,
        hash_key: DynamoType | None,
        range_comparison: str | None,
        range_objs: list[DynamoType],
        limit: int,
        exclusive_start_key: dict[str, Any],
        scan_index_forward: bool,
        projection_expressions: list[list[str]] | None,
        index_name: str | None = None,
        consistent_read: bool = False,
        filter_expression: Any = None,
        hash_key_conditions: list[tuple[str, DynamoType]] | None = None,
        range_key_conditions: list[tuple[str, str, list[DynamoType]]] | None = None,
        **filter_kwargs: Any,
    ) -> Any:
        table: Any = self
        if index_name and not filter_kwargs and not (range_key_conditions and len(range_key_conditions) > 1):
            found = _index_matches(self, index_name, hash_key, hash_key_conditions)
            if found is not None:
                forward = scan_index_forward is not False
                if limit and not range_comparison and not exclusive_start_key and forward:  # the first few only
                    found = heapq.nsmallest(int(limit) + 1, found)
                else:
                    found.sort()
                table = _Matches(self, [item for _, _, item in found])
        return original(
            table,
            hash_key,
            range_comparison,
            range_objs,
            limit,
            exclusive_start_key,
            scan_index_forward,
            projection_expressions,
            index_name,
            consistent_read,
            filter_expression,
            hash_key_conditions=hash_key_conditions,
            range_key_conditions=range_key_conditions,
            **filter_kwargs,
        )

    return query


# ---------------------------------------------------------------------- DynamoDB: items in responses


class _NotPlain(Exception):
    """A value the direct walk leaves to moto's serializer (binary, or anything unexpected)."""


def _wire(value: Any) -> dict[str, Any]:
    """An attribute value (moto's `DynamoType`, or its JSON form) as DynamoDB's JSON has it; moto's
    serializer visits every member shape of every value (ten, at every level of a map or list)."""
    if type(value) is DynamoType:
        kind, inner = value.type, value.value
    elif type(value) is dict and len(value) == 1:
        ((kind, inner),) = value.items()
    else:
        raise _NotPlain(type(value).__name__)
    if inner is None:
        raise _NotPlain(kind)
    if kind in ("S", "N"):
        return {kind: str(inner) if inner not in ({}, []) else inner}
    if kind in ("SS", "NS") and isinstance(inner, list):
        return {kind: [str(v) for v in inner]}
    if kind in ("BOOL", "NULL") and isinstance(inner, bool):
        return {kind: inner}
    if kind == "M" and isinstance(inner, dict):
        return {"M": {k: _wire(v) for k, v in inner.items()}}
    if kind == "L" and isinstance(inner, list):
        return {"L": [_wire(v) for v in inner]}
    raise _NotPlain(kind)


def _direct_attribute_values(original: Callable[..., Any]) -> Callable[..., Any]:
    def _serialize_type_structure(self: Any, serialized: Any, value: Any, shape: Any, key: str) -> None:
        if key and shape.name == "AttributeValue":
            try:
                wired = _wire(value)
            except _NotPlain:
                pass
            else:
                serialized[self.get_serialized_name(shape, key)] = wired
                return
        original(self, serialized, value, shape, key)

    return _serialize_type_structure


# ---------------------------------------------------------------------- DynamoDB: update expressions

#: every engine transaction names the same few update expressions; moto parses each one twice per
#: item (once to list its names and values, once to apply it) and the result is never changed (the
#: validator works on a deep copy), so one parse per expression text is enough
_PARSED_MAX = 512


def _parsing_once(original: Callable[[str], Any]) -> Any:
    cached = lru_cache(maxsize=_PARSED_MAX)(original)

    def make(cls: Any, expression_str: str) -> Any:
        return cached(expression_str)

    return classmethod(make)


def _copy(value: Any, memo: Any = None) -> Any:
    """`copy.deepcopy` as moto's update validator uses it, on its expression trees by a pickle round
    trip (the same reduction protocol, about seven times faster); anything else as before."""
    if memo is None and isinstance(value, Node):
        try:
            pickled = pickle.dumps(value, pickle.HIGHEST_PROTOCOL)
        except (pickle.PicklingError, TypeError, AttributeError):  # an unpicklable tree: the general copy
            return copy.deepcopy(value)
        return pickle.loads(pickled)  # noqa: S301 (bytes this function just made)
    return copy.deepcopy(value, memo)


# ---------------------------------------------------------------------- SQS: queues of delayed messages


def _now_ms() -> float:
    return time.time() * 1000


def _visible(self: Any) -> bool:
    return bool(_now_ms() > self.visible_at)


def _delayed(self: Any) -> bool:
    return bool(_now_ms() < self.delayed_until)


def _ready(messages: Iterable[Any]) -> bool:
    now = _now_ms()
    return any(now > m.visible_at and not now < m.delayed_until for m in messages)


def _wait_for_messages(self: Any, timeout: int) -> None:
    """moto's wait: until a message can be received or `timeout`; a wake-up looks at what is new."""
    deadline = time.monotonic() + timeout
    with self._messages_lock:
        messages = self._messages
        if _ready(messages):
            return
        seen = len(messages)
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                return
            self._messages_lock.wait(left)
            current = self._messages
            # sent meanwhile: appended to the same list; a delete replaces the list: look at all of it
            fresh = current[seen:] if current is messages and len(current) >= seen else current
            if _ready(fresh):
                return
            messages, seen = current, len(current)


def _count_unless_sending(original: property) -> property:
    def count(self: Any) -> int:
        if getattr(_sending, "active", False):
            return 0
        return int(original.fget(self))  # type: ignore[misc]

    return property(count)


def _sending_message(original: Callable[..., Any]) -> Callable[..., Any]:
    def send_message(self: Any, *args: Any, **kwargs: Any) -> Any:
        outer = getattr(_sending, "active", False)
        _sending.active = True
        try:
            return original(self, *args, **kwargs)
        finally:
            _sending.active = outer

    return send_message


# ---------------------------------------------------------------------- install

_COUNTS = (
    "approximate_number_of_messages",
    "approximate_number_of_messages_delayed",
    "approximate_number_of_messages_not_visible",
)
#: what `patch` replaced, for `unpatch`: (owner, attribute, moto's own)
_REPLACED: list[tuple[Any, str, Any]] = []


def _replace(owner: Any, name: str, value: Any) -> None:
    _REPLACED.append((owner, name, vars(owner)[name]))
    setattr(owner, name, value)


def patch() -> None:
    """Install (once; `moto_main` does, beside the other patches)."""
    if _REPLACED:
        return
    _replace(Table, "query", _fast_query(Table.query))
    _replace(UpdateExpressionParser, "make", _parsing_once(UpdateExpressionParser.make))
    _replace(validators, "deepcopy", _copy)
    _replace(
        serialize.BaseJSONSerializer,
        "_serialize_type_structure",
        _direct_attribute_values(serialize.BaseJSONSerializer._serialize_type_structure),
    )
    _replace(sqs_models.Message, "visible", property(_visible))
    _replace(sqs_models.Message, "delayed", property(_delayed))
    _replace(sqs_models.Queue, "wait_for_messages", _wait_for_messages)
    for name in _COUNTS:
        _replace(sqs_models.Queue, name, _count_unless_sending(sqs_models.Queue.__dict__[name]))
    _replace(sqs_models.SQSBackend, "send_message", _sending_message(sqs_models.SQSBackend.send_message))


def unpatch() -> None:
    """moto as it was (tests compare the two)."""
    while _REPLACED:
        owner, name, value = _REPLACED.pop()
        setattr(owner, name, value)
