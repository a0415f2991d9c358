"""Every handler imports and answers one representative event as it ships: Python 3.12, isolated.

The asset and the layer are built by the code `cdk synth` runs (`stacks/packaging.py`). Each function
then runs in `python3.12 -I -S` with only its asset, the layer and a stand-in for what the Lambda runtime
provides (boto3, botocore) on its path, against the local AWS (moto on 127.0.0.1) with its environment
from the wiring. The negative tests build a broken asset or layer and show the same check fails.
"""

from __future__ import annotations

import base64
import json
import shutil
import subprocess
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from packaging.requirements import Requirement

from leadflow import wiring
from leadflow.config import REPO_ROOT, StageConfig, load_stage
from leadflow.local.aws import ACCOUNT, CREDENTIALS, MotoServer, Resources, provision
from leadflow.local.registry import resolve_env
from stacks.packaging import PIP_LAYER_ARGS
from tests.infra import shipped

# Runs inside the clean interpreter: put the given folders on the path, call the handler as Lambda
# would, and write its answer, where each top-level module came from and where our byte-code is.
RUNNER = r"""
import importlib, json, sys
paths, handler_path, out_path, timeout_ms = json.loads(sys.argv[1]), sys.argv[2], sys.argv[3], int(sys.argv[4])
sys.path[:0] = paths

class Context:
    function_name = "as-shipped"
    function_version = "$LATEST"
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:as-shipped"
    memory_limit_in_mb = 512
    aws_request_id = "as-shipped-request"
    log_group_name = "/aws/lambda/as-shipped"
    log_stream_name = "as-shipped"
    def get_remaining_time_in_millis(self):  # the whole declared timeout, as at an invocation's start
        return timeout_ms

module, _, attr = handler_path.rpartition(".")
handler = getattr(importlib.import_module(module), attr)
result = handler(json.load(sys.stdin), Context())
origins = {name: getattr(mod, "__file__", None) for name, mod in list(sys.modules.items()) if "." not in name}
# Where our byte-code is (or would be) cached: the asset's __pycache__ if it shipped. Not every handler
# imports shared.core.models (notify, downstream-sync do not): imported here, it is checked in each asset.
importlib.import_module("shared.core.models")
cached = {name: sys.modules[name].__cached__ for name in (module, "shared.core.models")}
with open(out_path, "w") as out:
    json.dump({"result": result, "origins": origins, "cached": cached}, out, default=str)
"""


@dataclass(frozen=True)
class LocalAws:
    url: str
    config: StageConfig
    resources: Resources
    admin_token: str
    agent_token: str

    def env(self, fn: wiring.Function) -> dict[str, str]:
        return {
            **resolve_env(fn, self.config, self.resources),
            **CREDENTIALS,
            "AWS_ENDPOINT_URL": self.url,
            "AWS_DEFAULT_REGION": self.config.region,
            "AWS_REGION": self.config.region,
            "POWERTOOLS_SERVICE_NAME": fn.key,
            "POWERTOOLS_METRICS_NAMESPACE": "Leadflow",
            "AWS_LAMBDA_FUNCTION_NAME": self.config.name(fn.key),
        }


@pytest.fixture(scope="session")
def python312() -> str:
    # Not a skip: CI runs on this image, and an untested package must fail loudly.
    return shipped.lambda_python()


@pytest.fixture(scope="session")
def layer_python() -> Path:
    return shipped.layer()


@pytest.fixture(scope="session")
def runtime() -> Path:
    return shipped.runtime_standin()


@pytest.fixture(scope="session")
def local_aws() -> Iterator[LocalAws]:
    config = load_stage("dev")
    moto = MotoServer()
    moto.start()
    try:
        resources = provision(config, moto.url)
        resources.websocket_endpoint = "http://127.0.0.1:9/dev"  # nothing listens: no handler here posts
        with pytest.MonkeyPatch.context() as mp:
            for name, value in {
                **CREDENTIALS,
                "AWS_ENDPOINT_URL": moto.url,
                "AWS_DEFAULT_REGION": config.region,
            }.items():
                mp.setenv(name, value)
            from shared.core.auth import Role, TokenStore
            from shared.core.aws import reset_clients

            reset_clients()
            tokens = TokenStore(resources.tables["tokens"])
            admin = tokens.create(role=Role.ADMIN, user="shipped-admin")
            agent = tokens.create(role=Role.AGENT, user="shipped-agent")
            reset_clients()
        yield LocalAws(moto.url, config, resources, admin, agent)
    finally:
        moto.stop()


# --- one representative event per function ------------------------------------------------------------


def _rest(
    method: str, resource: str, *, path: str | None = None, body: Any = None, query: dict[str, str] | None = None
) -> Callable[[LocalAws], dict[str, Any]]:
    role = "admin"

    def build(aws: LocalAws) -> dict[str, Any]:
        raw = json.dumps(body).encode() if body is not None else b""
        return {
            "resource": resource,
            "path": path or resource,
            "httpMethod": method,
            "headers": {"Content-Type": "application/json", "Host": "127.0.0.1"},
            "multiValueHeaders": {"Content-Type": ["application/json"], "Host": ["127.0.0.1"]},
            "queryStringParameters": query,
            "multiValueQueryStringParameters": {k: [v] for k, v in query.items()} if query else None,
            "pathParameters": None,
            "stageVariables": None,
            "requestContext": {
                "resourcePath": resource,
                "httpMethod": method,
                "requestId": str(uuid.uuid4()),
                "path": f"/dev{path or resource}",
                "accountId": ACCOUNT,
                "stage": "dev",
                "apiId": "local",
                "identity": {"sourceIp": "127.0.0.1"},
                "authorizer": {"principalId": f"shipped-{role}", "role": role, "user": f"shipped-{role}"},
            },
            "body": base64.b64encode(raw).decode() if raw else None,
            "isBase64Encoded": bool(raw),
        }

    return build


def _sqs(body: Any) -> Callable[[LocalAws], dict[str, Any]]:
    def build(aws: LocalAws) -> dict[str, Any]:
        return {
            "Records": [
                {
                    "messageId": str(uuid.uuid4()),
                    "receiptHandle": "as-shipped",
                    "body": body if isinstance(body, str) else json.dumps(body),
                    "attributes": {"ApproximateReceiveCount": "1", "SentTimestamp": "1700000000000"},
                    "messageAttributes": {},
                    "md5OfBody": "",
                    "eventSource": "aws:sqs",
                    "eventSourceARN": f"arn:aws:sqs:us-east-1:{ACCOUNT}:as-shipped",
                    "awsRegion": "us-east-1",
                }
            ]
        }

    return build


def _ws(route: str, body: Any = None) -> Callable[[LocalAws], dict[str, Any]]:
    def build(aws: LocalAws) -> dict[str, Any]:
        return {
            "requestContext": {
                "routeKey": route,
                "eventType": "CONNECT" if route == "$connect" else "MESSAGE",
                "connectionId": "shipped-connection",
                "requestId": str(uuid.uuid4()),
                "stage": "dev",
                "domainName": "127.0.0.1",
                "apiId": "local",
                "connectedAt": 1700000000000,
                "requestTimeEpoch": 1700000000000,
                "identity": {"sourceIp": "127.0.0.1"},
                "authorizer": {"principalId": "shipped-agent", "role": "agent", "user": "shipped-agent"},
            },
            **({"body": json.dumps(body)} if body is not None else {}),
        }

    return build


def _status(code: int) -> Callable[[Any], bool]:
    return lambda result: isinstance(result, dict) and result.get("statusCode") == code


_ok = _status(200)


def _no_failures(result: Any) -> bool:
    return isinstance(result, dict) and result.get("batchItemFailures") == []


def _allowed(result: Any) -> bool:
    return result["policyDocument"]["Statement"][0]["Effect"] == "Allow" and result["context"]["role"] in {
        "admin",
        "agent",
    }


EVENTS: dict[str, tuple[Callable[[LocalAws], dict[str, Any]], Callable[[Any], bool]]] = {
    "authorizer": (
        lambda aws: {
            "type": "TOKEN",
            "authorizationToken": f"Bearer {aws.admin_token}",
            "methodArn": f"arn:aws:execute-api:us-east-1:{ACCOUNT}:local/dev/GET/jobs",
        },
        _allowed,
    ),
    "uploads": (_rest("POST", "/uploads/presign", body={"filename": "leads.csv", "size": 1234}), _status(202)),
    "jobs": (_rest("GET", "/jobs"), _ok),
    "tokens": (_rest("POST", "/tokens", body={"role": "agent", "user": "ana"}), _status(201)),
    "splitter": (_sqs({"Records": [{"eventName": "s3:TestEvent"}]}), _no_failures),
    "store-leads": (
        _sqs(
            {
                "batch_id": "shipped-batch",
                "source": "phone",
                "rows": [{"w": None, "r": 1, "v": {"Phone": "+12125550178", "Contact Id": "shipped-contact"}}],
            }
        ),
        _no_failures,
    ),
    "leads-api": (_rest("GET", "/leads"), _ok),
    "connect-vanity": (
        lambda aws: {
            "Name": "ContactFlowEvent",
            "Details": {
                "ContactData": {"ContactId": "shipped-contact", "CustomerEndpoint": {"Address": "+12125550178"}},
                "Parameters": {},
            },
        },
        lambda r: isinstance(r, dict) and all(isinstance(v, str) for v in r.values()) and len(r) > 1,
    ),
    "callers": (_rest("GET", "/callers"), _ok),
    "ws-authorizer": (
        lambda aws: {
            "type": "REQUEST",
            "queryStringParameters": {"token": aws.agent_token},
            "methodArn": f"arn:aws:execute-api:us-east-1:{ACCOUNT}:local/dev/$connect",
            "requestContext": {"routeKey": "$connect", "eventType": "CONNECT", "connectionId": "shipped-connection"},
        },
        _allowed,
    ),
    "ws-connections": (_ws("$connect"), _ok),
    "ws-messages": (_ws("ping", {"action": "ping"}), _ok),
    "assign-intake": (_sqs({"detail": {}}), _no_failures),
    "assign-expiry": (_sqs({"email_id": "none", "user_id": "shipped-agent", "attempt": "1"}), _no_failures),
    "emails": (_rest("GET", "/emails"), _ok),
    "agents": (_rest("GET", "/agents"), _ok),
    "notify": (
        _sqs({"detail-type": "email.dispositioned", "detail": {"email_id": "em_1", "disposition": "no", "agent": "a"}}),
        _no_failures,
    ),
    "downstream-sync": (_sqs({"leads": []}), _no_failures),
    "deliveries": (_rest("GET", "/deliveries", query={"lead_id": "shipped-lead"}), _ok),
    "forms": (_rest("GET", "/admin/inflight"), _ok),
    # a step for a form lead that is gone: claimed, found missing, dropped
    "forward": (_sqs({"form_lead_id": "gone", "step": "marketing", "attempt": 1}), _no_failures),
    "twilio-sms": (
        _rest("POST", "/twilio/sms", body={"From": "+12125550178", "Body": "hi"}),
        _status(403),  # unsigned: refused after the secret is read, as from a stranger
    ),
}


# --- running a function as it ships ----------------------------------------------------------------


@dataclass(frozen=True)
class Shipped:
    returncode: int
    result: Any
    origins: dict[str, str | None]
    cached: dict[str, str | None]
    #: files the run created or rewrote on its path: byte-code that did not ship, or shipped stale
    written: list[str]
    output: str

    def bytecode_problems(self, asset: Path) -> list[str]:
        """Why the handler and `shared.core.models` did not run from byte-code shipped in `asset`."""
        problems = [f"the run wrote {path}" for path in self.written]
        for name, cached in self.cached.items():
            if not cached or not cached.startswith(str(asset)) or not Path(cached).is_file():
                problems.append(f"{name}: no byte-code in the asset ({cached})")
        return problems


def run_shipped(python: str, fn: wiring.Function, path: list[str], aws: LocalAws, workdir: Path) -> Shipped:
    build_event, _ = EVENTS[fn.key]
    out = workdir / "result.json"
    folders = [Path(p) for p in path]
    before = shipped.snapshot(*folders)
    proc = subprocess.run(
        [python, *shipped.ISOLATED, "-c", RUNNER, json.dumps(path), fn.handler, str(out), str(fn.timeout_s * 1000)],
        input=json.dumps(build_event(aws)),
        capture_output=True,
        text=True,
        cwd=workdir,  # not the repo: nothing may come from the checkout
        env=aws.env(fn),
        timeout=120,
        check=False,
    )
    written = shipped.written(before, *folders)
    # The layer and the runtime stand-in are cached under build/ for the whole session: take back the
    # files this run added there, so that one failure does not hide the same fault from the next run.
    for name in written:
        if name not in before and Path(name).is_relative_to(shipped.BUILD):
            Path(name).unlink(missing_ok=True)
    data = json.loads(out.read_text()) if proc.returncode == 0 else {"result": None, "origins": {}, "cached": {}}
    return Shipped(
        proc.returncode, data["result"], data["origins"], data["cached"], written, (proc.stdout + proc.stderr)[-4000:]
    )


def test_every_function_has_a_representative_event() -> None:
    assert set(EVENTS) == {fn.key for fn in wiring.FUNCTIONS}


@pytest.mark.parametrize("fn", wiring.FUNCTIONS, ids=lambda fn: fn.key)
def test_handler_runs_as_shipped(
    fn: wiring.Function, python312: str, layer_python: Path, runtime: Path, local_aws: LocalAws, tmp_path: Path
) -> None:
    asset = shipped.asset(fn, tmp_path / "stage")
    run = run_shipped(python312, fn, shipped.lambda_path(asset, layer_python, runtime), local_aws, tmp_path)
    assert run.returncode == 0, f"{fn.key} failed as shipped:\n{run.output}"
    assert EVENTS[fn.key][1](run.result), f"{fn.key} answered {run.result!r}\n{run.output}"
    # each module came from the asset, the layer, the runtime or the standard library, and the
    # runtime's boto3/botocore were not shadowed by a copy in the layer
    roots = (str(asset), str(layer_python), str(runtime))
    for name, origin in run.origins.items():
        if origin and not origin.startswith(roots):
            assert "site-packages" not in origin and not origin.startswith(str(REPO_ROOT)), (name, origin)
    for name in ("boto3", "botocore"):
        assert str(run.origins[name]).startswith(str(runtime)), (name, run.origins[name])
    # Lambda cannot write byte-code into /var/task or /opt: what did not ship compiled (or shipped stale)
    # is compiled again at every cold start. Here the run may write, and must not have needed to.
    assert not run.bytecode_problems(asset), "\n".join(run.bytecode_problems(asset))


def test_the_lock_is_complete_and_leaves_the_runtime_its_own(layer_python: Path, runtime: Path) -> None:
    """Built with --no-deps, the layer must still satisfy every requirement of what it holds."""
    from importlib.metadata import distributions

    def index(folder: Path) -> dict[str, str]:
        return {d.metadata["Name"].lower().replace("_", "-"): d.version for d in distributions(path=[str(folder)])}

    layer, provided = index(layer_python), index(runtime)
    assert not set(layer) & set(provided), f"the layer shadows the runtime's {set(layer) & set(provided)}"
    assert "aws-xray-sdk" not in layer and "phonenumbers" not in layer and "phonenumberslite" in layer
    both = {**provided, **layer}
    marker_env = {"python_version": "3.12", "python_full_version": "3.12.0", "sys_platform": "linux", "extra": ""}
    missing = []
    for dist in distributions(path=[str(layer_python)]):
        for text in dist.requires or []:
            req = Requirement(text)
            if req.marker and not req.marker.evaluate(marker_env):
                continue
            have = both.get(req.name.lower().replace("_", "-"))
            if have is None or not req.specifier.contains(have, prereleases=True):
                missing.append(f"{dist.metadata['Name']} needs {text}, the layer and runtime have {have}")
    assert not missing, "\n".join(missing)


# --- the same check fails when the package is broken ----------------------------------------------------

BROKEN_FN = "store-leads"  # imports phonenumbers, pydantic (a compiled wheel) and most of shared/


def _without_module(layer_python: Path, tmp: Path) -> Path:
    broken = tmp / "layer" / "python"
    shutil.copytree(layer_python, broken)
    shutil.rmtree(broken / "phonenumbers")
    return broken


def _wrong_wheel(layer_python: Path, tmp: Path) -> Path:
    # the layer built for the wrong Python: pydantic-core's compiled module is cp311, not cp312
    args = tuple("3.11" if a == "3.12" else a for a in PIP_LAYER_ARGS)
    assert args != PIP_LAYER_ARGS
    return shipped.layer(args)


@pytest.mark.parametrize(
    ("breakage", "expected"),
    [
        ("module missing from the layer", "No module named 'phonenumbers'"),
        ("wrong-platform wheel in the layer", "from 'pydantic_core._pydantic_core' (unknown location)"),
        ("shared/ file left out of the asset", "No module named 'shared.core.errors'"),
    ],
)
def test_a_broken_package_fails_the_check(
    breakage: str,
    expected: str,
    python312: str,
    layer_python: Path,
    runtime: Path,
    local_aws: LocalAws,
    tmp_path: Path,
) -> None:
    fn = wiring.function(BROKEN_FN)
    asset = shipped.asset(fn, tmp_path / "stage")
    layer = layer_python
    if breakage == "module missing from the layer":
        layer = _without_module(layer_python, tmp_path)
    elif breakage == "wrong-platform wheel in the layer":
        layer = _wrong_wheel(layer_python, tmp_path)
    else:
        (asset / "shared" / "core" / "errors.py").unlink()
    run = run_shipped(python312, fn, shipped.lambda_path(asset, layer, runtime), local_aws, tmp_path)
    assert run.returncode != 0
    assert expected in run.output, run.output


# --- and when what ships is not compiled ------------------------------------------------------------------


def _layer_without_bytecode(layer_python: Path, tmp: Path) -> Path:
    stripped = tmp / "layer" / "python"
    shutil.copytree(layer_python, stripped, ignore=shutil.ignore_patterns("__pycache__"))
    return stripped


@pytest.mark.parametrize("uncompiled", ["asset", "layer"])
def test_what_ships_without_byte_code_fails_the_check(
    uncompiled: str,
    python312: str,
    layer_python: Path,
    runtime: Path,
    local_aws: LocalAws,
    tmp_path: Path,
) -> None:
    # Given the function staged as synth stages it without a CPython 3.12, or a layer built so
    fn = wiring.function(BROKEN_FN)
    asset = shipped.asset(fn, tmp_path / "stage", bytecode=uncompiled != "asset")
    layer = _layer_without_bytecode(layer_python, tmp_path) if uncompiled == "layer" else layer_python
    # When it runs, it still answers
    run = run_shipped(python312, fn, shipped.lambda_path(asset, layer, runtime), local_aws, tmp_path)
    assert run.returncode == 0 and EVENTS[fn.key][1](run.result), run.output
    # Then the byte-code check finds what Python had to compile and write, in the uncompiled folder only
    problems = run.bytecode_problems(asset)
    folder = str(asset if uncompiled == "asset" else layer)
    elsewhere = [p for p in problems if not p.startswith(f"the run wrote {folder}/")]
    assert problems and not elsewhere, elsewhere
    assert any(p.endswith(".cpython-312.pyc") for p in problems), problems
