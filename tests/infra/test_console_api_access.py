"""What the browser console needs of the deployed stacks: CORS on the REST API's own refusals, the
jobs list route, and a page allowed to post presigned upload forms to S3."""

from __future__ import annotations

from shared.core.cors import CORS

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


def test_every_preflight_allows_the_headers_the_cors_declaration_names(synth: Synthesized) -> None:
    # the functions' answers and API Gateway's preflights read one declaration: a header a route
    # reads (X-Filename for a direct upload) is one a browser may send
    template = synth.templates["ingestion"]
    preflights = [props(m) for m in resources(template, "AWS::ApiGateway::Method").values()]
    preflights = [m for m in preflights if m["HttpMethod"] == "OPTIONS"]
    assert preflights
    for method in preflights:
        [answer] = method["Integration"]["IntegrationResponses"]
        headers = answer["ResponseParameters"]
        allowed = headers["method.response.header.Access-Control-Allow-Headers"].strip("'").split(",")
        assert allowed == list(CORS.allow_headers)
        assert headers["method.response.header.Access-Control-Allow-Origin"] == f"'{CORS.allow_origin}'"
        assert headers["method.response.header.Access-Control-Max-Age"] == f"'{CORS.max_age_s}'"
