"""The Amazon Connect contact flow: provisioned only when the stage names an instance."""

from __future__ import annotations

import json

from aws_cdk import App, Stack
from aws_cdk import aws_lambda as lambda_
from aws_cdk.assertions import Annotations, Match, Template

from leadflow.config import REPO_ROOT
from stacks.connect import VanityContactFlow

from .conftest import Synthesized

INSTANCE = "arn:aws:connect:us-east-1:111122223333:instance/11111111-2222-3333-4444-555555555555"
FUNCTION = "arn:aws:lambda:us-east-1:111122223333:function:leadflow-dev-connect-vanity"


def _stack(instance_arn: str | None) -> Stack:
    stack = Stack(App(), "ConnectTest")
    function = lambda_.Function.from_function_arn(stack, "Fn", FUNCTION)
    VanityContactFlow(stack, "Flow", instance_arn=instance_arn, function=function, flow_name="leadflow-dev-vanity")
    return stack


def test_with_an_instance_the_flow_and_the_lambda_association_are_provisioned() -> None:
    template = Template.from_stack(_stack(INSTANCE))
    template.has_resource_properties(
        "AWS::Connect::IntegrationAssociation",
        {"InstanceId": INSTANCE, "IntegrationType": "LAMBDA_FUNCTION", "IntegrationArn": FUNCTION},
    )
    flows = template.find_resources("AWS::Connect::ContactFlow")
    assert len(flows) == 1
    props = next(iter(flows.values()))["Properties"]
    assert props["InstanceArn"] == INSTANCE and props["Type"] == "CONTACT_FLOW"
    content = json.loads(props["Content"])
    actions = {a["Identifier"]: a for a in content["Actions"]}
    assert content["StartAction"] == "greet"
    invoke = actions["vanity"]
    assert invoke["Type"] == "InvokeLambdaFunction"
    assert invoke["Parameters"]["LambdaFunctionARN"] == FUNCTION
    # the error branch of the function is handled, and every transition leads to a declared action
    assert invoke["Transitions"]["Errors"][0]["NextAction"] == "sorry"
    for action in content["Actions"]:
        transitions = action["Transitions"]
        targets = [transitions.get("NextAction")] + [e["NextAction"] for e in transitions.get("Errors", [])]
        targets += [c["NextAction"] for c in transitions.get("Conditions", [])]
        assert all(t in actions for t in targets if t), action["Identifier"]
    spoken = actions["results"]["Parameters"]["Text"]
    assert all(f"$.External.speech{i}" in spoken for i in (1, 2, 3))


def test_without_an_instance_nothing_is_provisioned_and_synth_says_so() -> None:
    stack = _stack(None)
    template = Template.from_stack(stack)
    assert template.find_resources("AWS::Connect::ContactFlow") == {}
    assert template.find_resources("AWS::Connect::IntegrationAssociation") == {}
    Annotations.from_stack(stack).has_info("*", Match.string_like_regexp("no connect_instance_arn"))


def test_connect_may_invoke_the_vanity_function(dev: Synthesized) -> None:
    dev.template("ingestion").has_resource_properties(
        "AWS::Lambda::Permission",
        {"Principal": "connect.amazonaws.com", "Action": "lambda:InvokeFunction"},
    )


def test_the_llm_key_secret_is_readable_only_when_configured(dev: Synthesized) -> None:
    import dataclasses

    from aws_cdk import App, Environment

    from stacks.enrichment_stack import EnrichmentStack
    from stacks.packaging import Packaging

    secret = "arn:aws:secretsmanager:us-east-1:111122223333:secret:leadflow-llm-AbCdEf"
    config = dataclasses.replace(dev.config, llm_secret_arn=secret)
    app = App(context={"aws:cdk:bundling-stacks": []})
    stack = EnrichmentStack(
        app,
        "LlmTest",
        config=config,
        packaging=Packaging(repo_root=REPO_ROOT, staging_root=dev.outdir / ".llm"),
        env=Environment(region=config.region),
    )
    statements = [
        s
        for p in Template.from_stack(stack).find_resources("AWS::IAM::Policy").values()
        for s in p["Properties"]["PolicyDocument"]["Statement"]
        if s["Action"] == "secretsmanager:GetSecretValue"
    ]
    assert len(statements) == 2 and all(s["Resource"] == secret for s in statements)
    plain = [
        s
        for p in dev.template("enrichment").find_resources("AWS::IAM::Policy").values()
        for s in p["Properties"]["PolicyDocument"]["Statement"]
        if "secretsmanager:GetSecretValue" in str(s["Action"])
    ]
    assert plain == []
