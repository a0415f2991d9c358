"""The local AWS: a moto server bound to 127.0.0.1, provisioned with what `wiring` declares.

The server runs in its own process so that it uses the machine's second core while the
handlers run in this one. Names are the same as in the cloud (`leadflow-{stage}-...`).
"""

from __future__ import annotations

import json
import logging
import os
import secrets
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from typing import Any

import boto3
import httpx
from botocore.config import Config

from leadflow import wiring
from leadflow.config import StageConfig
from leadflow.local.moto_patches import REPORT_ENV, Report

logger = logging.getLogger(__name__)

#: moto's default account: what its ARNs and queue URLs carry
ACCOUNT = "123456789012"
CREDENTIALS = {"AWS_ACCESS_KEY_ID": "local", "AWS_SECRET_ACCESS_KEY": "local"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class MotoServer:
    """moto_server in a child process on 127.0.0.1, with `leadflow.local.moto_patches` installed.

    `patches` says what the child installed; when it runs stock moto (speed patches left out), the
    one line saying which and why is logged here (the child's output is discarded).
    """

    def __init__(self, port: int | None = None) -> None:
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._process: subprocess.Popen[bytes] | None = None
        self.patches: Report | None = None

    def start(self, timeout_s: float = 30.0) -> None:
        fd, report = tempfile.mkstemp(prefix="leadflow-moto-", suffix=".json")
        os.close(fd)
        try:
            self._start(report, timeout_s)
        finally:
            os.unlink(report)

    def _start(self, report: str, timeout_s: float) -> None:
        self._process = subprocess.Popen(
            [sys.executable, "-m", "leadflow.local.moto_main", "-H", "127.0.0.1", "-p", str(self.port)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env={**os.environ, "MOTO_ALLOW_NONEXISTENT_REGION": "true", REPORT_ENV: report},
        )
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                written = self._report(report)
                why = f": {written['error']}" if written and "error" in written else ""
                raise RuntimeError(f"the local AWS (moto) exited at start with code {self._process.returncode}{why}")
            try:
                httpx.get(f"{self.url}/moto-api/", timeout=1.0)
            except httpx.TransportError:
                time.sleep(0.1)
                continue
            written = self._report(report)
            if written is None:  # written before the server listens: something else answers on the port
                self.stop()
                raise RuntimeError(f"the local AWS (moto) on {self.url} answered without saying what it installed")
            self.patches = Report.from_json(written)
            line = self.patches.line()
            if line:
                logger.warning(line)
            return
        self.stop()
        raise RuntimeError(f"the local AWS (moto) did not answer on {self.url} within {timeout_s:.0f} s")

    @staticmethod
    def _report(path: str) -> dict[str, Any] | None:
        try:
            with open(path, encoding="utf-8") as f:
                text = f.read()
        except OSError:
            return None
        if not text:  # not written yet
            return None
        parsed: dict[str, Any] = json.loads(text)
        return parsed

    def reset(self) -> None:
        httpx.post(f"{self.url}/moto-api/reset", timeout=10.0).raise_for_status()

    def stop(self) -> None:
        if self._process and self._process.poll() is None:
            self._process.terminate()
            try:
                self._process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self._process.kill()
        self._process = None


@dataclass
class Resources:
    """Physical names and URLs of what was provisioned, by wiring key."""

    tables: dict[str, str] = field(default_factory=dict)
    queues: dict[str, str] = field(default_factory=dict)  # key -> URL
    dlqs: dict[str, str] = field(default_factory=dict)  # main queue key -> DLQ URL
    buckets: dict[str, str] = field(default_factory=dict)
    topics: dict[str, str] = field(default_factory=dict)  # key -> ARN
    buses: dict[str, str] = field(default_factory=dict)  # key -> name
    secrets: dict[str, str] = field(default_factory=dict)  # key -> ARN
    #: the local WebSocket gateway's @connections endpoint (set by the runtime before the environment)
    websocket_endpoint: str = ""


def clients(endpoint: str, region: str) -> dict[str, Any]:
    config = Config(retries={"mode": "standard", "max_attempts": 5}, max_pool_connections=32)
    kwargs: dict[str, Any] = {
        "endpoint_url": endpoint,
        "region_name": region,
        "aws_access_key_id": CREDENTIALS["AWS_ACCESS_KEY_ID"],
        "aws_secret_access_key": CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
        "config": config,
    }
    services = ("s3", "sqs", "dynamodb", "sns", "events", "secretsmanager", "ses", "cloudwatch")
    return {name: boto3.client(name, **kwargs) for name in services}


def provision(config: StageConfig, endpoint: str, *, visibility_timeout_s: int | None = None) -> Resources:
    """Create every table, queue (with its DLQ), bucket (with notifications) and topic."""
    c = clients(endpoint, config.region)
    res = Resources()
    for t in wiring.TABLES:
        name = config.name(t.key)
        attrs = {t.pk: "S"}
        schema = [{"AttributeName": t.pk, "KeyType": "HASH"}]
        if t.sk:
            attrs[t.sk] = "S"
            schema.append({"AttributeName": t.sk, "KeyType": "RANGE"})
        gsis = []
        for index in t.indexes:
            key_schema = [{"AttributeName": index.pk, "KeyType": "HASH"}]
            attrs[index.pk] = "S"
            if index.sk:
                attrs[index.sk] = "S"
                key_schema.append({"AttributeName": index.sk, "KeyType": "RANGE"})
            gsis.append({"IndexName": index.name, "KeySchema": key_schema, "Projection": {"ProjectionType": "ALL"}})
        kwargs: dict[str, Any] = {
            "TableName": name,
            "KeySchema": schema,
            "AttributeDefinitions": [{"AttributeName": k, "AttributeType": v} for k, v in attrs.items()],
            "BillingMode": "PAY_PER_REQUEST",
        }
        if gsis:
            kwargs["GlobalSecondaryIndexes"] = gsis
        c["dynamodb"].create_table(**kwargs)
        res.tables[t.key] = name
    for q in wiring.QUEUES:
        dlq_url = c["sqs"].create_queue(
            QueueName=config.name(f"{q.key}-dlq"),
            Attributes={"MessageRetentionPeriod": str(14 * 24 * 3600)},
        )["QueueUrl"]
        dlq_arn = c["sqs"].get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        visibility = visibility_timeout_s if visibility_timeout_s is not None else wiring.visibility_timeout_s(q.key)
        url = c["sqs"].create_queue(
            QueueName=config.name(q.key),
            Attributes={
                "VisibilityTimeout": str(visibility),
                "MessageRetentionPeriod": str(q.retention_days * 24 * 3600),
                "RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": q.max_receive_count}),
            },
        )["QueueUrl"]
        res.queues[q.key] = url
        res.dlqs[q.key] = dlq_url
    for bus in wiring.BUSES:
        c["events"].create_event_bus(Name=config.name(bus.key))
        res.buses[bus.key] = config.name(bus.key)
    for rule in wiring.RULES:
        pattern = {"source": [{"prefix": wiring.EVENT_SOURCE_PREFIX}], "detail-type": list(rule.detail_types)}
        c["events"].put_rule(
            Name=config.name(rule.key), EventBusName=res.buses[rule.bus], EventPattern=json.dumps(pattern)
        )
        arn = c["sqs"].get_queue_attributes(QueueUrl=res.queues[rule.queue], AttributeNames=["QueueArn"])["Attributes"][
            "QueueArn"
        ]
        c["events"].put_targets(
            Rule=config.name(rule.key), EventBusName=res.buses[rule.bus], Targets=[{"Id": rule.queue, "Arn": arn}]
        )
    for topic in wiring.TOPICS:
        res.topics[topic.key] = c["sns"].create_topic(Name=config.name(topic.key))["TopicArn"]
    for secret in wiring.SECRETS:
        value = dict.fromkeys(secret.fields, "")
        if secret.generated:
            value[secret.generated] = secrets.token_hex(32)
        res.secrets[secret.key] = c["secretsmanager"].create_secret(
            Name=config.name(secret.key), Description=secret.description, SecretString=json.dumps(value)
        )["ARN"]
    for b in wiring.BUCKETS:
        name = config.bucket_name(b.key, ACCOUNT)
        create: dict[str, Any] = {"Bucket": name}
        if config.region != "us-east-1":
            create["CreateBucketConfiguration"] = {"LocationConstraint": config.region}
        c["s3"].create_bucket(**create)
        if b.cors_post:
            c["s3"].put_bucket_cors(
                Bucket=name,
                CORSConfiguration={
                    "CORSRules": [{"AllowedMethods": ["POST", "PUT"], "AllowedOrigins": ["*"], "AllowedHeaders": ["*"]}]
                },
            )
        queue_configs = []
        for n in b.notifications:
            arn = c["sqs"].get_queue_attributes(QueueUrl=res.queues[n.queue], AttributeNames=["QueueArn"])[
                "Attributes"
            ]["QueueArn"]
            for prefix in n.prefixes:
                queue_configs.append(
                    {
                        "QueueArn": arn,
                        "Events": ["s3:ObjectCreated:*"],
                        "Filter": {"Key": {"FilterRules": [{"Name": "prefix", "Value": prefix}]}},
                    }
                )
        if queue_configs:
            c["s3"].put_bucket_notification_configuration(
                Bucket=name, NotificationConfiguration={"QueueConfigurations": queue_configs}
            )
        res.buckets[b.key] = name
    return res
