"""moto on the assignment engine's hot paths: the same answers as moto's own, with less work.

- Items in DynamoDB responses are written by a direct walk of each attribute value; moto's
  serializer visits every member shape of every value (ten, at every level of a map or list), and
  was a quarter of the local AWS's time on the engine's reads (binary values still go moto's way).
- Update expressions (every engine transaction names the same few) are parsed once per text, and
  the validator's copy of the parsed tree is a pickle round trip instead of `copy.deepcopy`. Plain
  ones (`SET name = :v`, `REMOVE name`, `ADD name :v`, `DELETE name :v` on top-level attributes) are
  applied directly when nothing in them could be refused; anything else goes through moto's
  validator and executor.

- A Query on a secondary index (the engine's oldest waiting email, longest idle agent) goes through
  every item of the table, then sorts the matches with `DynamoType` comparisons (about 0.1 s at
  5,000 waiting emails), for a request that wants the first few. Here each partition a query asks
  for is kept sorted in moto's order and current from the keys that writes mark (`_Indexes`), and a
  query reads its head: the first `Limit` (+1, for `LastEvaluatedKey`), written straight to wire JSON
  when nothing filters or projects them; moto's own query runs on them for everything else
  (pagination, size limit, filters, projection). Queries with a key condition on the sort key, an
  exclusive start key, a descending order, legacy `QueryFilter`s or multi-attribute keys are handed
  the whole partition (still without moto's sort); queries on the table itself are moto's own.
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

import bisect
import copy
import pickle
import threading
import time
import weakref
from collections.abc import Callable, Iterable
from functools import lru_cache
from typing import Any

from moto.core import serialize
from moto.dynamodb import models as dynamodb_models
from moto.dynamodb import responses as dynamodb_responses
from moto.dynamodb.comparisons import OpDefault
from moto.dynamodb.models import table as table_module
from moto.dynamodb.models.dynamo_type import DynamoType, Item
from moto.dynamodb.models.table import Table
from moto.dynamodb.parsing import executors, validators
from moto.dynamodb.parsing.ast_nodes import (  # type: ignore[attr-defined]
    ExpressionAttribute,
    ExpressionAttributeName,
    ExpressionAttributeValue,
    Node,
    UpdateExpressionAddAction,
    UpdateExpressionAddClause,
    UpdateExpressionDeleteAction,
    UpdateExpressionDeleteClause,
    UpdateExpressionPath,
    UpdateExpressionRemoveAction,
    UpdateExpressionRemoveClause,
    UpdateExpressionSetAction,
    UpdateExpressionSetClause,
    UpdateExpressionValue,
)
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


Order = tuple[Any, Any, Any]
Key = tuple[DynamoType, DynamoType | None]


class _Partition:
    """One partition of an index (its items with the wanted hash value), in moto's query order."""

    def __init__(self, member: Callable[[Item], Order | None]) -> None:
        self.member = member
        self.orders: list[Order] = []  # sorted
        self.keys: dict[Order, Key] = {}
        self.order_of: dict[Key, Order] = {}

    def put(self, key: Key, item: Item | None) -> None:
        old = self.order_of.pop(key, None)
        if old is not None:
            del self.orders[bisect.bisect_left(self.orders, old)]
            del self.keys[old]
        order = self.member(item) if item is not None else None
        if order is not None:
            bisect.insort(self.orders, order)
            self.keys[order] = key
            self.order_of[key] = order


class _Indexes:
    """A table's index partitions that queries asked for, kept current from the keys written since.

    Every write marks its item's key (`_mark`: after moto's `Table.put_item`, `Table.delete_item` and
    `DynamoDBBackend.update_item`, the only places that add, remove or change a table's items; the
    transaction, batch and PartiQL paths all go through them); a query first looks at the marked
    items again, then reads its partition's head in order: no pass over the whole table."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.partitions: dict[tuple[str, str, Any], _Partition] = {}
        self.dirty: set[Key] = set()


_indexes_lock = threading.Lock()
#: by table object: a table moto replaces (a restore, a recreation) starts afresh
_by_table: weakref.WeakKeyDictionary[Table, _Indexes] = weakref.WeakKeyDictionary()


def _indexes(table: Table) -> _Indexes:
    with _indexes_lock:
        found = _by_table.get(table)
        if found is None:
            found = _by_table[table] = _Indexes()
    return found


def _mark(table: Table, hash_key: Any, range_key: Any) -> None:
    state = _by_table.get(table)  # a table no index query has read yet has nothing to keep current
    if state is None or not isinstance(hash_key, DynamoType):
        return
    with state.lock:
        if state.partitions:
            state.dirty.add((hash_key, range_key if isinstance(range_key, DynamoType) else None))


def _current(table: Table, key: Key) -> Item | None:
    try:
        return table.get_item(key[0], key[1])
    except Exception:  # a key of the wrong shape for the table: nothing of it is stored
        return None


def _index_matches(
    table: Table,
    index_name: str,
    hash_key: DynamoType | None,
    hash_conditions: list[tuple[str, DynamoType]] | None,
    first: int | None = None,
) -> list[Item] | None:
    """The items of the index's partition in moto's order (the index's sort key, then the table's
    hash and range keys), the `first` few or all, or None for moto's own query."""
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

    def member(item: Item) -> Order | None:
        attrs = item.attrs
        found = attrs.get(attr)
        if found is None or not (found.value == value and found.type == "S" if plain else found == wanted):
            return None
        sort = attrs.get(range_attr) if range_attr is not None else None
        if range_attr is not None and not sort:
            return None
        return (
            _sort_value(sort),
            _sort_value(attrs.get(table_hash)),
            _sort_value(attrs.get(table_range)) if table_range else None,
        )

    state = _indexes(table)
    name = (index_name, wanted.type, wanted.value)  # a key value: a string (or bytes)
    with state.lock:
        dirty, state.dirty = state.dirty, set()
        for key in dirty:
            item = _current(table, key)
            for partition in state.partitions.values():
                partition.put(key, item)
        partition = state.partitions.get(name)
        if partition is None:
            partition = state.partitions[name] = _Partition(member)
            stored: Any = table.items
            if table.range_key_attr:
                items: list[Item] = [i for group in list(stored.values()) for i in list(group.values())]
            else:
                items = list(stored.values())
            for item in items:
                partition.put((item.hash_key, item.range_key), item)
        orders = partition.orders if first is None else partition.orders[:first]
        keys = [partition.keys[order] for order in orders]
    return [item for item in (_current(table, key) for key in keys) if item is not None]


def _marking_put(original: Callable[..., Any]) -> Callable[..., Any]:
    def put_item(self: Table, *args: Any, **kwargs: Any) -> Any:
        item = original(self, *args, **kwargs)
        if item is not None:
            _mark(self, item.hash_key, item.range_key)
        return item

    return put_item


def _marking_delete(original: Callable[..., Any]) -> Callable[..., Any]:
    def delete_item(self: Table, hash_key: Any, range_key: Any = None) -> Any:
        try:
            return original(self, hash_key, range_key)
        finally:
            _mark(self, hash_key, range_key)

    return delete_item


def _marking_update(original: Callable[..., Any]) -> Callable[..., Any]:
    def update_item(self: Any, table_name: str, key: dict[str, Any], *args: Any, **kwargs: Any) -> Any:
        try:
            return original(self, table_name, key, *args, **kwargs)
        finally:
            try:
                table = self.get_table(table_name)
                hash_key = DynamoType(key[table.hash_key_attr]) if table.hash_key_attr in key else None
                range_attr = table.range_key_attr
                range_key = DynamoType(key[range_attr]) if range_attr and range_attr in key else None
            except Exception:  # no such table, or a malformed key: nothing was written
                hash_key = None
            if hash_key is not None:
                _mark(table, hash_key, range_key)

    return update_item


class _Wired(dict[str, Any]):
    """An item's attributes already in DynamoDB's JSON (`_wire`): responses pass it on as it is."""


class _Answer:
    """An item of a query's answer, as the response reads it (its `attrs`)."""

    __slots__ = ("attrs",)

    def __init__(self, attrs: _Wired) -> None:
        self.attrs = attrs


def _projects_all(table: Table, index_name: str) -> bool:
    return (table.get_index(index_name).projection or {}).get("ProjectionType", "ALL") == "ALL"


def _first_few(table: Table, items: list[Item], limit: int, index_name: str) -> tuple[list[Any], int, Any]:
    """moto's query loop for the first `limit` of an index's items in order, with no filter and every
    attribute projected: the same items, count and `LastEvaluatedKey`, each item written straight to
    DynamoDB's JSON instead of deep-copied, converted to plain types and then serialized."""
    results: list[Item] = []
    size = 0
    last_key = None
    for item in items:
        item_size = item.size()
        if len(results) == limit or size + item_size > table_module.RESULT_SIZE_LIMIT:
            last_key = table._get_last_evaluated_key(results[-1], index_name)
            break
        results.append(item)
        size += item_size
    try:
        answers = [_Answer(_Wired({k: _WiredValue(_wire(v)) for k, v in i.attrs.items()})) for i in results]
    except _NotPlain:  # a binary value: moto's way, from its own copies
        answers = [_Answer(i.attrs) for i in copy.deepcopy(results)]  # type: ignore[arg-type]
    return answers, len(results), last_key


def _passing_wired(original: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """moto's conversion of a response to plain types, which leaves items already in wire form alone."""

    def dynamo_to_dict(obj: Any) -> Any:
        items = obj.get("Items") if type(obj) is dict else None
        if items and all(type(i) is _Wired for i in items):
            return {k: v if k == "Items" else original(v) for k, v in obj.items()}
        return original(obj)

    return dynamo_to_dict


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
            forward = scan_index_forward is not False
            few = bool(limit and not range_comparison and not exclusive_start_key and forward)  # the first few only
            found = _index_matches(self, index_name, hash_key, hash_key_conditions, int(limit) + 1 if few else None)
            if found is not None:
                unfiltered = filter_expression is None or type(filter_expression) is OpDefault
                if few and unfiltered and not projection_expressions and _projects_all(self, index_name):
                    return _first_few(self, found, int(limit), index_name)
                table = _Matches(self, found)
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


class _WiredValue(dict[str, Any]):
    """An attribute value `_wire` wrote: the serializer takes it as it is."""


def _direct_attribute_values(original: Callable[..., Any]) -> Callable[..., Any]:
    def _serialize_type_structure(self: Any, serialized: Any, value: Any, shape: Any, key: str) -> None:
        if type(value) is _WiredValue:
            serialized[self.get_serialized_name(shape, key)] = value
            return
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


# ---------------------------------------------------------------------- DynamoDB: plain updates, applied directly

_ACTIONS = {
    UpdateExpressionSetAction: "SET",
    UpdateExpressionRemoveAction: "REMOVE",
    UpdateExpressionAddAction: "ADD",
    UpdateExpressionDeleteAction: "DELETE",
}
_CLAUSES = (
    UpdateExpressionSetClause,
    UpdateExpressionRemoveClause,
    UpdateExpressionAddClause,
    UpdateExpressionDeleteClause,
)
#: (action, path, value placeholder): the path a top-level name (`a` or `#a`), the value one placeholder
Step = tuple[str, str, str | None]


def _top_level_name(path: Any) -> str | None:
    if not isinstance(path, UpdateExpressionPath) or len(path.children) != 1:
        return None
    (part,) = path.children
    if isinstance(part, ExpressionAttribute):
        return str(part.get_attribute_name())
    if isinstance(part, ExpressionAttributeName):
        return str(part.get_attribute_name_placeholder())
    return None


def _placeholder(node: Any) -> str | None:
    if isinstance(node, UpdateExpressionValue) and len(node.children) == 1:
        node = node.children[0]
    if isinstance(node, ExpressionAttributeValue):
        return str(node.get_value_name())
    return None


@lru_cache(maxsize=_PARSED_MAX)  # by tree: the parser above gives one tree per expression text
def _plain_steps(ast: Node) -> tuple[Step, ...] | None:
    """The actions of an update expression made only of `SET name = :v`, `REMOVE name`, `ADD name :v`
    and `DELETE name :v` on top-level attributes, each clause once; None for anything else (nested
    paths, functions, arithmetic), which moto's validator and executor handle."""
    if any(len(ast.find_clauses([clause])) > 1 for clause in _CLAUSES):
        return None
    steps: list[Step] = []
    for action in ast.find_clauses(list(_ACTIONS)):
        kind = _ACTIONS[type(action)]
        name = _top_level_name(action.children[0])
        value = _placeholder(action.children[1]) if len(action.children) > 1 else None
        if name is None or (kind == "REMOVE") != (value is None) or len(action.children) > 2:
            return None
        steps.append((kind, name, value))
    return tuple(steps) if steps else None


class _Plain:
    """A validated plain update: (action, attribute, value) steps, in place of moto's validated tree."""

    def __init__(self, steps: list[tuple[str, str, DynamoType | None]]) -> None:
        self.steps = steps

    def normalize(self) -> None:
        """Nothing to order: the paths are distinct top-level names."""


def _resolve(
    steps: tuple[Step, ...], names: dict[str, str] | None, values: dict[str, Any] | None, item: Item, table: Table
) -> _Plain | None:
    """The steps with names and values filled in, or None when moto could object to anything (a missing
    name or value, two actions on one attribute, a key attribute, a type an index would refuse, an ADD or
    DELETE on a value of another type): moto's own validator then says what, exactly as before."""
    names, values = names or {}, values or {}
    keys, indexed = set(table.table_key_attrs), {d["AttributeName"]: d["AttributeType"] for d in table.attr}
    resolved: list[tuple[str, str, DynamoType | None]] = []
    seen: set[str] = set()
    for kind, path, placeholder in steps:
        name = names.get(path) if path.startswith("#") else path
        if name is None or name in seen or name in keys or path in keys:
            return None
        seen.add(name)
        if placeholder is None:
            resolved.append((kind, name, None))
            continue
        raw = values.get(placeholder)
        if not isinstance(raw, dict) or len(raw) != 1:
            return None
        value = DynamoType(raw)
        current = item.attrs.get(name)
        if kind == "SET":
            wanted = indexed.get(name, indexed.get(path))
            if (wanted is not None and wanted != value.type) or (
                (name in indexed or path in indexed) and value.type in ("S", "B") and not value.value
            ):
                return None
        elif kind == "ADD":
            if not (value.type == "N" or (value.is_set() and value.value)):
                return None
            if current is not None and current.type != value.type:
                return None
        elif not value.is_set() or (current is not None and current.type != value.type):  # DELETE
            return None
        resolved.append((kind, name, value))
    return _Plain(resolved)


def _apply(plain: _Plain, item: Item) -> None:
    """moto's executors' results for plain steps (sets keep their order, with additions at the end)."""
    attrs = item.attrs
    for kind, name, value in plain.steps:
        current = attrs.get(name)
        if kind == "REMOVE":
            attrs.pop(name, None)
        elif kind == "SET":
            attrs[name] = value
        elif kind == "ADD":
            assert value is not None
            if value.type == "N":
                attrs[name] = (current or DynamoType({"N": "0"})) + value
            else:
                members = list(current.value) if current is not None else []
                members += [v for v in value.value if v not in members]
                attrs[name] = DynamoType({value.type: members})
        elif current is not None:  # DELETE: an emptied set is removed (DynamoDB has no empty sets)
            assert value is not None
            left = [v for v in current.value if v not in value.value]
            if left:
                attrs[name] = DynamoType({current.type: left})
            else:
                del attrs[name]


class _PlainFirstValidator(validators.UpdateExpressionValidator):
    """moto's validator, which first tries the expression as plain steps (no tree copy, no traversals)."""

    def __init__(
        self,
        expression: Node,
        expression_attribute_names: dict[str, str] | None,
        expression_attribute_values: dict[str, Any] | None,
        item: Item,
        table: Table,
    ) -> None:
        self._args = (expression, expression_attribute_names, expression_attribute_values, item, table)

    def validate(self) -> Any:
        expression, names, values, item, table = self._args
        steps = _plain_steps(expression)
        plain = _resolve(steps, names, values, item, table) if steps else None
        if plain is not None:
            return plain
        return validators.UpdateExpressionValidator(expression, names, values, item=item, table=table).validate()


class _PlainFirstExecutor(executors.UpdateExpressionExecutor):
    def execute(self, node: Node | None = None) -> None:
        if isinstance(self.update_ast, _Plain):
            _apply(self.update_ast, self.item)
        else:
            super().execute(node)


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
    """Install (once; `leadflow.local.moto_patches.install` does, beside the other patches)."""
    if _REPLACED:
        return
    _replace(Table, "query", _fast_query(Table.query))
    _replace(Table, "put_item", _marking_put(Table.put_item))
    _replace(Table, "delete_item", _marking_delete(Table.delete_item))
    backend = dynamodb_models.DynamoDBBackend
    _replace(backend, "update_item", _marking_update(backend.update_item))
    _replace(dynamodb_responses, "dynamo_to_dict", _passing_wired(dynamodb_responses.dynamo_to_dict))
    _replace(UpdateExpressionParser, "make", _parsing_once(UpdateExpressionParser.make))
    _replace(validators, "deepcopy", _copy)
    _replace(dynamodb_models, "UpdateExpressionValidator", _PlainFirstValidator)
    _replace(dynamodb_models, "UpdateExpressionExecutor", _PlainFirstExecutor)
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
