"""The assignment stack: the agents' WebSocket API agrees with the local gateway and is locked down."""

from __future__ import annotations

import json
from typing import Any

from leadflow import wiring
from leadflow.local.websocket import local_websocket_routes

from .cfn import flatten, props, resources, target
from .conftest import Synthesized


def _function_names(template: dict[str, Any]) -> dict[str, str]:
    # CDK's own handlers (the console's BucketDeployment) have no name of ours
    functions = resources(template, "AWS::Lambda::Function").items()
    return {lid: props(r)["FunctionName"] for lid, r in functions if "FunctionName" in props(r)}


def _invoked(template: dict[str, Any], uri: Any) -> str:
    names = _function_names(template)
    text = flatten(uri)
    [name] = [n for lid, n in names.items() if f"<{lid}>" in text] or [
        n for n in names.values() if f":function:{n}/" in text
    ]
    return name


def test_websocket_routes_agree_with_the_local_gateway(synth: Synthesized) -> None:
    template = synth.templates["assignment"]
    integrations = resources(template, "AWS::ApiGatewayV2::Integration")
    responses = {target(props(r)["RouteId"]) for r in resources(template, "AWS::ApiGatewayV2::RouteResponse").values()}
    deployed = {}
    for lid, route in resources(template, "AWS::ApiGatewayV2::Route").items():
        p = props(route)
        integration = integrations[flatten(p["Target"]).split("/")[-1].strip("<>")]
        deployed[p["RouteKey"]] = (_invoked(template, props(integration)["IntegrationUri"]), lid in responses)
    assert deployed == local_websocket_routes(synth.config)
    assert {"$connect", "$disconnect", "$default", "setStatus", "disposition", "ping"} <= set(deployed)


def test_only_connect_is_authorized_with_the_token_in_the_query_string(synth: Synthesized) -> None:
    template = synth.templates["assignment"]
    [api] = resources(template, "AWS::ApiGatewayV2::Api").values()
    assert props(api)["ProtocolType"] == "WEBSOCKET"
    assert props(api)["RouteSelectionExpression"] == "$request.body.action"
    [authorizer] = resources(template, "AWS::ApiGatewayV2::Authorizer").values()
    assert props(authorizer)["AuthorizerType"] == "REQUEST"
    assert props(authorizer)["IdentitySource"] == ["route.request.querystring.token"]
    assert _invoked(template, props(authorizer)["AuthorizerUri"]) == synth.config.name("ws-authorizer")
    routes = {props(r)["RouteKey"]: props(r) for r in resources(template, "AWS::ApiGatewayV2::Route").values()}
    assert routes["$connect"]["AuthorizationType"] == "CUSTOM"
    assert all(r.get("AuthorizationType", "NONE") == "NONE" for k, r in routes.items() if k != "$connect")


def test_stage_is_access_logged_and_handlers_may_push_to_this_stage_only(synth: Synthesized) -> None:
    template = synth.templates["assignment"]
    [stage] = resources(template, "AWS::ApiGatewayV2::Stage").values()
    assert props(stage)["StageName"] == synth.stage
    assert "DestinationArn" in props(stage)["AccessLogSettings"]
    pushers = [fn for fn in wiring.FUNCTIONS if any(isinstance(r, wiring.WebSocketEndpoint) for r in fn.env.values())]
    assert {fn.key for fn in pushers} == {"ws-messages", "assign-intake", "assign-expiry"}
    functions = {v: template["Resources"][k] for k, v in _function_names(template).items()}
    grants = [
        [flatten(r) for r in (s["Resource"] if isinstance(s["Resource"], list) else [s["Resource"]])]
        for policy in resources(template, "AWS::IAM::Policy").values()
        for s in props(policy)["PolicyDocument"]["Statement"]
        if s["Action"] == "execute-api:ManageConnections"
    ]
    assert len(grants) == len(pushers)
    # every pusher may POST; only the two that close connections (revoked, expired tokens) may DELETE
    methods = sorted(tuple(sorted(g.rsplit("/", 3)[1] for g in grant)) for grant in grants)
    assert methods == [("DELETE", "POST"), ("DELETE", "POST"), ("POST",)], grants
    assert all(g.endswith("/@connections/*") and f"/{synth.stage}/" in g for grant in grants for g in grant)
    for fn in pushers:
        env = props(functions[synth.config.name(fn.key)])["Environment"]["Variables"]
        assert "WEBSOCKET_ENDPOINT" in env and "ASSIGNMENT_TIMEOUT_S" in env
        assert env["ASSIGNMENT_TIMEOUT_S"] == str(synth.config.assignment_timeout_s)


def test_the_stack_owns_its_tables_queues_and_rule(synth: Synthesized) -> None:
    template = synth.templates["assignment"]
    tables = {props(t)["TableName"] for t in resources(template, "AWS::DynamoDB::Table").values()}
    assert tables == {synth.config.name("users"), synth.config.name("emails")}
    queues = {props(q)["QueueName"] for q in resources(template, "AWS::SQS::Queue").values()}
    assert queues == {synth.config.name(k) for q in ("assignment-intake", "assignment-expiry") for k in (q, f"{q}-dlq")}
    rules = sorted(props(r)["EventPattern"]["detail-type"] for r in resources(template, "AWS::Events::Rule").values())
    assert rules == [["lead.enriched"], ["token.revoked"]]


def _by_prefix(items: dict[str, dict[str, Any]], prefix: str) -> tuple[str, dict[str, Any]]:
    [(lid, res)] = [(lid, res) for lid, res in items.items() if lid.startswith(prefix)]
    return lid, res


def test_the_console_bucket_is_private_ssl_only_logged_and_readable_by_its_distribution_only(
    synth: Synthesized,
) -> None:
    template = synth.templates["assignment"]
    buckets = resources(template, "AWS::S3::Bucket")
    site_id, site = _by_prefix(buckets, "ConsoleSiteBucket")
    logs_id, _ = _by_prefix(buckets, "ConsoleLogsBucket")
    assert all(props(site)["PublicAccessBlockConfiguration"].values())
    assert target(props(site)["LoggingConfiguration"]["DestinationBucketName"]) == logs_id
    policies = {
        target(props(p)["Bucket"]): props(p)["PolicyDocument"]
        for p in resources(template, "AWS::S3::BucketPolicy").values()
    }
    statements = policies[site_id]["Statement"]
    assert any(
        s["Effect"] == "Deny" and s["Condition"] == {"Bool": {"aws:SecureTransport": "false"}} for s in statements
    )
    readers = [s for s in statements if s["Effect"] == "Allow" and "s3:GetObject" in flatten(s["Action"])]
    [reader] = readers
    assert reader["Principal"] == {"Service": "cloudfront.amazonaws.com"}
    [distribution_id] = resources(template, "AWS::CloudFront::Distribution")
    assert f"<{distribution_id}>" in flatten(reader["Condition"]["StringEquals"]["AWS:SourceArn"])


def test_the_console_is_served_by_cloudfront_over_https_with_origin_access_control_and_security_headers(
    synth: Synthesized,
) -> None:
    template = synth.templates["assignment"]
    [distribution] = resources(template, "AWS::CloudFront::Distribution").values()
    config = props(distribution)["DistributionConfig"]
    [origin] = config["Origins"]
    [oac_id] = resources(template, "AWS::CloudFront::OriginAccessControl")
    assert target(origin["OriginAccessControlId"]) == oac_id
    assert origin["S3OriginConfig"] == {"OriginAccessIdentity": ""}
    assert config["DefaultCacheBehavior"]["ViewerProtocolPolicy"] == "redirect-to-https"
    assert config["DefaultRootObject"] == "index.html"
    assert config["Logging"]["Prefix"] == "cloudfront/"
    [headers] = resources(template, "AWS::CloudFront::ResponseHeadersPolicy").values()
    security = props(headers)["ResponseHeadersPolicyConfig"]["SecurityHeadersConfig"]
    csp = flatten(security["ContentSecurityPolicy"]["ContentSecurityPolicy"])
    [api_id] = resources(template, "AWS::ApiGatewayV2::Api")
    assert "script-src 'self'" in csp and f"wss://<{api_id}>.execute-api." in csp
    assert security["FrameOptions"]["FrameOption"] == "DENY"


def test_the_console_files_and_a_config_with_this_stacks_websocket_url_are_deployed(synth: Synthesized) -> None:
    template = synth.templates["assignment"]
    [deployment] = resources(template, "Custom::CDKBucketDeployment").values()
    p = props(deployment)
    site_id, _ = _by_prefix(resources(template, "AWS::S3::Bucket"), "ConsoleSiteBucket")
    assert target(p["DestinationBucketName"]) == site_id
    assert p["Prune"] is True and "DistributionId" not in p
    assert p["SystemMetadata"]["cache-control"] == "max-age=300"
    # the web/ folder as an asset: the page, its modules and stylesheet, and no stale config file
    web_zip, _config_zip = p["SourceObjectKeys"]
    staged = synth.outdir / f"asset.{web_zip.removesuffix('.zip')}"
    assert {"index.html", "app.js", "agent.js", "style.css"} <= {f.name for f in staged.iterdir()}
    assert not (staged / "config.json").exists() and not (staged / "config.rest.json").exists()
    # config.json is generated with the WebSocket URL of this stack's API and stage (no cross-stack import)
    [api_id] = resources(template, "AWS::ApiGatewayV2::Api")
    [marker] = p["SourceMarkers"][1].values()
    url = flatten(marker)
    assert url.startswith(f'"wss://<{api_id}>.execute-api.') and url.endswith(f'/{synth.stage}"'), url
    assert "Fn::ImportValue" not in json.dumps(template)
    outputs = template["Outputs"]
    assert any(k.startswith("ConsoleUrl") for k in outputs)
