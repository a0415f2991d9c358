"""The notification stack: alarms on every queue of every stack (the Lambda alarms: test_alarms.py),
the custom-metric alarms, the prod dashboard, the alarm subscribers, the fast SQS trigger, secrets
and the SES grant."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

from aws_cdk import App, Environment

from leadflow import wiring
from leadflow.config import REPO_ROOT
from stacks.notification_stack import NotificationStack
from stacks.observability import QUEUE_AGE_ALARM_S
from stacks.packaging import Packaging

from .cfn import flatten, props, resources, target
from .conftest import Synthesized


def _alarms(synth: Synthesized) -> dict[str, dict[str, Any]]:
    return {flatten(props(a)["AlarmName"]): props(a) for _, _, a in synth.resources("AWS::CloudWatch::Alarm")}


def _topic_arn(synth: Synthesized) -> str:
    return f"arn:aws:sns:{synth.config.region}:<AWS::AccountId>:{synth.config.name('alarms')}"


def _acts_on_topic(synth: Synthesized, alarm: dict[str, Any]) -> bool:
    actions = [flatten(a) for a in alarm["AlarmActions"]]
    # in the notification stack the topic is its own resource: a Ref to it
    own = [lid for lid in resources(synth.templates["notification"], "AWS::SNS::Topic")]
    return actions == [_topic_arn(synth)] or [target(a) for a in alarm["AlarmActions"]] == own


def test_every_main_queue_alarms_on_the_age_of_its_oldest_message(synth: Synthesized) -> None:
    alarms = _alarms(synth)
    for queue in wiring.QUEUES:
        alarm = alarms[synth.config.name(f"{queue.key}-oldest-message-age")]
        assert (alarm["Namespace"], alarm["MetricName"], alarm["Statistic"]) == (
            "AWS/SQS",
            "ApproximateAgeOfOldestMessage",
            "Maximum",
        )
        assert alarm["Dimensions"] == [{"Name": "QueueName", "Value": synth.config.name(queue.key)}]
        assert alarm["Threshold"] == QUEUE_AGE_ALARM_S == 300
        assert alarm["ComparisonOperator"] == "GreaterThanThreshold"
        assert _acts_on_topic(synth, alarm), queue.key


def _metric_names(alarm: dict[str, Any]) -> dict[str, tuple[str, str, tuple[tuple[str, str], ...]]]:
    out = {}
    for query in alarm.get("Metrics", []):
        if "MetricStat" in query:
            metric = query["MetricStat"]["Metric"]
            dims = tuple(sorted((d["Name"], d["Value"]) for d in metric.get("Dimensions", [])))
            out[query["Id"]] = (metric["Namespace"], metric["MetricName"], dims)
    return out


def test_custom_metric_alarms_watch_the_agreed_metrics(synth: Synthesized) -> None:
    alarms = _alarms(synth)
    slack = alarms[synth.config.name("slack-fallback-rate")]
    assert set(_metric_names(slack).values()) == {
        ("Leadflow", "SlackFallbacks", (("service", "notify"),)),
        ("Leadflow", "SlackAttempts", (("service", "notify"),)),
    }
    [expression] = [q["Expression"] for q in slack["Metrics"] if "Expression" in q]
    assert expression.startswith("IF((") and "100 *" in expression
    assert slack["Threshold"] == 20 and _acts_on_topic(synth, slack)

    llm_users = [fn.key for fn in wiring.FUNCTIONS if "LLM_BASE_URL" in fn.env]
    if llm_users:
        llm = alarms[synth.config.name("llm-fallback-rate")]
        services = {dict(dims)["service"] for _, _, dims in _metric_names(llm).values()}
        assert services == set(llm_users[:5])
        assert {name for _, name, _ in _metric_names(llm).values()} == {"LlmFallbacks", "LlmRequests"}

    expiries = alarms[synth.config.name("assignment-expiries")]
    names = {name for _, name, _ in _metric_names(expiries).values()} or {expiries.get("MetricName")}
    assert names == {"AssignmentExpired"}
    assert _acts_on_topic(synth, expiries)


def test_the_prod_dashboard_shows_queues_errors_and_latencies(prod: Synthesized) -> None:
    # dev has none (cdk.json: stages.dev.dashboard): tests/infra/test_alarms.py
    synth = prod
    [dashboard] = resources(synth.templates["notification"], "AWS::CloudWatch::Dashboard").values()
    assert props(dashboard)["DashboardName"] == synth.config.name("overview")
    body = flatten(props(dashboard)["DashboardBody"])
    for queue in wiring.QUEUES:
        assert f'"{synth.config.name(queue.key)}"' in body
        assert f'"{synth.config.name(queue.key + "-dlq")}"' in body
    for text in ("ApproximateAgeOfOldestMessage", "Errors", "NotificationLatency", "PendingToAssignedMs"):
        assert text in body


def test_notify_is_triggered_at_once_and_reports_partial_failures(synth: Synthesized) -> None:
    template = synth.templates["notification"]
    queues = {
        flatten(props(q)["QueueName"]): (lid, props(q)) for lid, q in resources(template, "AWS::SQS::Queue").items()
    }
    lid, queue = queues[synth.config.name("notifications")]
    assert queue["VisibilityTimeout"] == 6 * wiring.function("notify").timeout_s
    [mapping] = [
        props(m)
        for m in resources(template, "AWS::Lambda::EventSourceMapping").values()
        if target(props(m)["EventSourceArn"]) == lid
    ]
    # no batching window: the seed's ten-minute delay came from waiting on the queue
    assert mapping.get("MaximumBatchingWindowInSeconds", 0) == 0
    assert mapping["FunctionResponseTypes"] == ["ReportBatchItemFailures"]


def test_lead_events_reach_the_notification_queues(synth: Synthesized) -> None:
    template = synth.templates["notification"]
    rules = {flatten(props(r)["Name"]): props(r) for r in resources(template, "AWS::Events::Rule").values()}
    notices = rules[synth.config.name("lead-notices")]
    assert notices["EventPattern"]["detail-type"] == ["lead.enriched", "email.dispositioned"]
    sync = rules[synth.config.name("lead-sync")]
    assert sync["EventPattern"]["detail-type"] == ["lead.enriched"]


def _policy_statements(template: dict[str, Any], function_key: str, synth: Synthesized) -> list[dict[str, Any]]:
    functions = {
        flatten(props(f).get("FunctionName", "")): props(f)
        for f in resources(template, "AWS::Lambda::Function").values()
    }
    role = target(functions[synth.config.name(function_key)]["Role"])
    return [
        s
        for policy in resources(template, "AWS::IAM::Policy").values()
        if role in {target(r) for r in props(policy)["Roles"]}
        for s in props(policy)["PolicyDocument"]["Statement"]
    ]


def test_notify_reads_only_its_secret_and_sends_mail_only_as_the_stage_sender(synth: Synthesized) -> None:
    template = synth.templates["notification"]
    secrets = {flatten(props(s)["Name"]): lid for lid, s in resources(template, "AWS::SecretsManager::Secret").items()}
    assert set(secrets) == {synth.config.name("slack-webhook"), synth.config.name("downstream")}
    statements = _policy_statements(template, "notify", synth)
    secret_reads = [s for s in statements if "secretsmanager:GetSecretValue" in json.dumps(s["Action"])]
    assert [target(s["Resource"]) for s in secret_reads] == [secrets[synth.config.name("slack-webhook")]]
    [ses] = [s for s in statements if s["Action"] == "ses:SendEmail"]
    assert ses["Condition"] == {"StringEquals": {"ses:FromAddress": synth.config.notify_sender}}
    assert flatten(ses["Resource"]).endswith(":identity/*")
    assert all("ses:" not in json.dumps(s["Action"]) for s in _policy_statements(template, "downstream-sync", synth))


def test_alarm_emails_and_an_optional_https_endpoint_subscribe(tmp_path: Path, dev: Synthesized) -> None:
    # Given the dev stage with two emails and a PagerDuty endpoint
    config = dataclasses.replace(dev.config, alarm_https_endpoint="https://events.pagerduty.com/integration/x/enqueue")
    app = App(outdir=str(tmp_path), context={"aws:cdk:bundling-stacks": []})
    stack = NotificationStack(
        app,
        "Subscribers",
        config=config,
        packaging=Packaging(repo_root=REPO_ROOT, staging_root=tmp_path / ".staging"),
        env=Environment(region=config.region),
        alarm_emails=("oncall@example.com", "sales-ops@example.com"),
    )
    template = app.synth().get_stack_by_name(stack.stack_name).template
    subscriptions = sorted(
        (props(s)["Protocol"], props(s)["Endpoint"]) for s in resources(template, "AWS::SNS::Subscription").values()
    )
    assert subscriptions == [
        ("email", "oncall@example.com"),
        ("email", "sales-ops@example.com"),
        ("https", "https://events.pagerduty.com/integration/x/enqueue"),
    ]
