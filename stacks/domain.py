"""One domain's share of `leadflow.wiring`, built as CDK resources.

`DomainResources` reads the wiring and creates, for one domain, its queues (each with a
dead-letter queue and an alarm on it), tables, buckets (with their S3 -> SQS notifications),
topics and functions (with their SQS triggers, environment and grants). A domain stack adds
only what is special about it (the ingestion REST API, the alarm subscribers).

Names come from `StageConfig`, so every physical name carries the stage, and another domain's
resources are reached by those names (see `stacks.references`).
"""

from __future__ import annotations

import json

from aws_cdk import ArnFormat, Aws, Duration, RemovalPolicy, Stack
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as cloudwatch_actions
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as events_targets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_lambda_event_sources as event_sources
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_s3_notifications as s3_notifications
from aws_cdk import aws_secretsmanager as secretsmanager
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from leadflow import wiring
from leadflow.config import ConfigError, StageConfig
from leadflow.runbooks import with_runbook
from stacks import nag
from stacks.packaging import ARCHITECTURE, RUNTIME, Packaging
from stacks.references import References

#: the topic every dead-letter-queue alarm notifies (owned by the notification domain)
ALARMS_TOPIC = "alarms"

# CloudWatch Logs accepts only these retention periods.
_RETENTION_BY_DAYS: dict[int, logs.RetentionDays] = {
    1: logs.RetentionDays.ONE_DAY,
    3: logs.RetentionDays.THREE_DAYS,
    5: logs.RetentionDays.FIVE_DAYS,
    7: logs.RetentionDays.ONE_WEEK,
    14: logs.RetentionDays.TWO_WEEKS,
    30: logs.RetentionDays.ONE_MONTH,
    60: logs.RetentionDays.TWO_MONTHS,
    90: logs.RetentionDays.THREE_MONTHS,
    120: logs.RetentionDays.FOUR_MONTHS,
    150: logs.RetentionDays.FIVE_MONTHS,
    180: logs.RetentionDays.SIX_MONTHS,
    365: logs.RetentionDays.ONE_YEAR,
    400: logs.RetentionDays.THIRTEEN_MONTHS,
    545: logs.RetentionDays.EIGHTEEN_MONTHS,
    731: logs.RetentionDays.TWO_YEARS,
}

# Object-level actions only: handlers get, put (directly or by presigned POST) and download objects
# by key and never list the bucket. (Without s3:ListBucket a missing key answers 403, not 404.)
_BUCKET_ACTIONS: dict[str, tuple[str, ...]] = {
    "read": ("s3:GetObject",),
    "write": ("s3:PutObject",),
    "read_write": ("s3:GetObject", "s3:PutObject", "s3:DeleteObject"),
}


def log_retention(config: StageConfig) -> logs.RetentionDays:
    try:
        return _RETENTION_BY_DAYS[config.log_retention_days]
    except KeyError:
        allowed = ", ".join(str(days) for days in _RETENTION_BY_DAYS)
        raise ConfigError(
            f"log_retention_days={config.log_retention_days} for stage {config.stage}; use one of {allowed}"
        ) from None


def removal_policy(config: StageConfig) -> RemovalPolicy:
    return RemovalPolicy.RETAIN if config.retain_data else RemovalPolicy.DESTROY


def _construct_id(key: str) -> str:
    return "".join(part.capitalize() for part in key.split("-"))


class DomainResources(Construct):
    """Everything `wiring.py` declares for `domain`, named for the stage in `config`."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        domain: wiring.Domain,
        config: StageConfig,
        packaging: Packaging,
    ) -> None:
        super().__init__(scope, construct_id)
        self.domain = domain
        self.config = config
        self.refs = References(self, "Imported", domain=domain, config=config)
        self.queues: dict[str, sqs.Queue] = {}
        self.dead_letter_queues: dict[str, sqs.Queue] = {}
        self.tables: dict[str, dynamodb.Table] = {}
        self.buckets: dict[str, s3.Bucket] = {}
        self.topics: dict[str, sns.Topic] = {}
        self.functions: dict[str, lambda_.Function] = {}
        self._access_logs: s3.Bucket | None = None
        self._layer: lambda_.LayerVersion | None = None
        self._packaging = packaging

        for topic in wiring.TOPICS:
            if topic.domain == domain:
                self._add_topic(topic)
        for queue in wiring.QUEUES:
            if queue.domain == domain:
                self._add_queue(queue)
        for secret in wiring.SECRETS:
            if secret.domain == domain:
                self._add_secret(secret)
        for table in wiring.TABLES:
            if table.domain == domain:
                self._add_table(table)
        for bucket in wiring.BUCKETS:
            if bucket.domain == domain:
                self._add_bucket(bucket)
        for bus in wiring.BUSES:
            if bus.domain == domain:
                self._add_bus(bus)
        for rule in wiring.RULES:
            if rule.domain == domain:
                self._add_rule(rule)
        for fn in wiring.FUNCTIONS:
            if fn.domain == domain:
                self._add_function(fn)
        self._acknowledge_cdk_helpers()

    # ------------------------------------------------------------ events

    def _add_bus(self, declared: wiring.Bus) -> None:
        bus = events.EventBus(self, f"{_construct_id(declared.key)}Bus", event_bus_name=self.config.name(declared.key))
        self.refs.buses[declared.key] = bus

    def _add_rule(self, declared: wiring.EventRule) -> None:
        events.Rule(
            self,
            f"{_construct_id(declared.key)}Rule",
            rule_name=self.config.name(declared.key),
            event_bus=self.refs.bus(declared.bus),
            event_pattern=events.EventPattern(
                source=events.Match.prefix(wiring.EVENT_SOURCE_PREFIX), detail_type=list(declared.detail_types)
            ),
            targets=[events_targets.SqsQueue(self.refs.queue(declared.queue))],
        )

    # ------------------------------------------------------------ queues

    def _add_queue(self, declared: wiring.Queue) -> None:
        cid = _construct_id(declared.key)
        dead_letters = sqs.Queue(
            self,
            f"{cid}DeadLetterQueue",
            queue_name=self.config.name(f"{declared.key}-dlq"),
            # The longest SQS allows: a message's age counts from its first enqueue, not its move.
            retention_period=Duration.days(14),
            encryption=sqs.QueueEncryption.SQS_MANAGED,
            enforce_ssl=True,
        )
        queue = sqs.Queue(
            self,
            f"{cid}Queue",
            queue_name=self.config.name(declared.key),
            visibility_timeout=Duration.seconds(wiring.visibility_timeout_s(declared.key)),
            retention_period=Duration.days(declared.retention_days),
            dead_letter_queue=sqs.DeadLetterQueue(queue=dead_letters, max_receive_count=declared.max_receive_count),
            # SQS-managed keys: S3 notifications and CloudWatch need no KMS key policy to use it.
            encryption=sqs.QueueEncryption.SQS_MANAGED,
            enforce_ssl=True,
        )
        self.queues[declared.key] = queue
        self.dead_letter_queues[declared.key] = dead_letters
        self.refs.queues[declared.key] = queue
        self._alarm_on_dead_letters(declared.key, cid, dead_letters)

    def _alarm_on_dead_letters(self, key: str, cid: str, dead_letters: sqs.Queue) -> None:
        alarm = cloudwatch.Alarm(
            self,
            f"{cid}DeadLetterAlarm",
            alarm_name=self.config.name(f"{key}-dlq-not-empty"),
            alarm_description=with_runbook(
                f"{key}-dlq-not-empty",
                f"Messages from {self.config.name(key)} gave up and wait in its dead-letter queue",
            ),
            metric=dead_letters.metric_approximate_number_of_messages_visible(
                period=Duration.minutes(1), statistic="Maximum"
            ),
            threshold=1,
            evaluation_periods=1,
            comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
        )
        alarm.add_alarm_action(cloudwatch_actions.SnsAction(self.refs.topic(ALARMS_TOPIC)))

    # ------------------------------------------------------------ tables

    def _add_table(self, declared: wiring.Table) -> None:
        def attribute(name: str) -> dynamodb.Attribute:
            return dynamodb.Attribute(name=name, type=dynamodb.AttributeType.STRING)

        table = dynamodb.Table(
            self,
            f"{_construct_id(declared.key)}Table",
            table_name=self.config.name(declared.key),
            partition_key=attribute(declared.pk),
            sort_key=attribute(declared.sk) if declared.sk else None,
            billing_mode=dynamodb.BillingMode.PAY_PER_REQUEST,
            time_to_live_attribute=declared.ttl_attribute,
            point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(
                point_in_time_recovery_enabled=True
            ),
            removal_policy=removal_policy(self.config),
            deletion_protection=self.config.retain_data,
        )
        for index in declared.indexes:
            table.add_global_secondary_index(
                index_name=index.name,
                partition_key=attribute(index.pk),
                sort_key=attribute(index.sk) if index.sk else None,
                projection_type=dynamodb.ProjectionType.ALL,
            )
        self.tables[declared.key] = table
        self.refs.tables[declared.key] = table

    # ------------------------------------------------------------ buckets

    def _add_bucket(self, declared: wiring.Bucket) -> None:
        retain = self.config.retain_data
        methods = ((s3.HttpMethods.POST, declared.cors_post), (s3.HttpMethods.GET, declared.cors_get))
        bucket = s3.Bucket(
            self,
            f"{_construct_id(declared.key)}Bucket",
            bucket_name=self.refs.bucket_name(declared.key),
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            encryption=s3.BucketEncryption.S3_MANAGED,
            enforce_ssl=True,
            versioned=retain,
            removal_policy=removal_policy(self.config),
            auto_delete_objects=not retain,
            server_access_logs_bucket=self._access_logs_bucket(),
            server_access_logs_prefix=f"{declared.key}/",
            lifecycle_rules=self._lifecycle_rules(declared),
            cors=[
                # Presigned POST forms and GET links are authorized by their signature, not by the origin.
                s3.CorsRule(
                    allowed_methods=[m for m, on in methods if on],
                    allowed_origins=["*"],
                    allowed_headers=["*"],
                    max_age=3000,
                )
            ]
            if any(on for _, on in methods)
            else None,
        )
        for notification in declared.notifications:
            queue = self.queues.get(notification.queue)
            if queue is None:
                # The queue policy that lets S3 send must live with the queue, in its own stack.
                raise ValueError(
                    f"wiring: bucket {declared.key!r} notifies queue {notification.queue!r}, "
                    f"which is not in the {self.domain} domain; S3 notifications must stay within a domain"
                )
            for prefix in notification.prefixes:
                bucket.add_event_notification(
                    s3.EventType.OBJECT_CREATED,
                    s3_notifications.SqsDestination(queue),
                    s3.NotificationKeyFilter(prefix=prefix),
                )
        self.buckets[declared.key] = bucket
        self.refs.buckets[declared.key] = bucket

    def _lifecycle_rules(self, declared: wiring.Bucket) -> list[s3.LifecycleRule]:
        """Each personal-data prefix expires after its stage setting; old versions expire where versioned."""
        retain = self.config.retain_data
        rules = [
            s3.LifecycleRule(
                id="whole-bucket",
                abort_incomplete_multipart_upload_after=Duration.days(1),
                noncurrent_version_expiration=(
                    Duration.days(self.config.noncurrent_version_retention_days) if retain else None
                ),
            )
        ]
        for expiry in declared.expiries:
            days = getattr(self.config, expiry.setting, None)
            if not isinstance(days, int):
                raise ConfigError(
                    f"wiring: bucket {declared.key!r} expires {expiry.prefix} by unknown setting {expiry.setting!r}"
                )
            rules.append(
                s3.LifecycleRule(
                    id=f"expire-{expiry.prefix.strip('/')}",
                    prefix=expiry.prefix,
                    # in a versioned bucket this leaves a delete marker, and the data itself goes
                    # noncurrent_version_retention_days later by the whole-bucket rule
                    expiration=Duration.days(days),
                )
            )
        return rules

    def _access_logs_bucket(self) -> s3.Bucket:
        if self._access_logs is None:
            self._access_logs = s3.Bucket(
                self,
                "AccessLogsBucket",
                bucket_name=self.refs.bucket_name(f"{self.domain}-access-logs"),
                block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
                # S3 server access logging delivers only to SSE-S3 buckets.
                encryption=s3.BucketEncryption.S3_MANAGED,
                enforce_ssl=True,
                versioned=self.config.retain_data,
                removal_policy=removal_policy(self.config),
                auto_delete_objects=not self.config.retain_data,
                lifecycle_rules=[
                    s3.LifecycleRule(
                        expiration=Duration.days(self.config.log_retention_days),
                        noncurrent_version_expiration=Duration.days(1) if self.config.retain_data else None,
                    )
                ],
            )
            # cdk-nag S1 does not apply: it recognizes a bucket that receives other buckets' logs.
        return self._access_logs

    # ------------------------------------------------------------ topics

    def _add_topic(self, declared: wiring.Topic) -> None:
        topic = sns.Topic(
            self,
            f"{_construct_id(declared.key)}Topic",
            topic_name=self.config.name(declared.key),
            enforce_ssl=True,
        )
        self.topics[declared.key] = topic
        self.refs.topics[declared.key] = topic

    # ------------------------------------------------------------ secrets

    def _add_secret(self, declared: wiring.Secret) -> None:
        secret = secretsmanager.Secret(
            self,
            f"{_construct_id(declared.key)}Secret",
            secret_name=self.config.name(declared.key),
            description=declared.description,
            # the declared fields start empty for an operator to fill in; `generated` gets a random value
            generate_secret_string=secretsmanager.SecretStringGenerator(
                secret_string_template=json.dumps(dict.fromkeys(declared.fields, "")),
                generate_string_key=declared.generated or "unused",
                exclude_punctuation=True,
                password_length=64,
            ),
            removal_policy=removal_policy(self.config),
        )
        nag.acknowledge(
            secret,
            "SMG4",
            "Its values come from third parties (a Slack webhook URL, a key shared with the downstream CRM); "
            "a rotation Lambda cannot issue new ones, so they are rotated by hand with the other party.",
        )
        self.refs.secrets[declared.key] = secret

    # ------------------------------------------------------------ functions

    def _dependencies_layer(self) -> lambda_.LayerVersion:
        # One layer version per stack from the same asset (same hash: built and uploaded once);
        # a layer shared across stacks would need an export, which the stacks avoid.
        if self._layer is None:
            self._layer = lambda_.LayerVersion(
                self,
                "DependenciesLayer",
                layer_version_name=self.config.name(f"{self.domain}-dependencies"),
                description="Third-party packages from requirements.txt (cp312, manylinux2014_x86_64)",
                code=self._packaging.dependencies_code(),
                compatible_runtimes=[RUNTIME],
                compatible_architectures=[ARCHITECTURE],
            )
        return self._layer

    def _add_function(self, declared: wiring.Function) -> None:
        cid = _construct_id(declared.key)
        name = self.config.name(declared.key)
        log_group = logs.LogGroup(
            self,
            f"{cid}Logs",
            log_group_name=f"/aws/lambda/{name}",
            retention=log_retention(self.config),
            removal_policy=removal_policy(self.config),
        )
        # An own role instead of AWSLambdaBasicExecutionRole: it may write to its log group only.
        role = iam.Role(
            self,
            f"{cid}Role",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description=f"Runs {name}",
        )
        log_group.grant_write(role)
        # the WebSocket endpoint exists only once the domain's WebSocket API does: that construct sets it
        environment = {
            env: self.refs.env_value(ref)
            for env, ref in declared.env.items()
            if not isinstance(ref, wiring.WebSocketEndpoint)
        }
        environment["POWERTOOLS_SERVICE_NAME"] = declared.key
        function = lambda_.Function(
            self,
            f"{cid}Function",
            function_name=name,
            description=declared.description,
            runtime=RUNTIME,
            architecture=ARCHITECTURE,
            handler=declared.handler,
            code=self._packaging.function_code(declared),
            layers=[self._dependencies_layer()],
            timeout=Duration.seconds(declared.timeout_s),
            memory_size=declared.memory_mb,
            environment=environment,
            role=role,
            log_group=log_group,
            tracing=lambda_.Tracing.ACTIVE,
        )
        for source in declared.sqs_sources:
            function.add_event_source(
                event_sources.SqsEventSource(
                    self.refs.queue(source.queue),
                    batch_size=source.batch_size,
                    max_batching_window=Duration.seconds(source.max_batching_window_s)
                    if source.max_batching_window_s
                    else None,
                    max_concurrency=source.max_concurrency,
                    report_batch_item_failures=True,
                )
            )
        if any(isinstance(t, wiring.ConnectInvoke) for t in declared.triggers):
            # contact flows of this account's Connect instances (or the configured one) may invoke it
            function.add_permission(
                "ConnectInvoke",
                principal=iam.ServicePrincipal("connect.amazonaws.com"),
                source_account=Aws.ACCOUNT_ID,
                source_arn=self.config.connect_instance_arn,
            )
        for grant in declared.grants:
            self._grant(role, grant)
        self.functions[declared.key] = function
        self.refs.functions[declared.key] = function

        nag.acknowledge(
            function,
            "L1",
            "Python 3.12 is pinned on purpose: the dependencies layer is built from CPython 3.12 wheels "
            "(cp312, manylinux2014); a newer runtime needs that layer rebuilt, a deliberate upgrade.",
        )
        nag.acknowledge(
            role,
            "IAM5[Resource::*]",
            "Active tracing: xray:PutTraceSegments and xray:PutTelemetryRecords support no resource-level "
            "permissions, so they can only be granted on '*'.",
        )

    def _grant(self, role: iam.Role, grant: wiring.Grant) -> None:
        if grant.kind == "table" and grant.access in ("read", "write", "read_write"):
            table = self.refs.table(grant.key)
            if grant.access == "read":
                table.grant_read_data(role)
            elif grant.access == "write":
                table.grant_write_data(role)
            else:
                table.grant_read_write_data(role)
            if wiring.table(grant.key).indexes:
                nag.acknowledge(
                    role,
                    nag.wildcard_resource(role, f"{table.table_arn}/index/*"),
                    f"Queries on the {grant.key} table's own secondary indexes; index names are part of "
                    "the table's wiring, the wildcard stays inside this one table.",
                )
        elif grant.kind == "queue" and grant.access in ("send", "consume"):
            queue = self.refs.queue(grant.key)
            if grant.access == "send":
                queue.grant_send_messages(role)
            else:
                queue.grant_consume_messages(role)
        elif grant.kind == "bucket" and grant.access in _BUCKET_ACTIONS:
            bucket = self.refs.bucket(grant.key)
            objects = bucket.arn_for_objects(grant.prefix)
            role.add_to_principal_policy(
                iam.PolicyStatement(actions=list(_BUCKET_ACTIONS[grant.access]), resources=[objects])
            )
            nag.acknowledge(
                role,
                nag.wildcard_resource(role, objects),
                f"Object keys in the {grant.key} bucket are generated per upload; access is limited to "
                f"objects matching {grant.prefix!r} as declared in wiring.py.",
            )
        elif grant.kind == "topic" and grant.access == "publish":
            self.refs.topic(grant.key).grant_publish(role)
        elif grant.kind == "bus" and grant.access == "publish":
            self.refs.bus(grant.key).grant_put_events_to(role)
        elif grant.kind == "secret" and grant.access == "read":
            self.refs.secret(grant.key).grant_read(role)
        elif grant.kind == "external_secret" and grant.access == "read":
            # the LLM provider's key, put in Secrets Manager by whoever owns the provider account
            arn = getattr(self.config, grant.key)
            if arn:
                role.add_to_principal_policy(
                    iam.PolicyStatement(actions=["secretsmanager:GetSecretValue"], resources=[str(arn)])
                )
        elif grant.kind == "email" and grant.access == "send":
            self._allow_email(role, str(getattr(self.config, grant.key)))
        else:
            raise ValueError(f"wiring: {grant.kind} {grant.key!r} cannot be granted {grant.access!r} access")

    def _allow_email(self, role: iam.Role, sender: str) -> None:
        """SendEmail from the stage's one sender address only."""
        identities = Stack.of(role).format_arn(
            service="ses", resource="identity", resource_name="*", arn_format=ArnFormat.SLASH_RESOURCE_NAME
        )
        role.add_to_principal_policy(
            iam.PolicyStatement(
                actions=["ses:SendEmail"],
                resources=[identities],
                conditions={"StringEquals": {"ses:FromAddress": sender}},
            )
        )
        nag.acknowledge(
            role,
            nag.wildcard_resource(role, identities),
            "SES authorizes SendEmail against the sender's identity and, in the SES sandbox, each recipient's; "
            "recipients are per-stage settings, so the identities are a wildcard limited by the "
            "ses:FromAddress condition to the stage's one sender.",
        )

    # ------------------------------------------------------------ CDK's own helpers

    def _acknowledge_cdk_helpers(self) -> None:
        """Findings on the Lambda functions CDK adds for S3 notifications (one per stack)."""
        stack = Stack.of(self)
        handler = stack.node.try_find_child("BucketNotificationsHandler050a0587b7544547bf325f094a3db834")
        if handler is not None:
            nag.acknowledge(
                handler,
                nag.managed_policy("service-role/AWSLambdaBasicExecutionRole"),
                "CDK's bucket-notifications handler runs only during deployment; its role and policy "
                "are generated by aws-cdk-lib and not configurable.",
            )
