"""Resolve a wiring key to a construct: the domain's own resource, or another domain's by name.

Another domain's queue, table, bucket, topic or function is imported from its physical name (which
`StageConfig` derives from the stage), never through a CloudFormation export. Exports would tie
the stacks together, and ingestion and enrichment use each other's resources (the splitter sends
to `lead-batches`; store-leads writes `jobs`), so exports would form a dependency cycle. Imported
resources carry exact ARNs, so grants on them stay as narrow as grants on owned ones.
"""

from __future__ import annotations

from aws_cdk import ArnFormat, Stack
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_events as events
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_secretsmanager as secretsmanager
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from leadflow import wiring
from leadflow.config import StageConfig


class References(Construct):
    """The domain's resources by key, importing other domains' resources once, on first use."""

    def __init__(self, scope: Construct, construct_id: str, *, domain: wiring.Domain, config: StageConfig):
        super().__init__(scope, construct_id)
        self.domain = domain
        self.config = config
        self.queues: dict[str, sqs.IQueue] = {}
        self.tables: dict[str, dynamodb.ITable] = {}
        self.buckets: dict[str, s3.IBucket] = {}
        self.topics: dict[str, sns.ITopic] = {}
        self.functions: dict[str, lambda_.IFunction] = {}
        self.buses: dict[str, events.IEventBus] = {}
        self.secrets: dict[str, secretsmanager.ISecret] = {}

    @property
    def _stack(self) -> Stack:
        return Stack.of(self)

    def bucket_name(self, key: str) -> str:
        # `Stack.account` is the AWS::AccountId token when the stack is environment-agnostic.
        return self.config.bucket_name(key, self._stack.account)

    def queue(self, key: str) -> sqs.IQueue:
        if key not in self.queues:
            name = self.config.name(key)
            arn = self._stack.format_arn(service="sqs", resource=name)
            self.queues[key] = sqs.Queue.from_queue_attributes(self, f"Queue-{key}", queue_arn=arn, queue_name=name)
        return self.queues[key]

    def table(self, key: str) -> dynamodb.ITable:
        if key not in self.tables:
            declared = wiring.table(key)
            self.tables[key] = dynamodb.Table.from_table_attributes(
                self,
                f"Table-{key}",
                table_name=self.config.name(key),
                # index permissions only for a table that has indexes to query
                global_indexes=[index.name for index in declared.indexes] or None,
            )
        return self.tables[key]

    def bucket(self, key: str) -> s3.IBucket:
        if key not in self.buckets:
            self.buckets[key] = s3.Bucket.from_bucket_name(self, f"Bucket-{key}", self.bucket_name(key))
        return self.buckets[key]

    def topic(self, key: str) -> sns.ITopic:
        if key not in self.topics:
            arn = self._stack.format_arn(service="sns", resource=self.config.name(key))
            self.topics[key] = sns.Topic.from_topic_arn(self, f"Topic-{key}", arn)
        return self.topics[key]

    def bus(self, key: str) -> events.IEventBus:
        if key not in self.buses:
            self.buses[key] = events.EventBus.from_event_bus_name(self, f"Bus-{key}", self.config.name(key))
        return self.buses[key]

    def secret(self, key: str) -> secretsmanager.ISecret:
        if key not in self.secrets:
            name = self.config.name(key)
            self.secrets[key] = secretsmanager.Secret.from_secret_name_v2(self, f"Secret-{key}", name)
        return self.secrets[key]

    def function(self, key: str) -> lambda_.IFunction:
        if key not in self.functions:
            arn = self._stack.format_arn(
                service="lambda",
                resource="function",
                resource_name=self.config.name(key),
                arn_format=ArnFormat.COLON_RESOURCE_NAME,
            )
            # same_environment: the function is in this account and region, so CDK may add
            # invoke permissions to it (API Gateway integrations need that).
            self.functions[key] = lambda_.Function.from_function_attributes(
                self, f"Function-{key}", function_arn=arn, same_environment=True
            )
        return self.functions[key]

    def env_value(self, ref: wiring.EnvRef) -> str:
        """The value a function's environment variable gets on AWS."""
        if isinstance(ref, wiring.TableName):
            return self.table(ref.table).table_name
        if isinstance(ref, wiring.QueueUrl):
            return self.queue(ref.queue).queue_url
        if isinstance(ref, wiring.BucketName):
            return self.bucket(ref.bucket).bucket_name
        if isinstance(ref, wiring.TopicArn):
            return self.topic(ref.topic).topic_arn
        if isinstance(ref, wiring.BusName):
            return self.bus(ref.bus).event_bus_name
        if isinstance(ref, wiring.SecretArn):
            return self.secret(ref.secret).secret_arn
        if isinstance(ref, wiring.Setting):
            return wiring.render_setting(getattr(self.config, ref.attribute))
        if isinstance(ref, wiring.RouteRoles):
            return wiring.route_roles_json()
        return ref.value
