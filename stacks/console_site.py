"""The browser console (agents and admins): `web/` in a private S3 bucket behind CloudFront (Origin
Access Control).

The page finds the APIs in two small JSON files written next to it at deploy time, so that one
`cdk deploy --all` gives it both URLs without an export between stacks:

- `config.json`, by the assignment stack (this site): the WebSocket URL of that stack, and a REST URL
  only when the `consoleRestUrl` context setting overrides it;
- `config.rest.json`, by the ingestion stack (`ConsoleRestConfig`): the URL of its REST API. The
  ingestion stack deploys after this one and imports the site bucket by its name; the site's own
  deployment excludes that file, so its sync neither uploads nor prunes it.

The agent view needs only the WebSocket; the admin views need the REST URL and say so when it is
missing. The page may connect to the APIs and to S3, where large uploads are posted with a presigned
form. The bucket allows only TLS and only this distribution; its reads are server-access-logged, and
CloudFront's requests are logged to the same logs bucket.
"""

from __future__ import annotations

from pathlib import Path

from aws_cdk import DefaultStackSynthesizer, Duration, RemovalPolicy, Stack
from aws_cdk import aws_cloudfront as cloudfront
from aws_cdk import aws_cloudfront_origins as origins
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_s3_deployment as s3deploy
from constructs import Construct

from stacks import nag

#: the console's static files (plain HTML, CSS and JS modules; no build step)
WEB_ROOT = Path(__file__).resolve().parents[1] / "web"
#: BucketDeployment's singleton handler: a stack-level child whose id starts so (a uuid follows)
DEPLOYMENT_HANDLER_PREFIX = "Custom::CDKBucketDeployment"
#: how long browsers and CloudFront may keep a console file (a deployment shows within this)
CACHE_MINUTES = 5
#: the site bucket's key for `StageConfig.bucket_name` (both stacks derive its name from it)
SITE_BUCKET_KEY = "console"
#: the page's configuration files: this site's, and the ingestion stack's with the REST API's URL
CONFIG_FILE = "config.json"
REST_CONFIG_FILE = "config.rest.json"


def content_security_policy(connect_src: str) -> str:
    """The same policy as the local console server's (leadflow/local/console.py)."""
    return (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        f"connect-src 'self' {connect_src}; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    )


class ConsoleSite(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        websocket_url: str,
        websocket_api_id: str,
        rest_url: str | None,
        bucket_name: str,
        logs_bucket_name: str,
        deploy_log_group_name: str,
        log_retention: logs.RetentionDays,
        log_retention_days: int,
        removal_policy: RemovalPolicy,
        retain_data: bool,
    ) -> None:
        super().__init__(scope, construct_id)
        stack = Stack.of(self)
        logs_bucket = s3.Bucket(
            self,
            "LogsBucket",
            bucket_name=logs_bucket_name,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            # S3 server access logs need SSE-S3; CloudFront standard logs need ACLs (object writer)
            encryption=s3.BucketEncryption.S3_MANAGED,
            object_ownership=s3.ObjectOwnership.OBJECT_WRITER,
            enforce_ssl=True,
            versioned=retain_data,
            removal_policy=removal_policy,
            auto_delete_objects=not retain_data,
            lifecycle_rules=[
                s3.LifecycleRule(
                    expiration=Duration.days(log_retention_days),
                    noncurrent_version_expiration=Duration.days(1) if retain_data else None,
                )
            ],
        )
        # cdk-nag S1 does not apply to the logs bucket: it receives the site bucket's logs.
        self.bucket = s3.Bucket(
            self,
            "SiteBucket",
            bucket_name=bucket_name,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            encryption=s3.BucketEncryption.S3_MANAGED,
            enforce_ssl=True,
            server_access_logs_bucket=logs_bucket,
            server_access_logs_prefix="site/",
            # as every bucket of a stage that keeps its data: versioned and retained in prod
            versioned=retain_data,
            removal_policy=removal_policy,
            auto_delete_objects=not retain_data,
            lifecycle_rules=(
                [s3.LifecycleRule(noncurrent_version_expiration=Duration.days(30))] if retain_data else None
            ),
        )
        region_host = f"execute-api.{stack.region}.{stack.url_suffix}"
        headers = cloudfront.ResponseHeadersPolicy(
            self,
            "SecurityHeaders",
            comment="Leadflow console: CSP (the APIs only), no framing, no sniffing, HSTS",
            security_headers_behavior=cloudfront.ResponseSecurityHeadersBehavior(
                content_security_policy=cloudfront.ResponseHeadersContentSecurityPolicy(
                    content_security_policy=content_security_policy(
                        f"wss://{websocket_api_id}.{region_host} https://*.{region_host} "
                        f"https://*.s3.{stack.region}.{stack.url_suffix} https://*.s3.{stack.url_suffix}"
                    ),
                    override=True,
                ),
                content_type_options=cloudfront.ResponseHeadersContentTypeOptions(override=True),
                frame_options=cloudfront.ResponseHeadersFrameOptions(
                    frame_option=cloudfront.HeadersFrameOption.DENY, override=True
                ),
                referrer_policy=cloudfront.ResponseHeadersReferrerPolicy(
                    referrer_policy=cloudfront.HeadersReferrerPolicy.NO_REFERRER, override=True
                ),
                strict_transport_security=cloudfront.ResponseHeadersStrictTransportSecurity(
                    access_control_max_age=Duration.days(365), include_subdomains=True, override=True
                ),
            ),
        )
        self.distribution = cloudfront.Distribution(
            self,
            "Distribution",
            comment="Leadflow console",
            default_root_object="index.html",
            default_behavior=cloudfront.BehaviorOptions(
                origin=origins.S3BucketOrigin.with_origin_access_control(self.bucket),
                viewer_protocol_policy=cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
                cache_policy=cloudfront.CachePolicy.CACHING_OPTIMIZED,
                response_headers_policy=headers,
            ),
            minimum_protocol_version=cloudfront.SecurityPolicyProtocol.TLS_V1_2_2021,
            http_version=cloudfront.HttpVersion.HTTP2_AND_3,
            enable_logging=True,
            log_bucket=logs_bucket,
            log_file_prefix="cloudfront/",
        )
        self.url = f"https://{self.distribution.distribution_domain_name}"
        self.deployment = s3deploy.BucketDeployment(
            self,
            "Deploy",
            destination_bucket=self.bucket,
            sources=[
                s3deploy.Source.asset(str(WEB_ROOT)),
                s3deploy.Source.json_data(CONFIG_FILE, {"restUrl": rest_url, "websocketUrl": websocket_url}),
            ],
            # the ingestion stack's file: not uploaded from here, and not pruned either
            exclude=[REST_CONFIG_FILE],
            # no invalidation (it needs cloudfront:CreateInvalidation on *): the files say how long
            # they may be cached, so a new version is served within five minutes
            cache_control=[s3deploy.CacheControl.max_age(Duration.minutes(CACHE_MINUTES))],
            log_group=logs.LogGroup(
                self,
                "DeployLogs",
                log_group_name=deploy_log_group_name,
                retention=log_retention,
                removal_policy=removal_policy,
            ),
            prune=True,
            memory_limit=256,
        )
        self._acknowledge()

    def _acknowledge(self) -> None:
        nag.acknowledge(
            self.distribution,
            "CFR1",
            "Agents and admins sign in from wherever they work; the page is static and carries no data "
            "until the WebSocket or REST API accepts the token.",
        )
        nag.acknowledge(
            self.distribution,
            "CFR2",
            "The distribution serves only static, public-by-design files (HTML, CSS, JS, config.json with "
            "public API URLs); every request for data goes to the API, which is authorized and throttled.",
        )
        nag.acknowledge(
            self.distribution,
            "CFR4",
            "The default *.cloudfront.net certificate allows only what CloudFront permits for it; a custom "
            "domain with an ACM certificate (TLSv1.2_2021 is set) is a deployment setting not yet configured.",
        )
        _acknowledge_deployment_handler(
            self,
            self.bucket,
            asset="the console's asset",
            delete="prunes files of an earlier console version from this bucket",
        )


class ConsoleRestConfig(Construct):
    """`config.rest.json` with the REST API's URL, written into the console bucket of the stage.

    Made in the stack that owns the REST API (ingestion), which deploys after the site's stack: the
    bucket is imported by its name (no export), and only this one file is written (no prune). It may
    be cached for a moment only, so that a new URL shows as soon as the stack is deployed.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        rest_url: str,
        bucket_name: str,
        deploy_log_group_name: str,
        log_retention: logs.RetentionDays,
        removal_policy: RemovalPolicy,
    ) -> None:
        super().__init__(scope, construct_id)
        self.bucket = s3.Bucket.from_bucket_name(self, "SiteBucket", bucket_name)
        self.deployment = s3deploy.BucketDeployment(
            self,
            "Deploy",
            destination_bucket=self.bucket,
            sources=[s3deploy.Source.json_data(REST_CONFIG_FILE, {"restUrl": rest_url})],
            cache_control=[s3deploy.CacheControl.no_cache()],
            log_group=logs.LogGroup(
                self,
                "DeployLogs",
                log_group_name=deploy_log_group_name,
                retention=log_retention,
                removal_policy=removal_policy,
            ),
            # the rest of the bucket is the site's: leave it as it is
            prune=False,
            memory_limit=256,
        )
        _acknowledge_deployment_handler(
            self,
            self.bucket,
            asset="the asset holding config.rest.json",
            delete="granted with the writes by aws-cdk-lib; this deployment does not prune",
        )


def _acknowledge_deployment_handler(scope: Construct, bucket: s3.IBucket, *, asset: str, delete: str) -> None:
    """The findings on the stack's BucketDeployment handler (a singleton: one per stack)."""
    stack = Stack.of(scope)
    [handler] = [c for c in stack.node.children if c.node.id.startswith(DEPLOYMENT_HANDLER_PREFIX)]
    nag.acknowledge(
        handler,
        nag.managed_policy("service-role/AWSLambdaBasicExecutionRole"),
        "CDK's BucketDeployment handler runs only during deployment; its role is generated by aws-cdk-lib.",
    )
    # the grants BucketDeployment makes itself: read the asset, write (and prune) this bucket
    assets = f"arn:aws:s3:::cdk-{DefaultStackSynthesizer.DEFAULT_QUALIFIER}-assets-<AWS::AccountId>-"
    findings = {
        "IAM5[Action::s3:GetBucket*]": "reads the CDK asset bucket and lists this bucket",
        "IAM5[Action::s3:GetObject*]": "reads " + asset,
        "IAM5[Action::s3:List*]": "lists the asset and this bucket to sync",
        "IAM5[Action::s3:Abort*]": "aborts its own multipart uploads into this bucket",
        "IAM5[Action::s3:DeleteObject*]": delete,
        f"IAM5[Resource::{assets}{stack.region}/*]": asset + " in CDK's asset bucket",
        nag.wildcard_resource(scope, f"{bucket.bucket_arn}/*"): "objects of the console bucket only",
    }
    for finding, what in findings.items():
        nag.acknowledge(
            handler,
            finding,
            f"CDK's BucketDeployment handler grants itself this at deploy time ({what}); generated by aws-cdk-lib.",
        )
    nag.acknowledge(
        handler,
        "L1",
        "CDK's BucketDeployment handler pins its own runtime (with the AWS CLI layer); aws-cdk-lib "
        "upgrades it, the app cannot.",
    )
