"""Alarms that reach people, and the stage's dashboard, built from `wiring` by metric names.

Every alarm acts on the alarms topic. The dead-letter-queue alarms live with their queues
(`stacks.domain`); the rest are built here, in the notification stack, for every stack: each
queue, function and custom metric is addressed by its physical name (dimensions), never through a
cross-stack export.

Lambda errors and throttles (CloudWatch bills an alarm per metric it reads, metric math included):
- errors: one alarm per domain, a metric-math SUM of that domain's functions' `Errors` (at most
  `MAX_ALARM_METRICS` per alarm; a larger domain gets numbered alarms). It costs what per-function
  alarms cost (one metric per function) but names the domain and, in its description, the functions.
  Lambda's region-wide `Errors` (no dimension) would be one metric, but it counts every function in
  the account and region, other stages' and other apps' too, and names none of them.
- throttles: one alarm on Lambda's region-wide `Throttles` (no dimension), one metric. Without
  reserved concurrency (no Leadflow function has any) a function is throttled only when the
  account's regional concurrency runs out, which every function in the region shares: the condition
  is the account's, and this alarm is the one place to see it, whichever stage caused it. A function
  given reserved concurrency can be throttled alone and needs a throttles alarm of its own
  (tests/infra/test_alarms.py fails until it has one).

Custom metrics (namespace `Leadflow`, Powertools' `service` dimension = the emitting function's key):
- `SlackAttempts`, `SlackFallbacks`, `NotificationLatency` from `notify`;
- `LlmRequests`, `LlmFallbacks` from every function that talks to the LLM (its env has `LLM_BASE_URL`);
- `AssignmentExpired` (the agreed name) and `PendingToAssignedMs` (assignment latency) from the
  assignment domain's functions.
"""

from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as cloudwatch_actions
from aws_cdk import aws_sns as sns
from constructs import Construct

from leadflow import wiring
from leadflow.config import StageConfig
from leadflow.runbooks import with_runbook
from shared.core.metric_names import (
    ASSIGNMENT_EXPIRED,
    ASSIGNMENT_LATENCY,
    LLM_FALLBACKS,
    LLM_REQUESTS,
    NAMESPACE,
    NOTIFICATION_LATENCY,
    SLACK_ATTEMPTS,
    SLACK_FALLBACKS,
)

#: the age of the oldest message on a main queue that means the pipeline is stuck
QUEUE_AGE_ALARM_S = 300
#: server errors the REST API may answer in 5 minutes before someone is told (a handful are a
#: client retrying a timeout; more is a failing function or integration)
REST_5XX_ALARM = 5
#: the REST API's p99 latency over 5 minutes; the integration gives up at 29 s, a p99 of 10 s means
#: people are waiting on most of that
REST_LATENCY_P99_MS = 10_000
SLACK_FALLBACK_RATE_PCT = 20
LLM_FALLBACK_RATE_PCT = 20
#: a rate is judged only on this many attempts in the period (two failures out of three is noise)
MIN_ATTEMPTS = 5
ASSIGNMENT_EXPIRIES = 10
#: CloudWatch allows at most this many metrics in one alarm's math expression
MAX_ALARM_METRICS = 10

NOTIFY_FUNCTION = "notify"


#: the one alarm on Lambda's region-wide Throttles (no FunctionName dimension)
ACCOUNT_THROTTLES = "lambda-throttles"


def error_groups() -> list[tuple[str, str, list[str]]]:
    """(alarm key, domain, function keys) of the errors alarms: a domain's functions in order, at most
    `MAX_ALARM_METRICS` to an alarm (CloudWatch's limit on metrics in one alarm's math)."""
    groups: list[tuple[str, str, list[str]]] = []
    for domain in wiring.DOMAINS:
        keys = [fn.key for fn in wiring.FUNCTIONS if fn.domain == domain]
        chunks = [keys[i : i + MAX_ALARM_METRICS] for i in range(0, len(keys), MAX_ALARM_METRICS)]
        for n, chunk in enumerate(chunks, start=1):
            groups.append((f"{domain}-errors" if len(chunks) == 1 else f"{domain}-errors-{n}", domain, chunk))
    return groups


def llm_functions() -> list[str]:
    return [fn.key for fn in wiring.FUNCTIONS if "LLM_BASE_URL" in fn.env]


def assignment_functions() -> list[str]:
    return [fn.key for fn in wiring.FUNCTIONS if fn.domain == "assignment"]


class Observability(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, config: StageConfig, topic: sns.ITopic) -> None:
        super().__init__(scope, construct_id)
        self.config = config
        self.action = cloudwatch_actions.SnsAction(topic)
        self.alarms: dict[str, cloudwatch.Alarm] = {}
        minute = Duration.minutes(1)
        five = Duration.minutes(5)

        for queue in wiring.QUEUES:
            self._alarm(
                f"{queue.key}-oldest-message-age",
                f"The oldest message on {config.name(queue.key)} is over {QUEUE_AGE_ALARM_S} s old: a stuck pipeline",
                self.queue_metric(queue.key, "ApproximateAgeOfOldestMessage", "Maximum", minute),
                threshold=QUEUE_AGE_ALARM_S,
                comparison=cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
            )
        for key, domain, functions in error_groups():
            names = ", ".join(config.name(f) for f in functions)
            self._alarm(
                key,
                f"A function of the {domain} domain failed (Lambda Errors, summed over 5 minutes): one of "
                f"{names}. Which one: the AWS/Lambda Errors metric by FunctionName, or the function's "
                "log group /aws/lambda/<name>.",
                self._sum([self.function_metric(f, "Errors", five) for f in functions], "e", five),
                threshold=1,
            )
        self._alarm(
            ACCOUNT_THROTTLES,
            f"A Lambda function in this account and region ({config.region}) was throttled: the region's "
            f"concurrency ran out, which every function there shares ({config.name('*')}, other stages and "
            "apps). Which one: the AWS/Lambda Throttles metric by FunctionName; ConcurrentExecutions against "
            "the account's quota.",
            cloudwatch.Metric(namespace="AWS/Lambda", metric_name="Throttles", statistic="Sum", period=five),
            threshold=1,
        )
        api = config.name("api")
        self._alarm(
            "rest-5xx",
            f"The REST API {api} answered {REST_5XX_ALARM} or more server errors (5XX) in 5 minutes: a "
            "function behind it failed or ran past the 29 s integration timeout. Look at the access log "
            f"/aws/apigateway/{api}/access (status, integration latency), then the domains' errors alarms.",
            self.api_metric(api, "5XXError", "Sum", five),
            threshold=REST_5XX_ALARM,
        )
        self._alarm(
            "rest-latency-p99",
            f"The REST API {api} took over {REST_LATENCY_P99_MS // 1000} s at p99 for 5 minutes: callers wait "
            "on most of the 29 s the integration allows. Look at IntegrationLatency against Latency (the "
            "function or API Gateway), then the slow function's log group and its dependencies.",
            self.api_metric(api, "Latency", "p99", five),
            threshold=REST_LATENCY_P99_MS,
            comparison=cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        )
        self._rate_alarm(
            "slack-fallback-rate",
            f"Over {SLACK_FALLBACK_RATE_PCT} % of Slack notices went by email instead",
            failures=[self.custom(SLACK_FALLBACKS, NOTIFY_FUNCTION, five)],
            attempts=[self.custom(SLACK_ATTEMPTS, NOTIFY_FUNCTION, five)],
            threshold_pct=SLACK_FALLBACK_RATE_PCT,
        )
        llm = llm_functions()[: MAX_ALARM_METRICS // 2]
        if llm:
            self._rate_alarm(
                "llm-fallback-rate",
                f"Over {LLM_FALLBACK_RATE_PCT} % of LLM requests fell back to the rules",
                failures=[self.custom(LLM_FALLBACKS, key, five) for key in llm],
                attempts=[self.custom(LLM_REQUESTS, key, five) for key in llm],
                threshold_pct=LLM_FALLBACK_RATE_PCT,
            )
        expiries = self._sum(
            [
                self.custom(ASSIGNMENT_EXPIRED, key, Duration.minutes(15))
                for key in assignment_functions()[:MAX_ALARM_METRICS]
            ]
            or [cloudwatch.Metric(namespace=NAMESPACE, metric_name=ASSIGNMENT_EXPIRED, period=Duration.minutes(15))],
            "expired",
            Duration.minutes(15),
        )
        self._alarm(
            "assignment-expiries",
            f"Over {ASSIGNMENT_EXPIRIES} assignments expired unanswered within 15 minutes",
            expiries,
            threshold=ASSIGNMENT_EXPIRIES,
            comparison=cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        )
        # A dashboard is $3 a month whether anyone opens it; the alarms above are the signal, so a
        # stage may go without one (dev: stages.dev.dashboard in cdk.json).
        self.dashboard = self._dashboard() if config.dashboard else None

    # ------------------------------------------------------------ metrics by name

    # A label makes CDK render an alarm's metric as a metric-math query: labels are for the dashboard only.

    def queue_metric(
        self, key: str, name: str, statistic: str, period: Duration, *, label: bool = False
    ) -> cloudwatch.Metric:
        return cloudwatch.Metric(
            namespace="AWS/SQS",
            metric_name=name,
            dimensions_map={"QueueName": self.config.name(key)},
            statistic=statistic,
            period=period,
            label=key if label else None,
        )

    def function_metric(
        self, key: str, name: str, period: Duration, statistic: str = "Sum", *, label: bool = False
    ) -> cloudwatch.Metric:
        return cloudwatch.Metric(
            namespace="AWS/Lambda",
            metric_name=name,
            dimensions_map={"FunctionName": self.config.name(key)},
            statistic=statistic,
            period=period,
            label=key if label else None,
        )

    def api_metric(self, api: str, name: str, statistic: str, period: Duration) -> cloudwatch.Metric:
        """A REST API stage's metric, by the API's name (it lives in the ingestion stack)."""
        return cloudwatch.Metric(
            namespace="AWS/ApiGateway",
            metric_name=name,
            dimensions_map={"ApiName": api, "Stage": self.config.stage},
            statistic=statistic,
            period=period,
        )

    def custom(self, name: str, service: str, period: Duration, statistic: str = "Sum") -> cloudwatch.Metric:
        return cloudwatch.Metric(
            namespace=NAMESPACE,
            metric_name=name,
            dimensions_map={"service": service},
            statistic=statistic,
            period=period,
            label=f"{name} ({service})",
        )

    @staticmethod
    def _sum(metrics: list[cloudwatch.Metric], prefix: str, period: Duration) -> cloudwatch.IMetric:
        if len(metrics) == 1:
            return metrics[0]
        names = {f"{prefix}{i}": m for i, m in enumerate(metrics)}
        return cloudwatch.MathExpression(
            expression=" + ".join(f"FILL({n}, 0)" for n in names), using_metrics=names, period=period
        )

    # ------------------------------------------------------------ alarms

    def _alarm(
        self,
        key: str,
        description: str,
        metric: cloudwatch.IMetric,
        *,
        threshold: float,
        comparison: cloudwatch.ComparisonOperator = cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
    ) -> cloudwatch.Alarm:
        cid = "".join(part.capitalize() for part in key.split("-"))
        alarm = cloudwatch.Alarm(
            self,
            f"{cid}Alarm",
            alarm_name=self.config.name(key),
            alarm_description=with_runbook(key, description),
            metric=metric,
            threshold=threshold,
            evaluation_periods=1,
            comparison_operator=comparison,
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
        )
        alarm.add_alarm_action(self.action)
        self.alarms[key] = alarm
        return alarm

    def _rate_alarm(
        self,
        key: str,
        description: str,
        *,
        failures: list[cloudwatch.Metric],
        attempts: list[cloudwatch.Metric],
        threshold_pct: float,
    ) -> None:
        using = {f"f{i}": m for i, m in enumerate(failures)} | {f"a{i}": m for i, m in enumerate(attempts)}
        failed = " + ".join(f"FILL(f{i}, 0)" for i in range(len(failures)))
        tried = " + ".join(f"FILL(a{i}, 0)" for i in range(len(attempts)))
        rate = cloudwatch.MathExpression(
            # judged only on enough attempts; below that the rate reads 0
            expression=f"IF(({tried}) >= {MIN_ATTEMPTS}, 100 * ({failed}) / ({tried}), 0)",
            using_metrics=using,
            label=f"{key} (%)",
            period=Duration.minutes(5),
        )
        self._alarm(
            key,
            description,
            rate,
            threshold=threshold_pct,
            comparison=cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        )

    # ------------------------------------------------------------ dashboard

    def _dashboard(self) -> cloudwatch.Dashboard:
        minute = Duration.minutes(1)
        queues = [q.key for q in wiring.QUEUES]
        dashboard = cloudwatch.Dashboard(self, "Dashboard", dashboard_name=self.config.name("overview"))
        dashboard.add_widgets(
            cloudwatch.GraphWidget(
                title="Queue depth (visible messages)",
                left=[
                    self.queue_metric(k, "ApproximateNumberOfMessagesVisible", "Maximum", minute, label=True)
                    for k in queues
                ],
                width=12,
            ),
            cloudwatch.GraphWidget(
                title="Dead-letter queues (visible messages)",
                left=[
                    cloudwatch.Metric(
                        namespace="AWS/SQS",
                        metric_name="ApproximateNumberOfMessagesVisible",
                        dimensions_map={"QueueName": self.config.name(f"{k}-dlq")},
                        statistic="Maximum",
                        period=minute,
                        label=f"{k}-dlq",
                    )
                    for k in queues
                ],
                width=12,
            ),
        )
        dashboard.add_widgets(
            cloudwatch.GraphWidget(
                title="Age of the oldest message (s)",
                left=[
                    self.queue_metric(k, "ApproximateAgeOfOldestMessage", "Maximum", minute, label=True) for k in queues
                ],
                left_annotations=[cloudwatch.HorizontalAnnotation(value=QUEUE_AGE_ALARM_S, label="alarm")],
                width=12,
            ),
            cloudwatch.GraphWidget(
                title="Function errors",
                left=[self.function_metric(fn.key, "Errors", minute, label=True) for fn in wiring.FUNCTIONS],
                width=12,
            ),
        )
        notify_latency = [
            self.custom(NOTIFICATION_LATENCY, NOTIFY_FUNCTION, minute, statistic=p) for p in ("p50", "p99")
        ]
        assignment_latency = [
            self.custom(ASSIGNMENT_LATENCY, key, minute, statistic="p99") for key in assignment_functions()
        ]
        dashboard.add_widgets(
            cloudwatch.GraphWidget(
                title="Notification latency, event to delivery (ms)",
                left=notify_latency,
                left_annotations=[cloudwatch.HorizontalAnnotation(value=2000, label="target 2 s")],
                width=8,
            ),
            cloudwatch.GraphWidget(
                title="Slack: attempts and email fallbacks",
                left=[
                    self.custom(SLACK_ATTEMPTS, NOTIFY_FUNCTION, minute),
                    self.custom(SLACK_FALLBACKS, NOTIFY_FUNCTION, minute),
                ],
                width=8,
            ),
            cloudwatch.GraphWidget(
                title="Assignment latency p99 (ms)",
                left=assignment_latency
                or [cloudwatch.Metric(namespace=NAMESPACE, metric_name=ASSIGNMENT_LATENCY, statistic="p99")],
                width=8,
            ),
        )
        return dashboard
