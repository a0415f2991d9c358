"""Grants on what the stacks do not create (the LLM provider's secret, the SES sender) come from the
wiring like every other grant: checked on a bare stack, with and without the stage's setting."""

from __future__ import annotations

import dataclasses
from types import SimpleNamespace
from typing import Any

from aws_cdk import App, Stack
from aws_cdk import aws_iam as iam
from aws_cdk.assertions import Template

from leadflow import wiring
from leadflow.config import load_stage
from stacks.domain import DomainResources

LLM_SECRET = "arn:aws:secretsmanager:us-east-1:111122223333:secret:deepseek-AbCdEf"


def _statements(grant: wiring.Grant, **settings: Any) -> list[dict[str, Any]]:
    stack = Stack(App(), "Bare")
    role = iam.Role(stack, "Role", assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"))
    config = dataclasses.replace(load_stage("dev"), **settings)
    owner = SimpleNamespace(config=config)
    owner._allow_email = lambda r, sender: DomainResources._allow_email(owner, r, sender)  # type: ignore[attr-defined]
    DomainResources._grant(owner, role, grant)  # type: ignore[arg-type]
    policies = Template.from_stack(stack).find_resources("AWS::IAM::Policy")
    return [s for p in policies.values() for s in p["Properties"]["PolicyDocument"]["Statement"]]


def test_the_llm_secret_is_readable_only_when_the_stage_names_one() -> None:
    grant = next(
        g for g in wiring.function("store-leads").grants if g.kind == "external_secret" and g.key == "llm_secret_arn"
    )
    assert _statements(grant, llm_secret_arn=None) == []
    [statement] = _statements(grant, llm_secret_arn=LLM_SECRET)
    assert (statement["Action"], statement["Resource"]) == ("secretsmanager:GetSecretValue", LLM_SECRET)


def test_both_llm_functions_get_the_secret_and_only_notify_may_send_mail() -> None:
    readers = {f.key for f in wiring.FUNCTIONS for g in f.grants if g.kind == "external_secret"}
    senders = {f.key for f in wiring.FUNCTIONS for g in f.grants if g.kind == "email"}
    assert readers == {"store-leads", "leads-api"}
    assert senders == {"notify"}


def test_mail_may_be_sent_only_as_the_stages_sender() -> None:
    [grant] = [g for g in wiring.function("notify").grants if g.kind == "email"]
    [statement] = _statements(grant, notify_sender="alerts@leadflow.example")
    assert statement["Action"] == "ses:SendEmail"
    assert statement["Condition"] == {"StringEquals": {"ses:FromAddress": "alerts@leadflow.example"}}
