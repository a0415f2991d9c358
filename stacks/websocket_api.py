"""The agents' WebSocket API (API Gateway v2): one route per `wiring.WebSocketRoute`, the REQUEST
authorizer of `wiring.websocket_authorizer()` on `$connect` (token in the query string), route
responses where the wiring asks for them, an access-logged stage named after the stage, and for
every function whose environment names the endpoint: the endpoint and `execute-api:ManageConnections`
on this API's stage only.
"""

from __future__ import annotations

from collections.abc import Callable

from aws_cdk import RemovalPolicy, Stack
from aws_cdk import aws_apigatewayv2 as apigwv2
from aws_cdk import aws_apigatewayv2_authorizers as authorizers
from aws_cdk import aws_apigatewayv2_integrations as integrations
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from constructs import Construct

from leadflow import wiring
from stacks import nag

#: what the access log records per request (API Gateway's `$context` variables)
ACCESS_LOG_FORMAT = (
    '{"requestId":"$context.requestId","ip":"$context.identity.sourceIp","routeKey":"$context.routeKey",'
    '"eventType":"$context.eventType","connectionId":"$context.connectionId","status":"$context.status",'
    '"requestTime":"$context.requestTime","error":"$context.error.message",'
    '"integrationError":"$context.integrationErrorMessage","authorizerError":"$context.authorizer.error"}'
)


class WebSocketApi(Construct):
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
    ) -> None:
        """`throttle`: the stage's limits, applied by API Gateway to each route (messages and $connect).

        No web ACL: AWS WAF cannot be associated with a WebSocket API (REST API stages only, among
        API Gateway's kinds). This API's edge is that throttle and the authorizer on `$connect`."""
        super().__init__(scope, construct_id)
        routes = wiring.websocket_routes()
        declared_authorizer = wiring.websocket_authorizer()
        authorizer = None
        if declared_authorizer is not None:
            trigger, fn = declared_authorizer
            authorizer = authorizers.WebSocketLambdaAuthorizer(
                "Authorizer",
                function_for(fn.key),
                authorizer_name=f"{api_name}-token",
                identity_source=[f"route.request.querystring.{trigger.query_parameter}"],
            )

        def integration(key: str, route_key: str) -> integrations.WebSocketLambdaIntegration:
            return integrations.WebSocketLambdaIntegration(f"{route_key.strip('$')}Integration", function_for(key))

        by_key = {t.route_key: (t, fn) for t, fn in routes}
        options: dict[str, apigwv2.WebSocketRouteOptions] = {}
        for key in ("$connect", "$disconnect", "$default"):
            if key in by_key:
                trigger, fn = by_key[key]
                options[key] = apigwv2.WebSocketRouteOptions(
                    integration=integration(fn.key, key),
                    authorizer=authorizer if key == "$connect" else None,
                    return_response=trigger.reply,
                )
        self.api = apigwv2.WebSocketApi(
            self,
            "Api",
            api_name=api_name,
            description="Leadflow agents: assignments pushed, statuses and dispositions received",
            route_selection_expression="$request.body.action",
            connect_route_options=options.get("$connect"),
            disconnect_route_options=options.get("$disconnect"),
            default_route_options=options.get("$default"),
        )
        for trigger, fn in routes:
            if not trigger.route_key.startswith("$"):
                self.api.add_route(
                    trigger.route_key,
                    integration=integration(fn.key, trigger.route_key),
                    return_response=trigger.reply,
                )

        access_logs = logs.LogGroup(
            self,
            "AccessLogs",
            log_group_name=f"/aws/apigateway/{api_name}/access",
            retention=log_retention,
            removal_policy=removal_policy,
        )
        self.stage = apigwv2.WebSocketStage(
            self, "Stage", web_socket_api=self.api, stage_name=stage_name, auto_deploy=True
        )
        cfn_stage = self.stage.node.default_child
        assert isinstance(cfn_stage, apigwv2.CfnStage)
        cfn_stage.access_log_settings = apigwv2.CfnStage.AccessLogSettingsProperty(
            destination_arn=access_logs.log_group_arn, format=ACCESS_LOG_FORMAT
        )
        cfn_stage.default_route_settings = apigwv2.CfnStage.RouteSettingsProperty(
            throttling_burst_limit=throttle.burst, throttling_rate_limit=throttle.rate
        )

        self.url = self.stage.url  # wss://{api}.execute-api.{region}.amazonaws.com/{stage}
        self.callback_url = self.stage.callback_url  # https://.../{stage}, for @connections
        for fn in wiring.FUNCTIONS:
            refs = {n: ref for n, ref in fn.env.items() if isinstance(ref, wiring.WebSocketEndpoint)}
            names = list(refs)
            if not names:
                continue
            # POST pushes to a connection; DELETE closes one (a revoked or expired token's), where declared
            methods = ("POST", "DELETE") if any(ref.close for ref in refs.values()) else ("POST",)
            connections_arns = [
                Stack.of(self).format_arn(
                    service="execute-api",
                    resource=self.api.api_id,
                    resource_name=f"{stage_name}/{method}/@connections/*",
                )
                for method in methods
            ]
            function = function_for(fn.key)
            assert isinstance(function, lambda_.Function)
            for name in names:
                function.add_environment(name, self.callback_url)
            assert function.role is not None
            function.role.add_to_principal_policy(
                iam.PolicyStatement(actions=["execute-api:ManageConnections"], resources=connections_arns)
            )
            for connections_arn in connections_arns:
                nag.acknowledge(
                    function.role,
                    nag.wildcard_resource(function.role, connections_arn),
                    "Connection ids are made by API Gateway per connection; the grant is POST (push to an "
                    "agent) and, where declared, DELETE (close a revoked or expired token's connection) on "
                    "@connections of this one API and stage.",
                )
        nag.acknowledge(
            self.api,
            "APIG4",
            "WebSocket APIs take an authorizer on $connect only (it runs there, with the token in the query "
            "string); every later route of the connection carries that authorizer's context.",
        )
        nag.acknowledge(
            self.api,
            "COG4",
            "The $connect route uses the Lambda REQUEST authorizer that checks Leadflow's own hashed API "
            "tokens; there is no Cognito user pool in this design.",
        )
