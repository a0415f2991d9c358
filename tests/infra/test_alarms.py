"""The stage's Lambda alarms as synthesized: every function of every stack is covered for errors
and throttles, the alarm count and the idle month they cost, and the dashboard only where it is on.

Coverage is read from the templates, not from `wiring`: a function that reaches a template without an
alarm reading its Errors fails here, however it got there.
"""

from __future__ import annotations

import copy
import json
import re
from typing import Any

import pytest

from bench import cost_model as cm
from leadflow import wiring
from stacks.observability import ACCOUNT_THROTTLES, MAX_ALARM_METRICS, error_groups

from .cfn import flatten, props, resources
from .conftest import Synthesized

#: 7 queue-age + 7 dead-letter + 4 domain errors + 1 region-wide throttles + REST 5XX and latency +
#: Slack, LLM and expiry alarms; before consolidation there were 61 (44 per-function errors and throttles).
#: A stage adds one throttles alarm (one metric) per function it gives reserved concurrency (prod: 4).
ALARMS_PER_STAGE = 24
#: alarm metrics billed ($0.10 each): 22 function Errors + 1 Throttles + 7 + 7 + 2 REST + 2 + 10 + 1 (was 71)
ALARM_METRICS_PER_STAGE = 52
IDLE_DEV_TARGET_USD = 10.0

Templates = dict[str, dict[str, Any]]


def _alarms(templates: Templates) -> dict[str, dict[str, Any]]:
    return {
        flatten(props(a)["AlarmName"]): props(a)
        for t in templates.values()
        for a in resources(t, "AWS::CloudWatch::Alarm").values()
    }


def _lambda_reads(alarm: dict[str, Any]) -> list[tuple[str, dict[str, str]]]:
    """(metric name, dimensions) of every AWS/Lambda metric the alarm's value depends on.

    A metric-math alarm counts a metric only if the expression it returns uses the metric's id: a
    metric listed but left out of the sum would watch nothing."""

    def dims(metric: dict[str, Any]) -> dict[str, str]:
        return {d["Name"]: flatten(d["Value"]) for d in metric.get("Dimensions", [])}

    if "Metrics" not in alarm:
        if alarm.get("Namespace") != "AWS/Lambda":
            return []
        return [(alarm["MetricName"], dims(alarm))]
    [returned] = [q for q in alarm["Metrics"] if q.get("ReturnData", True)]
    expression = returned.get("Expression", returned["Id"])
    out = []
    for query in alarm["Metrics"]:
        metric = query.get("MetricStat", {}).get("Metric", {})
        used = query is returned or re.search(rf"\b{query['Id']}\b", expression) is not None
        if metric.get("Namespace") == "AWS/Lambda" and used:
            out.append((metric["MetricName"], dims(metric)))
    return out


def uncovered(templates: Templates) -> list[str]:
    """What is not covered, one line each: every named function needs an alarm summing its Errors
    that names it in its description, and its Throttles watched, by the region-wide alarm (no
    dimension) unless it has reserved concurrency, which only an alarm on its own Throttles sees."""
    alarms = _alarms(templates)
    errors: dict[str, list[str]] = {}
    throttles_of: set[str] = set()
    region_throttles = False
    for name, alarm in alarms.items():
        for metric, dimensions in _lambda_reads(alarm):
            function = dimensions.get("FunctionName")
            if metric == "Errors" and function:
                errors.setdefault(function, []).append(name)
            elif metric == "Throttles" and function:
                throttles_of.add(function)
            elif metric == "Throttles" and not dimensions:
                region_throttles = True
    problems = []
    for t in templates.values():
        for fn in resources(t, "AWS::Lambda::Function").values():
            # CDK's own unnamed helpers (custom resources) run at deploy time only
            if "FunctionName" not in props(fn):
                continue
            name = flatten(props(fn)["FunctionName"])
            described = [a for a in errors.get(name, []) if name in alarms[a].get("AlarmDescription", "")]
            if not described:
                problems.append(f"{name}: no errors alarm reads its Errors and names it")
            reserved = "ReservedConcurrentExecutions" in props(fn)
            if name not in throttles_of and (reserved or not region_throttles):
                problems.append(f"{name}: throttles not watched (reserved concurrency: {reserved})")
    return problems


def test_every_function_of_the_stage_is_covered_for_errors_and_throttles(synth: Synthesized) -> None:
    names = {
        flatten(props(fn)["FunctionName"])
        for _, _, fn in synth.resources("AWS::Lambda::Function")
        if "FunctionName" in props(fn)
    }
    # every wired function is in the templates, so covering the templates covers the wiring
    assert {synth.config.name(fn.key) for fn in wiring.FUNCTIONS} <= names
    assert uncovered(synth.templates) == []


def test_dropping_one_function_from_its_errors_alarm_is_caught(synth: Synthesized) -> None:
    # Given the synthesized templates with splitter's Errors left out of the ingestion alarm's sum
    templates = copy.deepcopy(synth.templates)
    alarm = next(
        a["Properties"]
        for a in resources(templates["notification"], "AWS::CloudWatch::Alarm").values()
        if flatten(props(a)["AlarmName"]) == synth.config.name("ingestion-errors")
    )
    victim = synth.config.name("splitter")
    [query] = [q for q in alarm["Metrics"] if victim in json.dumps(q.get("MetricStat", {}))]
    alarm["Metrics"].remove(query)
    # Then the check names it, and only it
    assert uncovered(templates) == [f"{victim}: no errors alarm reads its Errors and names it"]


def test_a_function_with_reserved_concurrency_needs_its_own_throttles_alarm(synth: Synthesized) -> None:
    templates = copy.deepcopy(synth.templates)
    # Given callers (which no stage reserves for) with reserved concurrency (the Properties themselves:
    # `props` returns a copy)
    assert "callers" not in synth.config.reserved_concurrency
    fn = next(
        f["Properties"]
        for f in resources(templates["ingestion"], "AWS::Lambda::Function").values()
        if props(f).get("FunctionName") == synth.config.name("callers")
    )
    fn["ReservedConcurrentExecutions"] = 5
    # Then the region-wide throttles alarm no longer counts for it
    callers = synth.config.name("callers")
    assert uncovered(templates) == [f"{callers}: throttles not watched (reserved concurrency: True)"]


def test_prod_reserved_functions_are_covered_by_their_own_alarms_and_losing_one_is_caught(prod: Synthesized) -> None:
    assert prod.config.reserved_concurrency, "prod reserves concurrency for the public edge (cdk.json)"
    assert uncovered(prod.templates) == []
    # Given the twilio-sms throttles alarm gone
    templates = copy.deepcopy(prod.templates)
    alarms = templates["notification"]["Resources"]
    [lid] = [
        lid
        for lid, a in resources(templates["notification"], "AWS::CloudWatch::Alarm").items()
        if flatten(props(a)["AlarmName"]) == prod.config.name("twilio-sms-throttles")
    ]
    del alarms[lid]
    # Then the check names it
    twilio = prod.config.name("twilio-sms")
    assert uncovered(templates) == [f"{twilio}: throttles not watched (reserved concurrency: True)"]


def test_errors_alarms_are_one_per_domain_and_act_on_the_alarms_topic(synth: Synthesized) -> None:
    alarms = _alarms(synth.templates)
    groups = error_groups()
    assert [key for key, _, _ in groups] == [f"{d}-errors" for d in wiring.DOMAINS]
    for key, domain, functions in groups:
        alarm = alarms[synth.config.name(key)]
        assert 1 <= len(functions) <= MAX_ALARM_METRICS
        assert domain in alarm["AlarmDescription"]
        assert len(alarm["AlarmDescription"]) <= 1024  # CloudWatch's limit
        assert {dims["FunctionName"] for _, dims in _lambda_reads(alarm)} == {synth.config.name(f) for f in functions}
        assert alarm["Threshold"] == 1 and alarm["ComparisonOperator"] == "GreaterThanOrEqualToThreshold"
        assert len(alarm["AlarmActions"]) == 1
    throttles = alarms[synth.config.name(ACCOUNT_THROTTLES)]
    assert (throttles["Namespace"], throttles["MetricName"], throttles["Statistic"]) == (
        "AWS/Lambda",
        "Throttles",
        "Sum",
    )
    assert "Dimensions" not in throttles
    assert len(throttles["AlarmActions"]) == 1


def test_alarm_count_and_the_metrics_they_bill(synth: Synthesized) -> None:
    alarms = _alarms(synth.templates)
    reserved = len(synth.config.reserved_concurrency)
    assert len(alarms) == ALARMS_PER_STAGE + reserved
    idle = cm.idle_month(synth.templates.values(), cm.load_prices())
    assert idle["counted"]["alarm_metrics_standard"] == ALARM_METRICS_PER_STAGE + reserved
    assert idle["counted"]["alarm_metrics_high_resolution"] == 0


@pytest.mark.parametrize(("stage", "dashboards"), [("dev", 0), ("prod", 1)])
def test_the_dashboard_is_in_prod_only(stage: str, dashboards: int, request: pytest.FixtureRequest) -> None:
    synth: Synthesized = request.getfixturevalue(stage)
    assert synth.config.dashboard is bool(dashboards)
    assert len(list(synth.resources("AWS::CloudWatch::Dashboard"))) == dashboards


def test_an_idle_dev_stage_costs_under_ten_dollars_a_month(dev: Synthesized) -> None:
    idle = cm.idle_month(dev.templates.values(), cm.load_prices())
    assert idle["total"] < IDLE_DEV_TARGET_USD, idle["dollars"]


def test_the_rest_api_has_5xx_and_latency_alarms_on_its_own_stage(synth: Synthesized) -> None:
    alarms = _alarms(synth.templates)
    api = {"ApiName": synth.config.name("api"), "Stage": synth.config.stage}
    five_xx = alarms[synth.config.name("rest-5xx")]
    latency = alarms[synth.config.name("rest-latency-p99")]
    for alarm, metric in ((five_xx, "5XXError"), (latency, "Latency")):
        assert (alarm["Namespace"], alarm["MetricName"]) == ("AWS/ApiGateway", metric)
        assert {d["Name"]: flatten(d["Value"]) for d in alarm["Dimensions"]} == api
        assert alarm["AlarmActions"], "an alarm without an action reaches nobody"
    assert latency["ExtendedStatistic"] == "p99" and latency["Threshold"] == 10_000
    assert five_xx["Statistic"] == "Sum" and five_xx["Threshold"] == 5
