"""What a cold start imports: each handler module, imported as Lambda's init does, leaves out the heavy
libraries only a request needs (see the README's cold-start section for what moved and what it costs).

One subprocess imports what every handler shares (boto3, pydantic), then forks once per handler, so
each handler starts from the same clean set of modules and the test stays fast.
"""

from __future__ import annotations

import importlib
import json
import pkgutil
import subprocess
import sys
from types import ModuleType

import pytest

from leadflow import wiring
from leadflow.config import REPO_ROOT

#: loaded only by the code that needs them, at the first request that does (never at import)
NEVER_AT_INIT = (
    "httpx",  # Slack, downstream, Twilio, marketing and the LLM build their clients at first use
    "email_validator",  # the first email address a function standardizes
    "dns",  # email-validator's deliverability check, which no handler runs
    "openpyxl",
    "aws_lambda_powertools.utilities.parameters",  # the first secret read (`shared.core.secrets`)
)
PHONENUMBERS = "phonenumbers"
BATCH = "aws_lambda_powertools.utilities.batch"
EVENT_HANDLER = "aws_lambda_powertools.event_handler"
DATA_CLASSES = "aws_lambda_powertools.utilities.data_classes"
PROBED = (*NEVER_AT_INIT, PHONENUMBERS, BATCH, EVENT_HANDLER, DATA_CLASSES)
#: the functions that standardize rows (`shared.enrichment.standardize`), which still imports
#: phonenumbers at the top: the README names them among what remains
STANDARDIZE_ROWS = frozenset({"store-leads", "forms", "leads-api"})

_PROBE = """
import importlib, json, os, sys
handlers, probed = json.loads(sys.argv[1]), json.loads(sys.argv[2])
import boto3, botocore.session  # shared by every handler: imported once, before the forks
from pydantic import BaseModel
early = [m for m in probed if m in sys.modules]
if early:
    raise SystemExit(f"the probe itself loaded {early}")
found = {}
for module in handlers:
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(read)
        try:
            importlib.import_module(module)
            result = {"loaded": [m for m in probed if m in sys.modules]}
        except BaseException as exc:
            result = {"error": repr(exc)}
        os.write(write, json.dumps(result).encode())
        os._exit(0)
    os.close(write)
    data = b""
    while chunk := os.read(read, 65536):
        data += chunk
    os.close(read)
    os.waitpid(pid, 0)
    found[module] = json.loads(data)
print(json.dumps(found))
"""


def _fresh_python(code: str, *args: str, timeout_s: float = 120) -> str:
    """What `code` (given `args`) prints in a fresh interpreter at the repo's root."""
    result = subprocess.run(
        [sys.executable, "-c", code, *args],
        cwd=REPO_ROOT,
        env={"AWS_DEFAULT_REGION": "us-east-1", "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=timeout_s,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout.strip()


@pytest.fixture(scope="module")
def loaded() -> dict[str, set[str]]:
    """Function key -> the probed modules its handler module loaded at import."""
    modules = {fn.key: fn.handler.rsplit(".", 1)[0] for fn in wiring.FUNCTIONS}
    out = _fresh_python(_PROBE, json.dumps(sorted(modules.values())), json.dumps(PROBED), timeout_s=300)
    found = json.loads(out.splitlines()[-1])
    errors = {m: r["error"] for m, r in found.items() if "error" in r}
    assert not errors, errors
    return {key: set(found[module]["loaded"]) for key, module in modules.items()}


def test_the_probe_sees_what_a_handler_loads(loaded: dict[str, set[str]]) -> None:
    # every SQS consumer subclasses Powertools' BatchProcessor at import; nothing else needs it
    for fn in wiring.FUNCTIONS:
        assert (BATCH in loaded[fn.key]) == bool(fn.sqs_sources), fn.key


@pytest.mark.parametrize("module", NEVER_AT_INIT)
def test_no_handler_imports_what_only_a_request_needs(loaded: dict[str, set[str]], module: str) -> None:
    assert [key for key, modules in loaded.items() if module in modules] == []


def test_phonenumbers_only_where_rows_are_standardized(loaded: dict[str, set[str]]) -> None:
    # connect-vanity parses the caller's number per call, and GET /callers never does
    assert {key for key, modules in loaded.items() if PHONENUMBERS in modules} <= STANDARDIZE_ROWS


def test_powertools_event_classes_only_with_a_resolver_or_a_batch(loaded: dict[str, set[str]]) -> None:
    # the authorizers and the WebSocket routes read plain dicts; twilio-sms only calls out (shared.core.circuit)
    needless = [
        key for key, modules in loaded.items() if DATA_CLASSES in modules and not modules & {BATCH, EVENT_HANDLER}
    ]
    assert needless == []
    assert DATA_CLASSES not in loaded["twilio-sms"] and BATCH not in loaded["twilio-sms"]


def _model_modules() -> list[ModuleType]:
    from shared.core import models

    return [importlib.import_module(f"{models.__name__}.{info.name}") for info in pkgutil.iter_modules(models.__path__)]


def test_every_shared_model_builds_at_first_use_not_at_import() -> None:
    from pydantic import BaseModel

    modules = _model_modules()
    classes = [
        value
        for module in modules
        for value in vars(module).values()
        if isinstance(value, type) and issubclass(value, BaseModel) and value.__module__ == module.__name__
    ]
    assert len(classes) > 50, "the walk found the models"
    eager = [cls.__qualname__ for cls in classes if not cls.model_config.get("defer_build")]
    assert eager == [], "add defer_build (model_config = _DEFERRED) to these"


def test_every_model_is_reachable_from_the_package_and_found_where_it_is_declared() -> None:
    from shared.core import models

    public = {
        name: module.__name__
        for module in _model_modules()
        for name, value in vars(module).items()
        if not name.startswith("_") and getattr(value, "__module__", None) == module.__name__
    }
    homes = {name: f"{models.__name__}.{home}" for name, home in models._HOMES.items()}
    assert {n: m for n, m in public.items() if homes.get(n) != m} == {}, "list these in models._HOMES"
    for name in homes:
        assert getattr(models, name) is not None


def test_a_model_loads_only_its_own_domain() -> None:
    code = (
        "import sys; from shared.core.models import Lead; Lead(lead_id='x'); "
        "print(sorted(m for m in sys.modules if m.startswith('shared.core.models.')))"
    )
    assert _fresh_python(code) == "['shared.core.models._base', 'shared.core.models.lead']"


#: the functions in front of every request: they read a token record and a setting, nothing that
#: needs pydantic (importing it and building one model costs about 90 ms CPU of a cold start)
WITHOUT_PYDANTIC = ("authorizer", "ws-authorizer")


@pytest.mark.parametrize("key", WITHOUT_PYDANTIC)
def test_the_authorizers_start_without_pydantic(key: str) -> None:
    module = wiring.function(key).handler.rsplit(".", 1)[0]
    code = f"import sys, {module}; print(sorted(m for m in sys.modules if m.split('.')[0] == 'pydantic'))"
    loaded = _fresh_python(code)
    assert loaded == "[]", f"{key} loads pydantic at init: {loaded}"
