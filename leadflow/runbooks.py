"""Where each alarm's runbook is: `docs/runbooks.md`, one section per alarm or family of alarms.

Every alarm's description ends with `Runbook: docs/runbooks.md#<section>`: the stacks' alarms
(`stacks/`) and the local runtime's dead-letter alarms alike. `tests/infra/test_runbooks.py` checks
that every alarm of both stages has the pointer and that the section exists.
"""

from __future__ import annotations

import re

#: the account-wide Lambda throttles alarm (stacks/observability.py)
ACCOUNT_THROTTLES = "lambda-throttles"

#: what to do about each alarm: one section per alarm or family (tests/infra/test_runbooks.py)
RUNBOOKS = "docs/runbooks.md"


def runbook_section(key: str) -> str:
    """The heading anchor in `RUNBOOKS` for the alarm `key` (its name without the stage prefix)."""
    if key.endswith("-oldest-message-age"):
        return "queue-age"
    if key.endswith("-dlq-not-empty"):
        return f"dead-letters-{key.removesuffix('-dlq-not-empty')}"
    if key == ACCOUNT_THROTTLES:
        return "lambda-throttles"
    if key.endswith("-throttles"):
        return "function-throttles"
    if re.fullmatch(r"[a-z]+-errors(-\d+)?", key):
        return "function-errors"
    return key


def with_runbook(key: str, description: str) -> str:
    """The description, ending with where to read what to do."""
    return f"{description.rstrip('.')}. Runbook: {RUNBOOKS}#{runbook_section(key)}"
