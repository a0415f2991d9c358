"""`make deploy`, `make destroy` and `make smoke` as make reads them (`make -n`: nothing runs, there is
no AWS account here), their refusals, and what `leadflow.deploy` prints after a deploy."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from leadflow import deploy, wiring
from leadflow.config import REPO_ROOT, load_stage

OUTPUTS = {
    "Leadflow-dev-Assignment": {
        "WebSocketUrl": "wss://ws.example/dev",
        "ConsoleUrl": "https://console.example",
    },
    "Leadflow-dev-Ingestion": {
        "ApiUrl": "https://api.example/dev/",
        "LeadflowApiEndpoint0E1C9A2B": "https://api.example/dev/",
    },
    "Leadflow-prod-Ingestion": {"ApiUrl": "https://other.example/prod/"},
}


def make(*args: str) -> subprocess.CompletedProcess[str]:
    # as run by hand: under `make test` the outer make's level and flags would make this one print
    # "Entering directory" lines
    env = {k: v for k, v in os.environ.items() if k not in {"MAKELEVEL", "MAKEFLAGS", "MFLAGS", "MAKEOVERRIDES"}}
    env["STAGE"] = "dev"  # in the environment (as under the e2e tests): only the command line's STAGE counts
    return subprocess.run(
        ["make", "--no-print-directory", *args], cwd=REPO_ROOT, capture_output=True, text=True, timeout=120, env=env
    )


def commands(result: subprocess.CompletedProcess[str]) -> list[str]:
    """The deploy commands `make -n` would run (without setup's, which run only when stale)."""
    assert result.returncode == 0, result.stderr
    lines = [" ".join(line.split()) for line in result.stdout.splitlines()]
    return [line for line in lines if line.startswith(("npx cdk", ".venv/bin/python -m leadflow.deploy"))]


def test_deploy_bootstraps_diffs_deploys_with_an_outputs_file_then_prints_the_next_steps() -> None:
    assert commands(make("-n", "deploy", "STAGE=dev")) == [
        "npx cdk bootstrap -c stage=dev",
        "npx cdk diff -c stage=dev",
        "npx cdk deploy --all -c stage=dev --require-approval broadening --outputs-file cdk.out/outputs-dev.json",
        ".venv/bin/python -m leadflow.deploy next-steps dev --outputs cdk.out/outputs-dev.json",
    ]


def test_prod_takes_its_alarm_recipients_on_every_cdk_command() -> None:
    cdk = [
        c
        for c in commands(make("-n", "deploy", "STAGE=prod", "ALARM_EMAILS=oncall@example.com"))
        if c.startswith("npx cdk")
    ]
    assert len(cdk) == 3
    assert all("-c stage=prod -c alarm_emails=oncall@example.com" in c for c in cdk)


def test_destroy_deletes_the_stacks_then_says_what_it_kept() -> None:
    assert commands(make("-n", "destroy", "STAGE=dev")) == [
        "npx cdk destroy --all -c stage=dev",
        ".venv/bin/python -m leadflow.deploy kept dev",
    ]


@pytest.mark.parametrize("target", ["deploy", "destroy"])
def test_a_missing_or_unknown_stage_is_refused_before_anything_runs(target: str) -> None:
    stages = " ".join(json.loads((REPO_ROOT / "cdk.json").read_text())["context"]["stages"])
    missing = make(target)
    assert missing.returncode == 2 and missing.stdout == ""
    assert f"STAGE is required on the command line: make {target} STAGE=<one of: {stages}>" in missing.stderr
    unknown = make(target, "STAGE=qa")
    assert unknown.returncode == 2 and unknown.stdout == ""
    assert f"unknown STAGE 'qa': cdk.json declares {stages}" in unknown.stderr


def test_smoke_passes_its_urls_and_token_to_the_suite_and_needs_all_three() -> None:
    [line] = [
        " ".join(x.split())
        for x in make("-n", "smoke", "API=https://a/dev", "TOKEN=lf_t", "WS=wss://w/dev").stdout.splitlines()
        if "pytest" in x
    ]
    assert "SMOKE_API='https://a/dev' SMOKE_TOKEN='lf_t' SMOKE_WS='wss://w/dev'" in line
    assert line.endswith("tests/smoke")
    refused = make("smoke", "API=https://a/dev")
    assert refused.returncode == 2 and "make smoke: API, TOKEN and WS are required" in refused.stderr


def test_the_next_steps_name_the_stages_urls_secrets_ses_first_token_and_smoke(tmp_path: Path) -> None:
    config = load_stage("dev")
    found = deploy.stack_outputs(OUTPUTS, "dev")
    assert found == {
        "WebSocketUrl": "wss://ws.example/dev",
        "ConsoleUrl": "https://console.example",
        "ApiUrl": "https://api.example/dev/",
    }
    text = deploy.next_steps(config, found, tmp_path / "outputs-dev.json")
    steps = [text.index(marker) for marker in ("1. Fill in the secrets", "2. SES", "3. The first admin", "4. Smoke")]
    assert steps == sorted(steps)
    for secret in wiring.SECRETS:
        assert f"leadflow secrets set {secret.key} --stage dev" in text
    assert "leadflow secrets set llm --stage dev" in text
    assert f"aws sesv2 create-email-identity --email-identity {config.notify_sender} --region {config.region}" in text
    # cdk.json's sender is a placeholder that SES cannot verify: said so
    assert f"{config.notify_sender} is a placeholder" in text
    assert "leadflow tokens bootstrap --stage dev" in text
    assert "make smoke API=https://api.example/dev TOKEN=<the admin token> WS=wss://ws.example/dev" in text


def test_next_steps_without_an_outputs_file_says_how_to_make_one(tmp_path: Path) -> None:
    result = subprocess.run(
        [".venv/bin/python", "-m", "leadflow.deploy", "next-steps", "dev", "--outputs", str(tmp_path / "none.json")],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2 and "run `make deploy STAGE=dev`" in result.stderr


def test_kept_lists_the_retained_resources_of_the_stages_templates(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    table = {
        "Type": "AWS::DynamoDB::Table",
        "DeletionPolicy": "Retain",
        "Properties": {"TableName": "leadflow-prod-leads"},
    }
    queue = {"Type": "AWS::SQS::Queue", "DeletionPolicy": "Delete", "Properties": {"QueueName": "leadflow-prod-q"}}
    template = {"Resources": {"LeadsTable": table, "Queue": queue}}
    (tmp_path / "Leadflow-prod-Enrichment.template.json").write_text(json.dumps(template))
    (tmp_path / "Leadflow-dev-Enrichment.template.json").write_text(json.dumps(template))
    assert deploy.main(["kept", "prod", "--cdk-out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "AWS::DynamoDB::Table" in out and "leadflow-prod-leads  (Leadflow-prod-Enrichment)" in out
    assert "leadflow-prod-q" not in out and "Leadflow-dev" not in out
    assert "retain_data is true for prod" in out
    assert deploy.main(["kept", "prod", "--cdk-out", str(tmp_path / "empty")]) == 2
