"""The REST API stage's web ACL (AWS WAF, REGIONAL), on in the stages that ask for it (`waf` in cdk.json).

Rules, in the order WAF evaluates them:
1. a rate-based rule per client IP: more than `waf_rate_limit` requests in any 5 minutes and that
   IP is blocked with 429 `{"message":"Too Many Requests"}` (API Gateway's own throttle answer) until
   its rate falls below the limit;
2. AWS's Core rule set (`AWSManagedRulesCommonRuleSet`): the OWASP-style checks on headers, query
   strings and bodies. Not on the direct upload (`POST .../uploads`): its body is a spreadsheet of up
   to 4 MB, which the rule set's 8 KB body-size rule would refuse and whose cells are data that is
   parsed, never rendered or run; that route is token-authorized and has its own throttle;
3. AWS's Known bad inputs rule set (`AWSManagedRulesKnownBadInputsRuleSet`): Log4j, Java
   deserialization and similar exploit patterns, on every route.

WAF cannot be associated with a WebSocket API (nor an HTTP API): only REST API stages, ALBs,
CloudFront, AppSync, Cognito and a few others. The agents' WebSocket API relies on its stage
throttle and its authorizer on `$connect` instead.
"""

from __future__ import annotations

from aws_cdk import aws_wafv2 as wafv2
from constructs import Construct

#: the managed rule groups, by AWS's names (vendor AWS); each is billed as one rule ($1 a month)
MANAGED_RULE_GROUPS = ("AWSManagedRulesCommonRuleSet", "AWSManagedRulesKnownBadInputsRuleSet")
#: the rule set that skips the direct upload's body
COMMON_RULE_SET = "AWSManagedRulesCommonRuleSet"
#: the path suffix of the route whose body is a spreadsheet (WAF sees `/{stage}/uploads`)
UPLOAD_PATH_SUFFIX = "/uploads"
#: the window a rate-based rule counts requests in
RATE_WINDOW_S = 300
TOO_MANY_REQUESTS_BODY = '{"message":"Too Many Requests"}'


def _visibility(metric: str) -> wafv2.CfnWebACL.VisibilityConfigProperty:
    return wafv2.CfnWebACL.VisibilityConfigProperty(
        cloud_watch_metrics_enabled=True, metric_name=metric, sampled_requests_enabled=True
    )


class RestApiWebAcl(Construct):
    """A REGIONAL web ACL associated with one REST API stage (`stage_arn`)."""

    def __init__(self, scope: Construct, construct_id: str, *, name: str, stage_arn: str, rate_limit: int) -> None:
        super().__init__(scope, construct_id)
        not_the_upload = wafv2.CfnWebACL.StatementProperty(
            not_statement=wafv2.CfnWebACL.NotStatementProperty(
                statement=wafv2.CfnWebACL.StatementProperty(
                    byte_match_statement=wafv2.CfnWebACL.ByteMatchStatementProperty(
                        field_to_match=wafv2.CfnWebACL.FieldToMatchProperty(uri_path={}),
                        positional_constraint="ENDS_WITH",
                        search_string=UPLOAD_PATH_SUFFIX,
                        text_transformations=[wafv2.CfnWebACL.TextTransformationProperty(priority=0, type="NONE")],
                    )
                )
            )
        )
        rules = [
            wafv2.CfnWebACL.RuleProperty(
                name="rate-per-ip",
                priority=0,
                statement=wafv2.CfnWebACL.StatementProperty(
                    rate_based_statement=wafv2.CfnWebACL.RateBasedStatementProperty(
                        aggregate_key_type="IP", limit=rate_limit, evaluation_window_sec=RATE_WINDOW_S
                    )
                ),
                action=wafv2.CfnWebACL.RuleActionProperty(
                    block=wafv2.CfnWebACL.BlockActionProperty(
                        custom_response=wafv2.CfnWebACL.CustomResponseProperty(
                            response_code=429, custom_response_body_key="too-many-requests"
                        )
                    )
                ),
                visibility_config=_visibility(f"{name}-rate-per-ip"),
            )
        ]
        for priority, group in enumerate(MANAGED_RULE_GROUPS, start=1):
            rules.append(
                wafv2.CfnWebACL.RuleProperty(
                    name=group,
                    priority=priority,
                    statement=wafv2.CfnWebACL.StatementProperty(
                        managed_rule_group_statement=wafv2.CfnWebACL.ManagedRuleGroupStatementProperty(
                            vendor_name="AWS",
                            name=group,
                            scope_down_statement=not_the_upload if group == COMMON_RULE_SET else None,
                        )
                    ),
                    # the group's own actions (block) apply
                    override_action=wafv2.CfnWebACL.OverrideActionProperty(none={}),
                    visibility_config=_visibility(f"{name}-{group}"),
                )
            )
        self.web_acl = wafv2.CfnWebACL(
            self,
            "WebAcl",
            name=name,
            description="Leadflow REST API: a rate limit per client IP and AWS managed rules",
            scope="REGIONAL",
            default_action=wafv2.CfnWebACL.DefaultActionProperty(allow={}),
            custom_response_bodies={
                "too-many-requests": wafv2.CfnWebACL.CustomResponseBodyProperty(
                    content=TOO_MANY_REQUESTS_BODY, content_type="APPLICATION_JSON"
                )
            },
            rules=rules,
            visibility_config=_visibility(name),
        )
        self.association = wafv2.CfnWebACLAssociation(
            self, "Association", resource_arn=stage_arn, web_acl_arn=self.web_acl.attr_arn
        )
