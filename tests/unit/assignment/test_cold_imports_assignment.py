"""What the assignment functions leave out of their cold start: each imports only what every one of
its requests needs (see the README's cold-start section).

GET /emails and GET /agents read one table: no engine, no presence, no intake, and none of the
WebSocket's models. `$connect` and `$disconnect` change an agent's connections: no engine. Only
assign-intake turns leads into emails, so only it creates the lead and event models; ws-messages
creates the event's model at the first disposition it announces.
"""

from __future__ import annotations

import json

import pytest

from leadflow import wiring
from tests.unit.core.test_cold_imports import _fresh_python

ENGINE = ("shared.assignment.build", "shared.assignment.engine", "shared.assignment.claiming", "shared.core.events")
INTAKE = ("shared.assignment.intake", "shared.core.models.lead", "shared.core.models.events")
#: the WebSocket's messages, replies and event, and the expiry queue's timers (with what sends them)
LINE = (
    "shared.assignment.presence",
    "shared.assignment.push",
    "shared.assignment.timers",
    "shared.core.models.websocket",
)
#: function key -> modules its handler must not load at import
NOT_AT_INIT = {
    "emails": (*ENGINE, *INTAKE, *LINE),
    "agents": (*ENGINE, *INTAKE, *LINE),
    "ws-connections": (*ENGINE, *INTAKE),
    "ws-messages": (*INTAKE, "shared.assignment.presence"),
    "assign-expiry": (*INTAKE, "shared.assignment.presence"),
}
#: what the probe must see loaded, so that an empty answer above means something
LOADED = {
    "emails": "shared.assignment.repository",
    "agents": "shared.assignment.repository",
    "ws-connections": "shared.assignment.presence",
    "ws-messages": "shared.assignment.engine",
    "assign-expiry": "shared.assignment.engine",
}


def _loaded(key: str, names: tuple[str, ...]) -> list[str]:
    module = wiring.function(key).handler.rsplit(".", 1)[0]
    code = f"import json, sys, {module}; print(json.dumps([m for m in json.loads(sys.argv[1]) if m in sys.modules]))"
    return list(json.loads(_fresh_python(code, json.dumps(names)).splitlines()[-1]))


@pytest.mark.parametrize("key", sorted(NOT_AT_INIT))
def test_a_handler_loads_only_what_its_requests_need(key: str) -> None:
    assert _loaded(key, (*NOT_AT_INIT[key], LOADED[key])) == [LOADED[key]]


def test_the_settings_module_is_only_settings() -> None:
    # every assignment function reads its settings here: it must not bring the engine along
    code = "import sys, shared.assignment.settings; print(sorted(m for m in sys.modules if m.startswith('shared.')))"
    assert (
        _fresh_python(code)
        == "['shared.assignment', 'shared.assignment.settings', 'shared.core', 'shared.core.settings']"
    )


#: the models of the two tables and of GET /emails and GET /agents (`shared.core.models.assignment`)
TABLES_AND_VIEWS = {"Email", "EmailRecord", "LeadSnapshot", "QueuedEmail", "EmailPage", "User", "AgentView", "Agents"}
_MODELS = """
import json, sys, importlib
from pydantic import BaseModel
importlib.import_module(sys.argv[1])
print(json.dumps(sorted(
    name
    for module in [m for m in sys.modules if m.startswith("shared.core.models.")]
    for name, value in vars(sys.modules[module]).items()
    if isinstance(value, type) and issubclass(value, BaseModel) and value.__module__ == module
)))
"""


@pytest.mark.parametrize("key", ["emails", "agents"])
def test_the_admin_routes_create_only_the_models_of_the_tables_and_their_views(key: str) -> None:
    module = wiring.function(key).handler.rsplit(".", 1)[0]
    created = set(json.loads(_fresh_python(_MODELS, module).splitlines()[-1]))
    assert created == TABLES_AND_VIEWS
