"""The notification domain's custom metrics (namespace Leadflow, dimension `service`=function key).

The alarms and the dashboard in `stacks/observability.py` read these names.
"""

from __future__ import annotations

import threading
import warnings

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.metrics.functions import is_metrics_disabled

from shared.core.observability import metrics

SLACK_ATTEMPTS = "SlackAttempts"
SLACK_FALLBACKS = "SlackFallbacks"
SLACK_DELIVERED = "SlackDelivered"
EMAIL_SENT = "EmailSent"
DIGESTS = "Digests"
NOTIFICATION_LATENCY = "NotificationLatency"
DOWNSTREAM_SENT = "DownstreamSent"
DOWNSTREAM_RETRIES = "DownstreamRetries"


#: records are handled on several threads; Powertools' metric set is a plain dict
_lock = threading.Lock()

# Where metrics are disabled (the local runtime) nothing is ever added, and Powertools would warn
# about an empty metric set after every invocation.
warnings.filterwarnings("ignore", message="No application metrics to publish", category=UserWarning)


def count(name: str, value: float = 1) -> None:
    if is_metrics_disabled():
        return
    with _lock:
        metrics.add_metric(name=name, unit=MetricUnit.Count, value=value)


def latency_ms(value: float) -> None:
    if is_metrics_disabled():
        return
    with _lock:
        metrics.add_metric(name=NOTIFICATION_LATENCY, unit=MetricUnit.Milliseconds, value=value)
