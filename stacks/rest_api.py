"""The ingestion REST API: one method per `wiring.Route`, every one behind the token authorizer.

Bodies are raw uploads (CSV, XLSX, multipart forms), so every media type is binary and reaches the
functions base64-encoded. CORS preflights are answered by API Gateway itself, without credentials,
as browsers send them, from the same declaration (`shared.core.cors.CORS`) as the functions' answers.

The edge: the stage throttles every method with the stage's limits (`api_throttle_rate` and
`api_throttle_burst`), except the methods whose route declares its own (`Route.throttle` in the
wiring); API Gateway answers 429 past them. Where the stage asks for it (`waf`), a web ACL sits in
front of the stage (`stacks.waf`).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from constructs import Construct

from leadflow import wiring
from shared.core.cors import CORS
from stacks import nag
from stacks.waf import RestApiWebAcl

#: what every method logs, whether it has its own throttle or the stage's (a method's own settings
#: replace the stage's for that method, so they repeat these)
LOGGING_LEVEL = apigw.MethodLoggingLevel.ERROR


def method_options_key(route: wiring.Route) -> str:
    """CDK's key for one method's settings in `StageOptions.method_options`: "/twilio/sms/POST"."""
    return f"{route.path}/{route.method}"


class RestApi(Construct):
    """API Gateway REST API for `wiring.rest_routes()`, authorized by `wiring.authorizer()`."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        api_name: str,
        stage_name: str,
        function_for: Callable[[str], lambda_.IFunction],
        log_retention: logs.RetentionDays,
        removal_policy: RemovalPolicy,
        throttle: wiring.Throttle,
        waf_rate_limit: int | None = None,
    ) -> None:
        """`throttle`: the stage's limits for each method without its own; `waf_rate_limit`: requests
        per client IP in 5 minutes of the stage's web ACL, or None for no web ACL."""
        super().__init__(scope, construct_id)
        method_options = {
            method_options_key(route): apigw.MethodDeploymentOptions(
                throttling_rate_limit=route.throttle.rate,
                throttling_burst_limit=route.throttle.burst,
                logging_level=LOGGING_LEVEL,
                data_trace_enabled=False,
            )
            for route, _ in wiring.rest_routes()
            if route.throttle is not None
        }
        access_logs = logs.LogGroup(
            self,
            "AccessLogs",
            log_group_name=f"/aws/apigateway/{api_name}/access",
            retention=log_retention,
            removal_policy=removal_policy,
        )
        self.api = apigw.RestApi(
            self,
            "Api",
            rest_api_name=api_name,
            description="Leadflow ingestion: uploads, jobs and API tokens",
            endpoint_types=[apigw.EndpointType.REGIONAL],
            binary_media_types=["*/*"],
            # Stage logging needs the account-level CloudWatch role; the feature flag
            # disableCloudWatchRole only changes the default, this creates it explicitly.
            cloud_watch_role=True,
            deploy_options=apigw.StageOptions(
                stage_name=stage_name,
                access_log_destination=apigw.LogGroupLogDestination(access_logs),
                access_log_format=apigw.AccessLogFormat.json_with_standard_fields(
                    caller=False,
                    http_method=True,
                    ip=True,
                    protocol=True,
                    request_time=True,
                    resource_path=True,
                    response_length=True,
                    status=True,
                    user=True,
                ),
                logging_level=LOGGING_LEVEL,
                data_trace_enabled=False,
                tracing_enabled=True,
                throttling_rate_limit=throttle.rate,
                throttling_burst_limit=throttle.burst,
                method_options=method_options,
            ),
        )
        declared = wiring.authorizer()
        trigger = next(t for t in declared.triggers if isinstance(t, wiring.RestAuthorizer))
        self.authorizer = apigw.TokenAuthorizer(
            self,
            "Authorizer",
            authorizer_name=f"{api_name}-token",
            handler=function_for(declared.key),
            identity_source=apigw.IdentitySource.header("Authorization"),
            results_cache_ttl=Duration.seconds(trigger.cache_ttl_s),
        )

        methods_by_path: dict[str, list[str]] = defaultdict(list)
        for route, fn in wiring.rest_routes():
            public = route.auth == "none"
            method = self.api.root.resource_for_path(route.path).add_method(
                route.method,
                # allow_test_invoke=False: no extra invoke permission for the console's test button
                apigw.LambdaIntegration(function_for(fn.key), proxy=True, allow_test_invoke=False),
                authorizer=None if public else self.authorizer,
                authorization_type=apigw.AuthorizationType.NONE if public else apigw.AuthorizationType.CUSTOM,
            )
            if public:
                for rule in ("APIG4", "COG4"):
                    nag.acknowledge(
                        method,
                        rule,
                        f"{route.method} {route.path} is called by a third party that signs each request "
                        "(Twilio's X-Twilio-Signature, HMAC-SHA1 with the account's auth token); the function "
                        "refuses an invalid signature with 403, so no bearer token is expected.",
                    )
            methods_by_path[route.path].append(route.method)
        for path, methods in methods_by_path.items():
            self._add_preflight(self.api.root.resource_for_path(path), methods)
        # API Gateway's own refusals (401 and 403 from the authorizer, 429, 5xx) reach no function:
        # they carry the CORS header too, so that the browser console can read and show them
        for kind, response_type in (("4xx", apigw.ResponseType.DEFAULT_4_XX), ("5xx", apigw.ResponseType.DEFAULT_5_XX)):
            self.api.add_gateway_response(
                f"Cors{kind}",
                type=response_type,
                response_headers={"Access-Control-Allow-Origin": f"'{CORS.allow_origin}'"},
            )

        self.web_acl = (
            RestApiWebAcl(
                self,
                "WebAcl",
                name=f"{api_name}-acl",
                stage_arn=self.api.deployment_stage.stage_arn,
                rate_limit=waf_rate_limit,
            )
            if waf_rate_limit is not None
            else None
        )
        self._acknowledge()

    @property
    def url(self) -> str:
        return self.api.url

    def _add_preflight(self, resource: apigw.IResource, methods: list[str]) -> None:
        preflight = resource.add_cors_preflight(
            allow_origins=[CORS.allow_origin],
            allow_methods=[*methods, "OPTIONS"],
            allow_headers=list(CORS.allow_headers),
            expose_headers=list(CORS.expose_headers),
            max_age=Duration.seconds(CORS.max_age_s),
        )
        # With `*/*` as a binary media type the mock integration cannot turn the (empty) request
        # into text for its template and answers 500; CONVERT_TO_TEXT is AWS's documented fix.
        cfn_method = preflight.node.default_child
        assert isinstance(cfn_method, apigw.CfnMethod)
        cfn_method.add_property_override("Integration.ContentHandling", "CONVERT_TO_TEXT")
        # cdk-nag APIG4/COG4 skip OPTIONS methods that only answer CORS: no acknowledgment needed.

    def _acknowledge(self) -> None:
        nag.acknowledge(
            self.api,
            "COG4",
            "Every method uses the Lambda TOKEN authorizer that checks Leadflow's own hashed API tokens "
            "(CLI, integrations, web app); there is no Cognito user pool in this design.",
        )
        nag.acknowledge(
            self.api,
            "APIG2",
            "Bodies are raw uploads (binary */*: CSV, XLSX, multipart) or small JSON documents validated "
            "by the handlers' pydantic models; an API Gateway model would be a second schema to keep in "
            "sync. The Authorization header is enforced by the TOKEN authorizer before any function runs.",
        )
        if self.web_acl is None:
            nag.acknowledge(
                self.api,
                "APIG3",
                "This stage has no web ACL (waf: false in cdk.json): one costs $5 a month plus $1 a rule, most of "
                "an idle dev stage's budget. Its edge is the stage and per-route throttles (429 past them), "
                "the token authorizer on every method but the signed Twilio webhook, and reserved "
                "concurrency where the stage sets it. Stages open to the public set waf: true (prod does).",
            )
        nag.acknowledge(
            self.api,
            nag.managed_policy("service-role/AmazonAPIGatewayPushToCloudWatchLogs"),
            "API Gateway's account-level logging role must use this AWS-managed policy; it allows writing "
            "to CloudWatch Logs only.",
        )
