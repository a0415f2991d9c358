"""The custom metrics' namespace and names, declared once: the handlers emit them
(`shared.core.observability.metrics`, Powertools EMF, dimension `service` = the function's key) and
the alarms and the dashboard in `stacks/observability.py` read them. A name typed twice can drift
apart with no error anywhere (CloudWatch alarms on a metric nobody emits sit in INSUFFICIENT_DATA),
so both sides import these and `tests/unit/core/test_metric_names.py` refuses a literal elsewhere.
"""

from __future__ import annotations

from typing import Final

NAMESPACE: Final = "Leadflow"

# notification (`notify`, `downstream-sync`)
SLACK_ATTEMPTS: Final = "SlackAttempts"
SLACK_FALLBACKS: Final = "SlackFallbacks"
SLACK_DELIVERED: Final = "SlackDelivered"
EMAIL_SENT: Final = "EmailSent"
DIGESTS: Final = "Digests"
NOTIFICATION_LATENCY: Final = "NotificationLatency"
DOWNSTREAM_SENT: Final = "DownstreamSent"
DOWNSTREAM_RETRIES: Final = "DownstreamRetries"

# enrichment (every function that talks to the LLM)
LLM_REQUESTS: Final = "LlmRequests"
LLM_FALLBACKS: Final = "LlmFallbacks"

# assignment
#: from pending to assigned, in milliseconds
ASSIGNMENT_LATENCY: Final = "PendingToAssignedMs"
#: the name the assignment-expiries alarm watches
ASSIGNMENT_EXPIRED: Final = "AssignmentExpired"
EXPIRIES_PER_AGENT: Final = "ExpiriesPerAgent"
AGENT_GRACE_ENDED: Final = "AgentGraceEnded"
TIME_TO_DISPOSITION: Final = "TimeToDispositionMs"

#: every name above: what a handler may emit and a stack may read
ALL: Final = frozenset(
    {
        SLACK_ATTEMPTS,
        SLACK_FALLBACKS,
        SLACK_DELIVERED,
        EMAIL_SENT,
        DIGESTS,
        NOTIFICATION_LATENCY,
        DOWNSTREAM_SENT,
        DOWNSTREAM_RETRIES,
        LLM_REQUESTS,
        LLM_FALLBACKS,
        ASSIGNMENT_LATENCY,
        ASSIGNMENT_EXPIRED,
        EXPIRIES_PER_AGENT,
        AGENT_GRACE_ENDED,
        TIME_TO_DISPOSITION,
    }
)
