"""Assignment: agents and the emails they are given - the users and emails tables, the intake and
expiry queues, the engine's functions, and the agents' WebSocket API."""

from __future__ import annotations

from aws_cdk import CfnOutput, Environment, Stack
from constructs import Construct

from leadflow import wiring
from leadflow.config import StageConfig
from stacks.console_site import SITE_BUCKET_KEY, ConsoleSite
from stacks.domain import DomainResources, log_retention, removal_policy
from stacks.packaging import Packaging
from stacks.websocket_api import WebSocketApi


class AssignmentStack(Stack):
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
            description=f"Leadflow {config.stage}: assignment (agents on a WebSocket, emails in line)",
            termination_protection=config.retain_data,
        )
        self.resources = DomainResources(self, "Assignment", domain="assignment", config=config, packaging=packaging)
        self.websocket = WebSocketApi(
            self,
            "WebSocketApi",
            api_name=config.name("agents-ws"),
            stage_name=config.stage,
            function_for=self.resources.refs.function,
            log_retention=log_retention(config),
            removal_policy=removal_policy(config),
            throttle=wiring.Throttle(config.ws_throttle_rate, config.ws_throttle_burst),
        )
        CfnOutput(self, "WebSocketUrl", value=self.websocket.url, description="Agents connect here with ?token=")
        # the browser console; the ingestion stack adds the REST API's URL to its bucket (config.rest.json),
        # unless `-c consoleRestUrl=...` names another one here
        self.console = ConsoleSite(
            self,
            "Console",
            websocket_url=self.websocket.url,
            websocket_api_id=self.websocket.api.api_id,
            rest_url=self.node.try_get_context("consoleRestUrl"),
            bucket_name=self.resources.refs.bucket_name(SITE_BUCKET_KEY),
            logs_bucket_name=self.resources.refs.bucket_name("console-logs"),
            deploy_log_group_name=f"/aws/lambda/{config.name('console-deploy')}",
            log_retention=log_retention(config),
            log_retention_days=config.log_retention_days,
            removal_policy=removal_policy(config),
            retain_data=config.retain_data,
        )
        CfnOutput(self, "ConsoleUrl", value=self.console.url, description="The browser agent console")
