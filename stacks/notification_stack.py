"""Notification: lead notices (Slack, SES), the downstream sync, and the alarms topic every stack's
alarms notify, with who receives it and the stage's alarms and dashboard (`stacks.observability`)."""

from __future__ import annotations

from aws_cdk import Aws, Environment, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from constructs import Construct

from leadflow.config import StageConfig
from stacks.domain import ALARMS_TOPIC, DomainResources
from stacks.observability import Observability
from stacks.packaging import Packaging


class NotificationStack(Stack):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: StageConfig,
        packaging: Packaging,
        env: Environment,
        alarm_emails: tuple[str, ...],
    ) -> None:
        super().__init__(
            scope,
            construct_id,
            env=env,
            description=f"Leadflow {config.stage}: notification (Slack/SES notices, downstream sync, alarms)",
            termination_protection=config.retain_data,
        )
        self.resources = DomainResources(
            self, "Notification", domain="notification", config=config, packaging=packaging
        )
        alarms = self.resources.topics[ALARMS_TOPIC]
        # The topic has a policy of its own (SSL only), which replaces SNS's default one; alarm
        # actions from all of this account's stacks still need to publish.
        alarms.add_to_resource_policy(
            iam.PolicyStatement(
                sid="CloudWatchAlarmsPublish",
                principals=[iam.ServicePrincipal("cloudwatch.amazonaws.com")],
                actions=["sns:Publish"],
                resources=[alarms.topic_arn],
                conditions={"StringEquals": {"aws:SourceAccount": Aws.ACCOUNT_ID}},
            )
        )
        for email in alarm_emails:
            alarms.add_subscription(subscriptions.EmailSubscription(email))
        if config.alarm_https_endpoint:
            # PagerDuty's CloudWatch integration URL; it confirms the subscription itself
            alarms.add_subscription(
                subscriptions.UrlSubscription(config.alarm_https_endpoint, protocol=sns.SubscriptionProtocol.HTTPS)
            )
        self.observability = Observability(self, "Observability", config=config, topic=alarms)
