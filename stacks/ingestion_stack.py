"""Ingestion: uploads and their jobs, API tokens, the splitter, and the REST API in front of them (whose
URL it writes into the browser console's bucket, made by the assignment stack)."""

from __future__ import annotations

from aws_cdk import CfnOutput, Environment, Stack
from constructs import Construct

from leadflow import wiring
from leadflow.config import StageConfig
from stacks.connect import VanityContactFlow
from stacks.console_site import SITE_BUCKET_KEY, ConsoleRestConfig
from stacks.domain import DomainResources, log_retention, removal_policy
from stacks.packaging import Packaging
from stacks.rest_api import RestApi


class IngestionStack(Stack):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: StageConfig,
        packaging: Packaging,
        env: Environment,
    ) -> None:
        super().__init__(
            scope,
            construct_id,
            env=env,
            description=f"Leadflow {config.stage}: ingestion (REST API, uploads, jobs, splitter)",
            termination_protection=config.retain_data,
        )
        self.resources = DomainResources(self, "Ingestion", domain="ingestion", config=config, packaging=packaging)
        self.api = RestApi(
            self,
            "RestApi",
            api_name=config.name("api"),
            stage_name=config.stage,
            function_for=self.resources.refs.function,
            log_retention=log_retention(config),
            removal_policy=removal_policy(config),
            throttle=wiring.Throttle(config.api_throttle_rate, config.api_throttle_burst),
            waf_rate_limit=config.waf_rate_limit if config.waf else None,
        )
        self.contact_flow = VanityContactFlow(
            self,
            "VanityContactFlow",
            instance_arn=config.connect_instance_arn,
            function=self.resources.functions["connect-vanity"],
            flow_name=config.name("vanity-numbers"),
        )
        # the browser console (assignment stack, deployed before this one) finds the REST API here
        self.console_config = ConsoleRestConfig(
            self,
            "ConsoleRestConfig",
            rest_url=self.api.url,
            bucket_name=self.resources.refs.bucket_name(SITE_BUCKET_KEY),
            deploy_log_group_name=f"/aws/lambda/{config.name('console-rest-deploy')}",
            log_retention=log_retention(config),
            removal_policy=removal_policy(config),
        )
        CfnOutput(self, "ApiUrl", value=self.api.url, description="Base URL of the Leadflow REST API")
