"""The alarms read only custom metrics the handlers emit: every metric in the `Leadflow` namespace
that an alarm of the synthesized stage watches (plain or inside metric math) is declared in
`shared.core.metric_names`, and the custom-metric alarms are there at all."""

from __future__ import annotations

from typing import Any

from shared.core import metric_names

from .cfn import props, resources
from .conftest import Synthesized


def custom_reads(alarm: dict[str, Any]) -> list[str]:
    if "Metrics" not in alarm:
        return [alarm["MetricName"]] if alarm.get("Namespace") == metric_names.NAMESPACE else []
    return [
        q["MetricStat"]["Metric"]["MetricName"]
        for q in alarm["Metrics"]
        if q.get("MetricStat", {}).get("Metric", {}).get("Namespace") == metric_names.NAMESPACE
    ]


def test_every_custom_metric_an_alarm_reads_is_one_a_handler_emits(synth: Synthesized) -> None:
    read = {
        name
        for template in synth.templates.values()
        for alarm in resources(template, "AWS::CloudWatch::Alarm").values()
        for name in custom_reads(props(alarm))
    }
    assert read - metric_names.ALL == set()
    assert {metric_names.SLACK_FALLBACKS, metric_names.ASSIGNMENT_EXPIRED} <= read


def test_a_misspelt_name_is_caught() -> None:
    metric = {"Namespace": metric_names.NAMESPACE, "MetricName": "SlackFallback"}
    alarm = {"Metrics": [{"Id": "m", "MetricStat": {"Metric": metric}}]}
    assert set(custom_reads(alarm)) - metric_names.ALL == {"SlackFallback"}
