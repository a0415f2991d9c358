"""What the token lifecycle needs from the templates: the tokens table's TTL and id index, the stage's
default expiry in the tokens function, the audit events on the bus, the token.revoked rule to the
assignment domain, and the right to close (DELETE) a WebSocket connection."""

from __future__ import annotations

from typing import Any

from .cfn import flatten, props, resources, target
from .conftest import Synthesized


def _named(synth: Synthesized, resource_type: str, key: str, name: str) -> tuple[str, dict[str, Any]]:
    found = [(d, res) for d, _, res in synth.resources(resource_type) if flatten(props(res).get(key, "")) == name]
    assert len(found) == 1, f"{resource_type} {name}: {len(found)} found"
    return found[0]


def _policy_statements(synth: Synthesized, function_key: str) -> list[dict[str, Any]]:
    domain, function = _named(synth, "AWS::Lambda::Function", "FunctionName", synth.config.name(function_key))
    role = target(props(function)["Role"])
    return [
        statement
        for policy in resources(synth.templates[domain], "AWS::IAM::Policy").values()
        if role in {target(r) for r in props(policy)["Roles"]}
        for statement in props(policy)["PolicyDocument"]["Statement"]
    ]


def _actions(statements: list[dict[str, Any]]) -> set[str]:
    out: set[str] = set()
    for s in statements:
        out |= set(s["Action"] if isinstance(s["Action"], list) else [s["Action"]])
    return out


def test_the_tokens_table_purges_ended_records_and_finds_them_by_id(synth: Synthesized) -> None:
    _, table = _named(synth, "AWS::DynamoDB::Table", "TableName", synth.config.name("tokens"))
    assert props(table)["TimeToLiveSpecification"] == {"AttributeName": "purge_at", "Enabled": True}
    [index] = props(table)["GlobalSecondaryIndexes"]
    assert index["IndexName"] == "by-id"
    assert index["KeySchema"] == [{"AttributeName": "token_id", "KeyType": "HASH"}]


def test_the_tokens_function_has_the_stage_default_and_publishes_its_audit_events(synth: Synthesized) -> None:
    _, function = _named(synth, "AWS::Lambda::Function", "FunctionName", synth.config.name("tokens"))
    env = props(function)["Environment"]["Variables"]
    assert env["TOKEN_EXPIRY_DAYS"] == str(synth.config.token_expiry_days)
    assert flatten(env["EVENT_BUS"]) == synth.config.name("events")
    assert "events:PutEvents" in _actions(_policy_statements(synth, "tokens"))
    # the authorizers write last-used and the connection records
    for authorizer in ("authorizer", "ws-authorizer"):
        assert "dynamodb:UpdateItem" in _actions(_policy_statements(synth, authorizer)), authorizer


def test_stage_defaults_differ_dev_shorter(dev: Synthesized, prod: Synthesized) -> None:
    assert (dev.config.token_expiry_days, prod.config.token_expiry_days) == (30, 90)


def test_token_revoked_reaches_the_assignment_domain_which_may_close_connections(synth: Synthesized) -> None:
    _, rule = _named(synth, "AWS::Events::Rule", "Name", synth.config.name("assignment-tokens"))
    assert props(rule)["EventPattern"]["detail-type"] == ["token.revoked"]
    closing = [
        s for s in _policy_statements(synth, "assign-intake") if "execute-api:ManageConnections" in _actions([s])
    ]
    resources_ = {
        flatten(r) for s in closing for r in (s["Resource"] if isinstance(s["Resource"], list) else [s["Resource"]])
    }
    assert any(r.endswith(f"/{synth.config.stage}/DELETE/@connections/*") for r in resources_), resources_
