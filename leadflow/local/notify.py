"""The notification domain on the local runtime: the sink, SES, secrets, and alarms that fire.

- Starts the local sink (Slack, downstream, alarm subscribers on 127.0.0.1) and points the
  provisioned secrets at it (the Slack webhook URL; the downstream URL, whose generated signing
  key the sink verifies with).
- Verifies the SES sender in the local AWS; `sent_mail()` reads what SES sent back through the
  moto server's `/moto-api/data.json` (the server runs in another process).
- Subscribes the sink to the alarms topic (HTTP, as a PagerDuty endpoint would be) and runs a
  small evaluator thread: every dead-letter-queue alarm (>= 1 visible message) is evaluated as
  CloudWatch would, and a change to ALARM is published to the topic.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx

from leadflow import wiring
from leadflow.config import StageConfig
from leadflow.local.aws import Resources
from leadflow.local.sink import Received, Sink
from leadflow.runbooks import with_runbook

#: how often the local alarm evaluator looks (CloudWatch: once a period, here 1 minute)
EVALUATION_INTERVAL_S = 1.0


def dlq_alarm_name(config: StageConfig, queue_key: str) -> str:
    """The name the stacks give the dead-letter-queue alarm (`stacks.domain`)."""
    return config.name(f"{queue_key}-dlq-not-empty")


@dataclass
class AlarmEvaluator:
    """Evaluates the dead-letter-queue alarms against the local queues and publishes state changes."""

    config: StageConfig
    resources: Resources
    sqs: Any
    sns: Any
    interval_s: float = EVALUATION_INTERVAL_S
    states: dict[str, str] = field(default_factory=dict)
    fired: list[dict[str, Any]] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, name="local-alarms", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread:
            self._thread.join(timeout=5)

    def _loop(self) -> None:
        while not self._stop.wait(self.interval_s):
            try:
                self.evaluate()
            except Exception:  # the local AWS going away at shutdown; the next round tries again
                if self._stop.is_set():
                    return

    def evaluate(self) -> list[dict[str, Any]]:
        """One evaluation round; returns the notifications it published."""
        published = []
        for key, url in self.resources.dlqs.items():
            name = dlq_alarm_name(self.config, key)
            visible = int(
                self.sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages"])[
                    "Attributes"
                ]["ApproximateNumberOfMessages"]
            )
            state = "ALARM" if visible >= 1 else "OK"
            previous = self.states.get(name, "OK")
            self.states[name] = state
            if state == previous or state != "ALARM":
                continue  # the stacks' alarms act on ALARM only
            message = {
                "AlarmName": name,
                "AlarmDescription": with_runbook(
                    f"{key}-dlq-not-empty",
                    f"Messages from {self.config.name(key)} gave up and wait in its dead-letter queue",
                ),
                "NewStateValue": state,
                "OldStateValue": previous,
                "NewStateReason": f"Threshold Crossed: {visible} visible message(s) >= 1 (local evaluation)",
                "StateChangeTime": datetime.now(UTC).isoformat(timespec="milliseconds"),
                "Region": self.config.region,
                "Trigger": {
                    "MetricName": "ApproximateNumberOfMessagesVisible",
                    "Namespace": "AWS/SQS",
                    "Dimensions": [{"name": "QueueName", "value": self.config.name(f"{key}-dlq")}],
                    "Threshold": 1,
                    "ComparisonOperator": "GreaterThanOrEqualToThreshold",
                },
            }
            self.sns.publish(
                TopicArn=self.resources.topics["alarms"],
                Subject=f'ALARM: "{name}" (local)'[:100],
                Message=json.dumps(message),
            )
            self.fired.append(message)
            published.append(message)
        return published


@dataclass
class LocalNotification:
    config: StageConfig
    resources: Resources
    aws: dict[str, Any]
    moto_url: str
    sink: Sink = field(default_factory=Sink)
    alarms: AlarmEvaluator | None = None

    def start(self) -> LocalNotification:
        secrets = self.aws["secretsmanager"]
        downstream = json.loads(secrets.get_secret_value(SecretId=self.resources.secrets["downstream"])["SecretString"])
        self.sink.signing_key = str(downstream.get("signing_key", ""))
        self.sink.start()
        secrets.put_secret_value(
            SecretId=self.resources.secrets["slack-webhook"], SecretString=json.dumps({"url": f"{self.sink.url}/slack"})
        )
        secrets.put_secret_value(
            SecretId=self.resources.secrets["downstream"],
            SecretString=json.dumps({**downstream, "url": f"{self.sink.url}/downstream"}),
        )
        self.verify_sender()
        self.aws["sns"].subscribe(
            TopicArn=self.resources.topics["alarms"], Protocol="http", Endpoint=f"{self.sink.url}/alarms"
        )
        self.alarms = AlarmEvaluator(self.config, self.resources, self.aws["sqs"], self.aws["sns"])
        self.alarms.start()
        return self

    def stop(self) -> None:
        if self.alarms:
            self.alarms.stop()
        self.sink.stop()

    def verify_sender(self) -> None:
        """The local SES accepts mail only from a verified sender, as SES does."""
        self.aws["ses"].verify_email_identity(EmailAddress=self.config.notify_sender)

    def sent_mail(self) -> list[dict[str, Any]]:
        """Mail SES sent: `source`, `destinations`, `subject`, `body`, read from the local AWS."""
        data = httpx.get(f"{self.moto_url}/moto-api/data.json", timeout=30.0).json()
        return list(data.get("ses", {}).get("Message", []))

    def alarm_posts(self) -> list[Received]:
        return self.sink.snapshot("/alarms")


def start(config: StageConfig, resources: Resources, aws: dict[str, Any], moto_url: str) -> LocalNotification:
    """Called by the local runtime once the local AWS is provisioned."""
    if not all(s.key in resources.secrets for s in wiring.SECRETS if s.domain == "notification"):
        raise RuntimeError("the notification secrets were not provisioned")
    return LocalNotification(config, resources, aws, moto_url).start()


def wait_for(predicate: Any, timeout_s: float, interval_s: float = 0.1) -> bool:
    """Poll `predicate` until true or `timeout_s` (bounded, for tests and the CLI)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval_s)
    return bool(predicate())
