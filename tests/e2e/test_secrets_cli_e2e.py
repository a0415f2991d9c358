"""`leadflow secrets list|set` against the local runtime's AWS (moto), for the prod stage's names.

The prod secrets are created here as the stacks create them (`wiring.SECRETS`: fields empty, the
generated field random), beside the dev stage the runtime uses, so the runtime's own secrets are
left alone. Values come from stdin or a prompt; they never appear on stdout or stderr.
"""

from __future__ import annotations

import contextlib
import io
import json
import secrets
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import pytest

from leadflow import wiring
from leadflow.cli import main
from leadflow.config import REPO_ROOT, load_stage
from leadflow.local.aws import clients
from leadflow.local.runtime import LocalRuntime

pytestmark = pytest.mark.e2e

PROD = load_stage("prod")
SID = "AC" + "0123456789abcdef" * 2
AUTH = "fedcba9876543210" * 2


@pytest.fixture
def sm(runtime: LocalRuntime) -> Iterator[Any]:
    """The prod stage's secrets in the local AWS, as a fresh deploy leaves them."""
    client = clients(runtime.moto.url, PROD.region)["secretsmanager"]
    for secret in wiring.SECRETS:
        value = dict.fromkeys(secret.fields, "")
        if secret.generated:
            value[secret.generated] = secrets.token_hex(32)
        client.create_secret(Name=PROD.name(secret.key), SecretString=json.dumps(value))
    yield client
    for name in [*(PROD.name(s.key) for s in wiring.SECRETS), PROD.name("llm")]:
        with contextlib.suppress(client.exceptions.ResourceNotFoundException):
            client.delete_secret(SecretId=name, ForceDeleteWithoutRecovery=True)


def value(sm: Any, key: str) -> dict[str, Any]:
    result: dict[str, Any] = json.loads(sm.get_secret_value(SecretId=PROD.name(key))["SecretString"])
    return result


def run(
    args: list[str], runtime: LocalRuntime, capsys: pytest.CaptureFixture[str], stdin: str | None = None
) -> tuple[int, str, str]:
    target = ["--stage", "prod", "--endpoint", runtime.moto.url]
    with pytest.MonkeyPatch.context() as patch:
        if stdin is not None:
            patch.setattr(sys, "stdin", io.StringIO(stdin))
        code = main(["secrets", *args, *target])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def listing(runtime: LocalRuntime, capsys: pytest.CaptureFixture[str]) -> dict[str, dict[str, Any]]:
    code, out, _ = run(["list", "--json"], runtime, capsys)
    assert code == 0
    return {row["name"]: row for row in json.loads(out)}


def test_list_shows_every_secret_and_whether_it_is_set_never_a_value(
    sm: Any, runtime: LocalRuntime, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = listing(runtime, capsys)
    assert set(rows) == {s.key for s in wiring.SECRETS} | {"llm"}
    assert {k: r["state"] for k, r in rows.items()} == {
        "slack-webhook": "not set",
        "downstream": "not set",
        "twilio": "not set",
        "llm": "not configured",
    }
    # the generated signing key is set, the url the operator gives is not
    assert rows["downstream"]["fields"] == {"url": False, "signing_key": True}
    signing_key = value(sm, "downstream")["signing_key"]
    code, out, _ = run(["list"], runtime, capsys)
    assert code == 0 and signing_key not in out
    assert "downstream" in out and "signing_key set" in out and "url empty" in out


def test_set_from_a_pipe_writes_the_field_and_keeps_the_others(
    sm: Any, runtime: LocalRuntime, capsys: pytest.CaptureFixture[str]
) -> None:
    webhook = "https://hooks.slack.com/services/T000/B000/" + secrets.token_hex(8)
    code, out, err = run(["set", "slack-webhook"], runtime, capsys, stdin=webhook + "\n")
    assert code == 0, err
    assert value(sm, "slack-webhook") == {"url": webhook}
    assert webhook not in out + err and "url written to leadflow-prod-slack-webhook" in out

    signing_key = value(sm, "downstream")["signing_key"]
    code, _, err = run(["set", "downstream.url"], runtime, capsys, stdin="https://crm.example.com/leads")
    assert code == 0, err
    assert value(sm, "downstream") == {"url": "https://crm.example.com/leads", "signing_key": signing_key}

    # two fields from a pipe: a JSON object naming both
    code, _, err = run(["set", "twilio"], runtime, capsys, stdin=json.dumps({"account_sid": SID, "auth_token": AUTH}))
    assert code == 0, err
    assert value(sm, "twilio") == {"account_sid": SID, "auth_token": AUTH}
    rows = listing(runtime, capsys)
    assert [rows[k]["state"] for k in ("slack-webhook", "downstream", "twilio")] == ["set"] * 3


def test_set_at_a_terminal_prompts_without_echo(
    sm: Any, runtime: LocalRuntime, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    prompts: list[str] = []
    answers = iter([SID, AUTH])

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    monkeypatch.setattr(sys, "stdin", Terminal())
    monkeypatch.setattr("getpass.getpass", lambda prompt: prompts.append(prompt) or next(answers))
    code, out, err = run(["set", "twilio"], runtime, capsys)
    assert code == 0, err
    assert prompts == ["twilio account_sid (not echoed): ", "twilio auth_token (not echoed): "]
    assert value(sm, "twilio") == {"account_sid": SID, "auth_token": AUTH}
    assert SID not in out + err and AUTH not in out + err


@pytest.mark.parametrize(
    ("name", "stdin", "message"),
    [
        ("slack-webhook", "http://hooks.slack.com/x", "url: not an https:// URL; nothing was written"),
        ("slack-webhook", "\n", "url: the value is empty; nothing was written"),
        ("slack-webhook", "https://a.example.com/x y", "url: the value has spaces or line breaks in it"),
        ("twilio", AUTH, "twilio has 2 fields (account_sid, auth_token): pipe a JSON object with exactly those"),
        ("twilio.auth_token", "not-hex", "auth_token: a Twilio auth token is 32 hex digits"),
        ("twilio.pin", "1234", "twilio has no field 'pin'; its fields are account_sid, auth_token"),
        ("stripe", "sk_x", "no secret 'stripe'; the secrets are slack-webhook, downstream, twilio, llm"),
    ],
)
def test_bad_input_is_refused_with_a_reason_and_nothing_is_written(
    sm: Any, runtime: LocalRuntime, capsys: pytest.CaptureFixture[str], name: str, stdin: str, message: str
) -> None:
    before = {s.key: value(sm, s.key) for s in wiring.SECRETS}
    code, out, err = run(["set", name], runtime, capsys, stdin=stdin)
    assert code == 2 and out == ""
    assert err.startswith("leadflow: error: ") and message in err and err.count("\n") == 1
    assert {s.key: value(sm, s.key) for s in wiring.SECRETS} == before


def test_the_region_is_the_stages_unless_given(
    sm: Any, runtime: LocalRuntime, capsys: pytest.CaptureFixture[str]
) -> None:
    # the prod secrets live in prod's region (cdk.json); another region has none
    assert PROD.region != "eu-west-1"
    code, out, err = run(["set", "slack-webhook", "--region", "eu-west-1"], runtime, capsys, stdin="https://x.example")
    assert code == 2 and out == ""
    assert "no secret leadflow-prod-slack-webhook in eu-west-1" in err and "make deploy STAGE=prod" in err
    code, out, _ = run(["list", "--region", "eu-west-1", "--json"], runtime, capsys)
    assert code == 0 and {r["state"] for r in json.loads(out) if r["name"] != "llm"} == {"missing"}
    assert value(sm, "slack-webhook") == {"url": ""}


def test_the_llm_key_gets_a_secret_of_its_own_until_the_stage_names_one(
    sm: Any, runtime: LocalRuntime, capsys: pytest.CaptureFixture[str]
) -> None:
    assert PROD.llm_secret_arn is None
    code, out, err = run(["set", "llm", "--json"], runtime, capsys, stdin="sk-first")
    assert code == 0, err
    first = json.loads(out)
    assert first["created"] is True and first["secret"].endswith(":secret:leadflow-prod-llm-" + first["secret"][-6:])
    assert value(sm, "llm") == {"api_key": "sk-first"}
    code, out, _ = run(["set", "llm"], runtime, capsys, stdin="sk-second")
    assert code == 0 and "set stages.prod.llm_secret_arn to arn:" in out and "sk-second" not in out
    assert value(sm, "llm") == {"api_key": "sk-second"}
    # made, but the stage does not name it yet: list says so
    row = listing(runtime, capsys)["llm"]
    assert (row["state"], row["fields"], row["secret"]) == ("not wired", {"api_key": True}, "leadflow-prod-llm")
    code, out, _ = run(["list"], runtime, capsys)
    assert "llm_secret_arn does not name it" in out and "sk-second" not in out


def test_as_a_process_the_value_comes_from_stdin_and_never_from_argv(sm: Any, runtime: LocalRuntime) -> None:
    cli = [sys.executable, "-m", "leadflow.cli", "secrets", "set", "slack-webhook"]
    target = ["--stage", "prod", "--endpoint", runtime.moto.url]
    webhook = "https://hooks.slack.com/services/" + secrets.token_hex(8)
    refused = subprocess.run([*cli, webhook, *target], cwd=REPO_ROOT, capture_output=True, text=True, timeout=60)
    assert refused.returncode == 2 and "unrecognized arguments" in refused.stderr
    assert value(sm, "slack-webhook") == {"url": ""}
    piped = subprocess.run([*cli, *target], input=webhook, cwd=REPO_ROOT, capture_output=True, text=True, timeout=60)
    assert piped.returncode == 0, piped.stderr
    assert webhook not in piped.stdout + piped.stderr
    assert value(sm, "slack-webhook") == {"url": webhook}
