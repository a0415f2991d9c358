"""cdk-nag runs on every synth, finds real problems, and only reviewed findings are acknowledged."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from aws_cdk import App, Stack
from aws_cdk import aws_sqs as sqs

from stacks import build_app, nag

from .conftest import Synthesized

#: every acknowledgment this app makes, as reviewed (see the reasons in stacks/)
REVIEWED = [
    r"AwsSolutions-L1",
    r"AwsSolutions-IAM5\[Resource::\*\]",  # X-Ray: no resource-level permissions
    r"AwsSolutions-IAM5\[Resource::<\w+Table\w+\.Arn>/index/\*\]",
    r"AwsSolutions-IAM5\[Resource::arn:aws:dynamodb:[\w-]+:<AWS::AccountId>:table/leadflow-\w+-[\w-]+/index/\*\]",
    r"AwsSolutions-IAM5\[Resource::<\w+Bucket\w+\.Arn>/(\w+/)?\*\]",
    r"AwsSolutions-IAM4\[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole\]",
    r"AwsSolutions-IAM4\[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs\]",
    r"AwsSolutions-APIG2",
    r"AwsSolutions-APIG3",
    r"AwsSolutions-COG4",
    # the agents' WebSocket API: POST (push) and DELETE (close a revoked token's connection) to
    # @connections of its own stage; authorizers run on $connect only
    r"AwsSolutions-IAM5\[Resource::arn:aws:execute-api:[\w-]+:<AWS::AccountId>:<WebSocketApi\w+>/\w+/(POST|DELETE)/@connections/\*\]",
    r"AwsSolutions-APIG4",
    r"AwsSolutions-SMG4",  # third-party secrets (Slack webhook, downstream key): rotated with the other party
    # notify's SES fallback: any identity, limited to the stage's sender by ses:FromAddress
    r"AwsSolutions-IAM5\[Resource::arn:aws:ses:[\w-]+:<AWS::AccountId>:identity(/\*)?\]",
    # the agent console: static files on CloudFront (no geo limit, no WAF, default certificate) and
    # CDK's BucketDeployment handler's own grants (read the asset, sync and prune the site bucket)
    r"AwsSolutions-CFR[124]",
    r"AwsSolutions-IAM5\[Action::s3:(GetBucket|GetObject|List|Abort|DeleteObject)\*\]",
    r"AwsSolutions-IAM5\[Resource::arn:aws:s3:::cdk-\w+-assets-<AWS::AccountId>-[\w-]+/\*\]",
    # the ingestion stack's BucketDeployment of config.rest.json: objects of the console bucket, by name
    r"AwsSolutions-IAM5\[Resource::arn:aws:s3:::leadflow-\w+-console-<AWS::AccountId>-[\w-]+/\*\]",
]


def _violations(outdir: Path) -> list[str]:
    report = json.loads((outdir / "validation-report.json").read_text())
    return [v["ruleName"] for plugin in report["pluginReports"] for v in plugin["violations"]]


def test_synth_leaves_no_unacknowledged_finding(synth: Synthesized) -> None:
    # the fixture's synth would have raised; the report agrees
    assert _violations(synth.outdir) == []


def test_acknowledgments_are_precise_and_reviewed(synth: Synthesized) -> None:
    acknowledged: dict[str, str] = {}
    for template in synth.templates.values():
        for resource in template["Resources"].values():
            for rule in resource.get("Metadata", {}).get("cdk_nag", {}).get("rules_to_suppress", []):
                acknowledged[rule["id"]] = rule["reason"]
    assert "AwsSolutions-L1" in acknowledged  # written to the templates, so the pack is attached
    for rule_id, reason in acknowledged.items():
        assert any(re.fullmatch(pattern, rule_id) for pattern in REVIEWED), f"unreviewed acknowledgment {rule_id}"
        assert len(reason) >= 60, f"{rule_id}: give a real reason"


def test_nag_rejects_a_noncompliant_stack(tmp_path: Path) -> None:
    # Given a throwaway app with the same checks and a queue without SSL or a dead-letter queue
    app = App(outdir=str(tmp_path))
    sqs.Queue(Stack(app, "Throwaway"), "Careless")
    nag.add_checks(app)
    # When it is synthesized, Then validation fails and names both findings
    with pytest.raises(RuntimeError, match="ValidationFailed"):
        app.synth()
    assert set(_violations(tmp_path)) >= {"AwsSolutions-SQS3", "AwsSolutions-SQS4"}


def test_build_app_runs_nag(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Given the real app with one careless queue added to a stack
    monkeypatch.delenv("CDK_DEFAULT_ACCOUNT", raising=False)
    app = build_app("dev", outdir=str(tmp_path), bundle=False)
    stack = app.node.find_child("Leadflow-dev-Assignment")
    assert isinstance(stack, Stack)
    sqs.Queue(stack, "Careless")
    # Then its synth fails on exactly that queue
    with pytest.raises(RuntimeError, match="ValidationFailed"):
        app.synth()
    report = json.loads((tmp_path / "validation-report.json").read_text())
    paths = {
        c["constructPath"] for p in report["pluginReports"] for v in p["violations"] for c in v["violatingConstructs"]
    }
    assert paths == {"Leadflow-dev-Assignment/Careless/Resource"}
