"""The public edge as synthesized (issue 15): stage and per-route throttles on both APIs, reserved
concurrency on the functions behind public routes, and the REST stage's web ACL where the stage asks
for one. Every expected value is read from cdk.json (the stage) or the wiring (the routes)."""

from __future__ import annotations

from typing import Any

import pytest

from leadflow import wiring
from leadflow.config import ConfigError, StageConfig, load_stage
from leadflow.local.throttle import method_throttles
from stacks.waf import MANAGED_RULE_GROUPS, UPLOAD_PATH_SUFFIX

from .cfn import flatten, props, referenced, resources, target
from .conftest import Synthesized

#: the functions a public route (or every token route) reaches first: the ones prod reserves for
PUBLIC_EDGE_FUNCTIONS = {"authorizer", "uploads", "forms", "twilio-sms"}


def _one(synth: Synthesized, domain: wiring.Domain, resource_type: str) -> tuple[str, dict[str, Any]]:
    [(lid, resource)] = resources(synth.templates[domain], resource_type).items()
    return lid, props(resource)


def _method_settings(synth: Synthesized) -> dict[tuple[str, str], dict[str, Any]]:
    """The REST stage's MethodSettings by (resource path as API Gateway spells it, HTTP method)."""
    _, stage = _one(synth, "ingestion", "AWS::ApiGateway::Stage")
    return {(s["ResourcePath"], s["HttpMethod"]): s for s in stage["MethodSettings"]}


def _escaped(path: str) -> str:
    """A method setting's ResourcePath: "/twilio/sms" is "/~1twilio~1sms" (slashes escaped, JSON Pointer style)."""
    return "/" + path.replace("/", "~1")


def test_the_rest_stage_throttles_every_method_with_the_stage_settings(synth: Synthesized) -> None:
    stage_wide = _method_settings(synth)[("/*", "*")]
    assert stage_wide["ThrottlingRateLimit"] == synth.config.api_throttle_rate
    assert stage_wide["ThrottlingBurstLimit"] == synth.config.api_throttle_burst


def test_routes_with_their_own_traffic_have_their_own_limits_and_the_others_the_stage(synth: Synthesized) -> None:
    settings = _method_settings(synth)
    own = {(route.path, route.method): route.throttle for route, _ in wiring.rest_routes() if route.throttle}
    # uploads and lead submission differ from listing; the Twilio webhook has its own
    assert {("/uploads", "POST"), ("/uploads/presign", "POST"), ("/leads", "POST"), ("/twilio/sms", "POST")} <= set(own)
    assert ("/leads", "GET") not in own and ("/jobs", "GET") not in own
    per_method = {k: v for k, v in settings.items() if k != ("/*", "*")}
    assert set(per_method) == {(_escaped(path), method) for path, method in own}
    for (path, method), throttle in own.items():
        assert throttle is not None
        setting = per_method[(_escaped(path), method)]
        assert (setting["ThrottlingRateLimit"], setting["ThrottlingBurstLimit"]) == (throttle.rate, throttle.burst)
        # a method's own settings replace the stage's for it: the logging stays the same
        assert setting["LoggingLevel"] == "ERROR" and setting["DataTraceEnabled"] is False


def test_the_local_gateway_throttles_each_method_as_the_template_does(synth: Synthesized) -> None:
    settings = _method_settings(synth)
    stage_wide = settings[("/*", "*")]
    local = method_throttles(synth.config)
    assert set(local) == {(route.method, route.path) for route, _ in wiring.rest_routes()}
    for (method, path), throttle in local.items():
        deployed = settings.get((_escaped(path), method), stage_wide)
        assert (deployed["ThrottlingRateLimit"], deployed["ThrottlingBurstLimit"]) == (throttle.rate, throttle.burst)


def test_the_twilio_webhook_limit_is_lower_than_every_stage_and_route(synth: Synthesized) -> None:
    [twilio] = [r.throttle for r, _ in wiring.rest_routes() if r.path == "/twilio/sms"]
    assert twilio is not None
    others = [r.throttle for r, _ in wiring.rest_routes() if r.throttle and r.auth != "none"]
    lead_submit = next(r.throttle for r, _ in wiring.rest_routes() if (r.method, r.path) == ("POST", "/leads"))
    assert lead_submit is not None
    assert twilio.rate < synth.config.api_throttle_rate and twilio.burst < synth.config.api_throttle_burst
    assert twilio.rate < lead_submit.rate and twilio.burst < lead_submit.burst
    assert others  # and it is not the only route with its own limit


def test_the_stages_throttle_differently(dev: Synthesized, prod: Synthesized) -> None:
    dev_wide, prod_wide = _method_settings(dev)[("/*", "*")], _method_settings(prod)[("/*", "*")]
    assert dev_wide["ThrottlingRateLimit"] < prod_wide["ThrottlingRateLimit"]
    assert dev_wide["ThrottlingBurstLimit"] < prod_wide["ThrottlingBurstLimit"]


def test_the_websocket_stage_throttles_each_route_with_the_stage_settings(synth: Synthesized) -> None:
    _, stage = _one(synth, "assignment", "AWS::ApiGatewayV2::Stage")
    defaults = stage["DefaultRouteSettings"]
    assert defaults["ThrottlingRateLimit"] == synth.config.ws_throttle_rate
    assert defaults["ThrottlingBurstLimit"] == synth.config.ws_throttle_burst


def _reserved(synth: Synthesized) -> dict[str, int]:
    out = {}
    for _, _, fn in synth.resources("AWS::Lambda::Function"):
        if "ReservedConcurrentExecutions" in props(fn):
            out[flatten(props(fn)["FunctionName"])] = props(fn)["ReservedConcurrentExecutions"]
    return out


def test_prod_reserves_concurrency_for_the_functions_behind_public_routes(prod: Synthesized) -> None:
    reserved = _reserved(prod)
    assert reserved == {prod.config.name(k): v for k, v in prod.config.reserved_concurrency.items()}
    assert set(prod.config.reserved_concurrency) == PUBLIC_EDGE_FUNCTIONS
    # each can be throttled alone at its cap: its own alarm on its own Throttles, to the alarms topic
    alarms = {flatten(props(a)["AlarmName"]): props(a) for _, _, a in prod.resources("AWS::CloudWatch::Alarm")}
    for key in PUBLIC_EDGE_FUNCTIONS:
        alarm = alarms[prod.config.name(f"{key}-throttles")]
        assert (alarm["Namespace"], alarm["MetricName"]) == ("AWS/Lambda", "Throttles")
        assert alarm["Dimensions"] == [{"Name": "FunctionName", "Value": prod.config.name(key)}]
        assert alarm["Threshold"] == 1 and alarm["AlarmActions"]


def test_dev_reserves_none_so_a_new_account_can_deploy_it(dev: Synthesized) -> None:
    # a new account's concurrency quota can be 10, and Lambda keeps 100 unreserved: any reservation fails there
    assert dev.config.reserved_concurrency == {}
    assert _reserved(dev) == {}


def test_prod_has_a_web_acl_with_managed_rules_and_a_rate_limit_per_ip_on_the_rest_stage(prod: Synthesized) -> None:
    acl_id, acl = _one(prod, "ingestion", "AWS::WAFv2::WebACL")
    assert acl["Scope"] == "REGIONAL" and acl["DefaultAction"] == {"Allow": {}}
    rules = {rule["Name"]: rule for rule in acl["Rules"]}
    [rate] = [r for r in rules.values() if "RateBasedStatement" in r["Statement"]]
    statement = rate["Statement"]["RateBasedStatement"]
    assert statement["AggregateKeyType"] == "IP" and statement["Limit"] == prod.config.waf_rate_limit
    # a blocked client gets 429 with API Gateway's own throttle body, evaluated before the managed rules
    response = rate["Action"]["Block"]["CustomResponse"]
    assert response["ResponseCode"] == 429
    body = acl["CustomResponseBodies"][response["CustomResponseBodyKey"]]
    assert body["Content"] == '{"message":"Too Many Requests"}'
    assert rate["Priority"] < min(rules[g]["Priority"] for g in MANAGED_RULE_GROUPS)
    for group in MANAGED_RULE_GROUPS:
        managed = rules[group]["Statement"]["ManagedRuleGroupStatement"]
        assert (managed["VendorName"], managed["Name"]) == ("AWS", group)
        assert rules[group]["OverrideAction"] == {"None": {}}  # the group's block actions stand
    assert {r["Priority"] for r in rules.values()} == set(range(len(rules)))
    # the core rule set skips only the direct upload (a spreadsheet body of up to 4 MB)
    scope = rules["AWSManagedRulesCommonRuleSet"]["Statement"]["ManagedRuleGroupStatement"]["ScopeDownStatement"]
    match = scope["NotStatement"]["Statement"]["ByteMatchStatement"]
    assert (match["SearchString"], match["PositionalConstraint"]) == (UPLOAD_PATH_SUFFIX, "ENDS_WITH")
    assert (
        "ScopeDownStatement"
        not in rules["AWSManagedRulesKnownBadInputsRuleSet"]["Statement"]["ManagedRuleGroupStatement"]
    )
    # associated with the REST API's stage, and nothing else
    _, association = _one(prod, "ingestion", "AWS::WAFv2::WebACLAssociation")
    assert association["WebACLArn"] == {"Fn::GetAtt": [acl_id, "Arn"]}
    stage_id, _ = _one(prod, "ingestion", "AWS::ApiGateway::Stage")
    api_id, _ = _one(prod, "ingestion", "AWS::ApiGateway::RestApi")
    assert {stage_id, api_id} <= referenced(association["ResourceArn"])
    assert "/stages/" in flatten(association["ResourceArn"])
    assert target(association["WebACLArn"]) == acl_id


def test_dev_has_no_web_acl(dev: Synthesized) -> None:
    assert not dev.config.waf
    assert list(dev.resources("AWS::WAFv2::WebACL")) == []
    assert list(dev.resources("AWS::WAFv2::WebACLAssociation")) == []


def _acknowledged(synth: Synthesized) -> dict[str, str]:
    out = {}
    for template in synth.templates.values():
        for resource in template["Resources"].values():
            for rule in resource.get("Metadata", {}).get("cdk_nag", {}).get("rules_to_suppress", []):
                out[rule["id"]] = rule["reason"]
    return out


def test_the_waf_finding_is_met_in_prod_and_acknowledged_honestly_only_where_there_is_no_web_acl(
    dev: Synthesized, prod: Synthesized
) -> None:
    # prod synthesized (cdk-nag raises on any unacknowledged finding) with no APIG3 acknowledgment:
    # the association itself meets the rule
    assert "AwsSolutions-APIG3" not in _acknowledged(prod)
    reason = _acknowledged(dev)["AwsSolutions-APIG3"]
    assert "waf: false" in reason and "throttle" in reason
    assert "revisit" not in reason.lower()


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"reserved_concurrency": {"no-such-function": 5}}, "not a function"),
        ({"reserved_concurrency": {"twilio-sms": 0}}, "at least 1"),
        ({"api_throttle_rate": 0}, "api_throttle_rate"),
        ({"ws_throttle_burst": 0}, "ws_throttle_burst"),
        ({"waf_rate_limit": 5}, "waf_rate_limit"),
    ],
)
def test_bad_edge_settings_fail_with_the_setting_named(settings: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        StageConfig.from_context("dev", {"dev": settings})


def test_cdk_json_is_what_the_stages_were_built_from(dev: Synthesized, prod: Synthesized) -> None:
    assert dev.config.api_throttle_rate == load_stage("dev").api_throttle_rate
    assert prod.config.waf and prod.config.reserved_concurrency == load_stage("prod").reserved_concurrency
