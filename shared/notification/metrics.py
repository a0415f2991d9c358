"""The notification domain's custom metrics (dimension `service`=function key); their names are
declared once in `shared.core.metric_names`, which the alarms and the dashboard read too.
"""

from __future__ import annotations

import threading
import warnings

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.metrics.functions import is_metrics_disabled

from shared.core.metric_names import NOTIFICATION_LATENCY
from shared.core.observability import metrics

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
