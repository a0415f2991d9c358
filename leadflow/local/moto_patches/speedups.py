"""Three of moto's hot paths made cheaper, with the same results.

The local ingestion path is bound by the moto server's one Python process; profiling it on the
100,000-row benchmark showed most of its time in three places that repeat work per call:

- `Item.__init__` puts each attribute through `LimitedSizeDict.__setitem__`, which re-measures the
  whole item on every attribute (quadratic in the number of attributes). Here the item is measured
  once; an item over the limit still raises `ItemSizeTooLarge`.
- EventBridge's `EventTemplateParser.parse` builds a new jsonpath parser (a yacc table) for every
  path of every target of every event. Here parsed paths are cached (they are immutable).
- The same function serializes the whole event for `<aws.events.event.json>` even when the
  template does not name it, and the default template (no InputTransformer) makes each target's
  copy of the event through a JSON round trip. Here a default input is rendered only when the
  template names it, and the default template builds its dict directly.
- The request parser walks every DynamoDB AttributeValue through the service model, shape by
  shape, to find the rare blob to decode. Here AttributeValues are converted by a direct walk that
  decodes B and BS and copies everything else, which is what the shape walk yields for them.
- Every request lists moto's package directory (a `listdir` and an `isdir` per service) to
  route by host. Here the list is read once. Likewise every request lists its handler class's
  methods (`inspect.getmembers`) to find the action's; here once per class.
- `put_events` parses each entry's Detail once per rule on the bus, matching or not, and each
  rule's `matches_event` copies the whole event through JSON before reading it. Here one parse of
  a Detail serves every rule during one `put_events` call, and matching reads the event as it is
  (matching only reads; targets get their own copies).
"""

from __future__ import annotations

import json
import threading
import types
from functools import lru_cache
from typing import Any

from moto import backends as moto_backends
from moto.core import parse as moto_parse
from moto.core import responses as moto_responses
from moto.core import utils as moto_utils
from moto.dynamodb.exceptions import ItemSizeTooLarge
from moto.dynamodb.models import dynamo_type
from moto.dynamodb.models.utilities import bytesize
from moto.events import models as events_models
from moto.events import utils as events_utils

#: moto's own limit (dynamo_type.LimitedSizeDict): between the 400 KB DynamoDB documents and 410 KB
ITEM_BYTES_MAX = 405000


def _item_init(self: Any, hash_key: Any, range_key: Any, attrs: dict[str, Any]) -> None:
    self.hash_key = hash_key
    self.range_key = range_key
    converted = {key: dynamo_type.DynamoType(value) for key, value in attrs.items()}
    if sum(bytesize(key) + value.size() for key, value in converted.items()) > ITEM_BYTES_MAX:
        raise ItemSizeTooLarge
    self.attrs = dynamo_type.LimitedSizeDict()
    dict.update(self.attrs, converted)


def _attribute_value(value: dict[str, Any], blob: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for kind, inner in value.items():
        if kind == "M" and isinstance(inner, dict):
            out[kind] = {k: _attribute_value(v, blob) if isinstance(v, dict) else v for k, v in inner.items()}
        elif kind == "L" and isinstance(inner, list):
            out[kind] = [_attribute_value(v, blob) if isinstance(v, dict) else v for v in inner]
        elif kind == "B" and inner is not None:
            out[kind] = blob(inner)
        elif kind == "BS" and isinstance(inner, list):
            out[kind] = [blob(v) for v in inner]
        elif inner is not None:
            out[kind] = inner
    return out


def _structures_with_fast_attribute_values(original: Any) -> Any:
    def _parse_structure(self: Any, shape: Any, value: Any) -> Any:
        if shape.name == "AttributeValue" and isinstance(value, dict):
            return _attribute_value(value, self._blob_parser)
        return original(self, shape, value)

    return _parse_structure


@lru_cache(maxsize=256)
def _jsonpath(path: str) -> Any:
    from jsonpath_ng.ext import parse  # type: ignore[attr-defined]

    return parse(path)


def _parse_template(input_template: str, input_paths_map: dict[str, Any], event: Any) -> dict[str, Any]:
    parser = events_utils.EventTemplateParser
    if not input_template and not input_paths_map and isinstance(event.get("time"), (int, float)):
        # what the default template's JSON round trip gives, without the round trip
        return {
            "id": event["id"],
            "time": event["time"],
            "version": "0",
            "detail-type": event["detail-type"],
            "source": event["source"],
            "region": event["region"],
            "resources": list(event["resources"]),
            "detail": event["detail"],
        }
    template = input_template or parser.DEFAULT_EVENT_INPUT_TEMPLATE
    for name, path in (input_paths_map or parser.DEFAULT_EVENT_INPUT_PATHS_MAP).items():
        placeholder = f"<{name}>"
        if placeholder not in template:
            continue
        matches = _jsonpath(path).find(event)
        result = parser._stringify(matches[0].value) if matches else None
        if result:
            template = template.replace(placeholder, result)
    for name, value in (("aws.events.event.json", event), ("aws.events.event.ingestion-time", None)):
        placeholder = f"<{name}>"
        if placeholder in template:
            shown = event if value is not None else event["ingestion-time"]
            template = template.replace(placeholder, parser._stringify(shown))
    parsed: dict[str, Any] = json.loads(template)
    return parsed


class _Details(threading.local):
    active = False
    text: str | None = None
    value: Any = None


_details = _Details()


def _loads(text: Any, *args: Any, **kwargs: Any) -> Any:
    """json.loads for moto.events.models: within put_events, one parse per Detail string."""
    if not _details.active or args or kwargs or not isinstance(text, str):
        return json.loads(text, *args, **kwargs)
    if text is not _details.text:
        _details.value = json.loads(text)
        _details.text = text
    return _details.value


def _put_events_parsing_once(original: Any) -> Any:
    def put_events(self: Any, *args: Any, **kwargs: Any) -> Any:
        _details.active = True
        try:
            return original(self, *args, **kwargs)
        finally:
            _details.active, _details.text, _details.value = False, None, None

    return put_events


def _matches_event(self: Any, event: Any) -> bool:
    if not self._pattern:
        return True
    matched: bool = self._does_event_match(self._flatten_dict(event), self._pattern)
    return matched


_moto_modules = tuple(moto_backends.list_of_moto_modules())


def _list_of_moto_modules() -> tuple[str, ...]:
    return _moto_modules


#: a handler class's methods, as moto lists them per request (classes do not change while serving)
_method_names = lru_cache(maxsize=None)(moto_utils.method_names_from_class)


def patch() -> None:
    if getattr(events_models.EventsBackend.put_events, "_leadflow", False):
        return
    moto_responses.method_names_from_class = _method_names  # type: ignore[assignment]
    dynamo_type.Item.__init__ = _item_init  # type: ignore[method-assign]
    events_utils.EventTemplateParser.parse = staticmethod(_parse_template)  # type: ignore[method-assign]
    moto_backends.list_of_moto_modules = _list_of_moto_modules  # type: ignore[assignment]
    parser = moto_parse.BaseJSONParser
    parser._parse_structure = _structures_with_fast_attribute_values(parser._parse_structure)  # type: ignore[method-assign]
    module_json = types.SimpleNamespace(**{k: getattr(json, k) for k in ("dumps", "dump", "load", "JSONDecodeError")})
    module_json.loads = _loads
    setattr(events_models, "json", module_json)  # noqa: B010 (a module attribute moto reads)
    put_events = _put_events_parsing_once(events_models.EventsBackend.put_events)
    put_events._leadflow = True
    events_models.EventsBackend.put_events = put_events  # type: ignore[method-assign]
    events_models.EventPattern.matches_event = _matches_event  # type: ignore[method-assign]
