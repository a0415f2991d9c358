"""Setting names are declared once on each side and must meet: every environment variable the wiring
gives a function (and so the stacks and the local runtime) is read by a settings model of `shared/`
(or by Powertools, or by the route-scope table), and every setting a model requires is given by the
wiring. A variable renamed on one side only fails here, not in a deployed function's first call."""

from __future__ import annotations

import importlib
from collections.abc import Iterator

from leadflow import wiring
from shared.core import scopes
from shared.core.settings import _Env

#: the settings modules of shared/ (a new one must be listed here to be checked)
SETTINGS_MODULES = (
    "shared.core.settings",
    "shared.assignment.settings",
    "shared.forms.settings",
    "shared.notification.settings",
)
#: read outside the settings models: Powertools' log level, the route-scope table
READ_ELSEWHERE = {"LOG_LEVEL", scopes.ENV}
#: settings with a default that no stage wires: the local runtime or a developer sets them
LOCAL_ONLY = {"LLM_API_KEY"}


def _models() -> set[type[_Env]]:
    for name in SETTINGS_MODULES:
        importlib.import_module(name)

    def walk(cls: type[_Env]) -> Iterator[type[_Env]]:
        for sub in cls.__subclasses__():
            yield sub
            yield from walk(sub)

    # the product's settings classes (a test may define its own)
    return {cls for cls in walk(_Env) if cls.__module__.startswith("shared.")}


def test_every_wired_variable_is_read_and_every_required_setting_is_wired() -> None:
    models = _models()
    read = {name for model in models for name in model.settings()}
    required = {name for model in models for name, setting in model.settings().items() if setting.required}
    wired = {name for fn in wiring.FUNCTIONS for name in fn.env}
    assert wired - read - READ_ELSEWHERE == set(), "wired but read by no settings model"
    assert required - wired == set(), "required by a settings model but given to no function"
    assert read - wired == LOCAL_ONLY, "read but never wired (say so in LOCAL_ONLY if only local)"


def test_a_function_gets_every_setting_its_handlers_models_require() -> None:
    """Per function, for the models its handler module names: each required field is in its env."""
    models = {model.__name__: model for model in _models()}
    missing = []
    checked = 0
    for fn in wiring.FUNCTIONS:
        module = importlib.import_module(fn.handler.rsplit(".", 1)[0])
        source = module.__loader__.get_source(module.__name__) or ""  # type: ignore[union-attr]
        for name, model in models.items():
            if f"load({name})" in source:
                checked += 1
                missing += [f"{fn.key}: {name}" for name, setting in model.settings().items()
                            if setting.required and name not in fn.env]  # fmt: skip
    assert checked >= len(wiring.FUNCTIONS) // 2, f"only {checked} handlers name their settings model"
    assert missing == []
