"""What the browser console needs of the deployed stacks: CORS on the REST API's own refusals, the
jobs list route, and a page allowed to post presigned upload forms to S3."""

from __future__ import annotations

from .cfn import flatten, props, resources, rest_path
from .conftest import Synthesized


def test_the_rest_apis_own_refusals_carry_a_cors_header(synth: Synthesized) -> None:
    template = synth.templates["ingestion"]
    responses = {
        props(r)["ResponseType"]: props(r) for r in resources(template, "AWS::ApiGateway::GatewayResponse").values()
    }
    for kind in ("DEFAULT_4XX", "DEFAULT_5XX"):
        assert responses[kind]["ResponseParameters"] == {"gatewayresponse.header.Access-Control-Allow-Origin": "'*'"}


def test_jobs_are_listed_by_a_token_authorized_get_with_a_preflight(synth: Synthesized) -> None:
    template = synth.templates["ingestion"]
    methods = {
        (rest_path(template, props(m)["ResourceId"]), props(m)["HttpMethod"]): props(m)
        for m in resources(template, "AWS::ApiGateway::Method").values()
    }
    assert methods[("/jobs", "GET")]["AuthorizationType"] == "CUSTOM"
    assert ("/jobs", "OPTIONS") in methods


def test_the_console_may_connect_to_s3_for_presigned_uploads(synth: Synthesized) -> None:
    [headers] = resources(synth.templates["assignment"], "AWS::CloudFront::ResponseHeadersPolicy").values()
    csp = flatten(props(headers)["ResponseHeadersPolicyConfig"]["SecurityHeadersConfig"]["ContentSecurityPolicy"])
    connect = csp.split("connect-src", 1)[1].split(";", 1)[0]
    # the regional and the global endpoint (a presigned POST names one or the other), then the URL suffix
    suffix = '", {"Ref": "AWS::URLSuffix"}'
    assert f"https://*.s3.{synth.config.region}.{suffix}" in connect and f"https://*.s3.{suffix}" in connect
