"""What `make deploy` prints after `cdk deploy`, and what `make destroy` leaves behind.

    python -m leadflow.deploy next-steps STAGE [--outputs cdk.out/outputs-STAGE.json]
    python -m leadflow.deploy kept STAGE [--cdk-out cdk.out]

`next-steps` reads the outputs file `cdk deploy --outputs-file` wrote (the REST, WebSocket and
console URLs) and prints, in order, what is left to do by hand: the secrets created empty, SES,
the first admin token, the smoke suite. `kept` reads the templates `cdk destroy` synthesized and
lists every resource whose DeletionPolicy keeps it after the stacks are gone.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from leadflow import wiring
from leadflow.config import REPO_ROOT, StageConfig, load_stage

CDK_OUT = REPO_ROOT / "cdk.out"
#: the stacks are `Leadflow-<stage>-<Domain>` (stacks/app_builder.py)
STACK_PREFIX = "Leadflow"
#: the CfnOutputs of the stacks that `make smoke` and the operator need
OUTPUT_KEYS = {"ApiUrl": "REST API", "WebSocketUrl": "WebSocket API", "ConsoleUrl": "agent console"}
#: a sender on these domains cannot be verified in SES: it is cdk.json's placeholder
PLACEHOLDER_DOMAINS = ("example.com", "example.org", "example.net")


def outputs_path(stage: str) -> Path:
    return CDK_OUT / f"outputs-{stage}.json"


def stack_outputs(outputs: dict[str, dict[str, str]], stage: str) -> dict[str, str]:
    """ApiUrl, WebSocketUrl and ConsoleUrl from the stage's stacks in a `--outputs-file` document."""
    prefix = f"{STACK_PREFIX}-{stage}-"
    found: dict[str, str] = {}
    for stack, values in outputs.items():
        if stack.startswith(prefix):
            found.update({k: v for k, v in values.items() if k in OUTPUT_KEYS})
    return found


def next_steps(config: StageConfig, outputs: dict[str, str], outputs_file: Path) -> str:
    stage, region = config.stage, config.region
    cli = ".venv/bin/leadflow"
    api = outputs.get("ApiUrl", "<ApiUrl>").rstrip("/")
    ws = outputs.get("WebSocketUrl", "<WebSocketUrl>")
    lines = [f"Leadflow {stage} is deployed in {region}; outputs in {outputs_file}"]
    lines += [f"  {label:<14} {outputs.get(key, '(not in the outputs file)')}" for key, label in OUTPUT_KEYS.items()]
    lines += [
        "",
        "Next, in order:",
        "",
        "1. Fill in the secrets the stacks created empty (values are prompted for, never echoed):",
    ]
    lines.append(f"     {cli} secrets list --stage {stage}")
    lines += [f"     {cli} secrets set {s.key} --stage {stage}    # {s.description}" for s in wiring.SECRETS]
    lines.append(
        f"     {cli} secrets set llm --stage {stage}    # optional, the LLM key: then set llm_secret_arn, deploy"
        if not config.llm_secret_arn
        else f"     {cli} secrets set llm --stage {stage}    # the LLM key, in {config.llm_secret_arn}"
    )
    sender = config.notify_sender
    lines += ["", f"2. SES in {region}: verify the sender {sender} (notify_sender) and leave the sandbox:"]
    if sender.rsplit("@", 1)[-1] in PLACEHOLDER_DOMAINS:
        lines.append(f"     {sender} is a placeholder: set stages.{stage}.notify_sender to an address you own first")
    lines += [
        f"     aws sesv2 create-email-identity --email-identity {sender} --region {region}   # then click the link",
        f"     aws sesv2 get-account --region {region}   # ProductionAccessEnabled false: still in the sandbox",
        "     request production access (SES console, Account dashboard); until then every recipient",
        f"     ({', '.join(config.notify_recipients)}) must be verified too",
    ]
    if config.alarm_emails:
        lines.append(f"   Alarm subscribers ({', '.join(config.alarm_emails)}) must confirm SNS's email.")
    lines += [
        "",
        "3. The first admin token (written to the tokens table with your AWS credentials, in the stage's region):",
        f"     {cli} tokens bootstrap --stage {stage}",
        "",
        "4. Smoke: the main journeys through the public endpoints only:",
        f"     make smoke API={api} TOKEN=<the admin token> WS={ws}",
        "",
        f"Runbooks for every alarm: docs/runbooks.md. Teardown: make destroy STAGE={stage}.",
    ]
    return "\n".join(lines)


def kept(templates: dict[str, dict[str, Any]]) -> list[tuple[str, str, str]]:
    """(stack, resource type, name or logical id) of every resource a stack deletion leaves behind."""
    found = []
    for stack, template in sorted(templates.items()):
        for lid, res in template.get("Resources", {}).items():
            if res.get("DeletionPolicy") in ("Retain", "RetainExceptOnCreate"):
                props = res.get("Properties", {})
                name = next(
                    (
                        props[k]
                        for k in ("TableName", "BucketName", "Name", "LogGroupName", "QueueName")
                        if isinstance(props.get(k), str)
                    ),
                    lid,
                )
                found.append((stack, res["Type"], str(name)))
    return found


def stage_templates(cdk_out: Path, stage: str) -> dict[str, dict[str, Any]]:
    prefix = f"{STACK_PREFIX}-{stage}-"
    return {
        p.name.removesuffix(".template.json"): json.loads(p.read_text())
        for p in cdk_out.glob(f"{prefix}*.template.json")
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m leadflow.deploy", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    steps = sub.add_parser("next-steps", help="what to do after cdk deploy")
    steps.add_argument("stage")
    steps.add_argument("--outputs", type=Path, help="the --outputs-file of cdk deploy")
    keep = sub.add_parser("kept", help="what cdk destroy leaves behind")
    keep.add_argument("stage")
    keep.add_argument("--cdk-out", type=Path, default=CDK_OUT)
    args = parser.parse_args(argv)
    config = load_stage(args.stage)
    if args.command == "next-steps":
        path = args.outputs or outputs_path(config.stage)
        if not path.is_file():
            print(f"no outputs file {path}: run `make deploy STAGE={config.stage}`", file=sys.stderr)
            return 2
        print(next_steps(config, stack_outputs(json.loads(path.read_text()), config.stage), path))
        return 0
    templates = stage_templates(args.cdk_out, config.stage)
    if not templates:
        print(f"no templates of {config.stage} in {args.cdk_out}: nothing to report", file=sys.stderr)
        return 2
    rows = kept(templates)
    print(f"{config.stage}: what stays after its stacks are deleted (DeletionPolicy Retain):")
    for stack, kind, name in rows:
        print(f"  {kind:<28} {name}  ({stack})")
    if config.retain_data:
        print(f"  (retain_data is true for {config.stage}: tables and buckets stay on purpose; delete them by hand)")
    print("  API Gateway's CloudWatch role (AWS::ApiGateway::Account) is one per account and region: leave it.")
    print(
        "Also kept, outside the stacks: the CDK bootstrap stack (CDKToolkit) and its bucket, and an LLM "
        f"secret made by `leadflow secrets set llm` ({config.name('llm')})."
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
