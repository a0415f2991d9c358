"""Notification: Slack first, SES as fallback, a durable downstream sync, alarms that reach people.

Wiring of the notification domain; `leadflow.wiring` adds these to the system's declarations.
"""

from __future__ import annotations

from leadflow.wiring import EventRule, Function, Queue, Table, Topic

QUEUES: tuple[Queue, ...] = ()
TABLES: tuple[Table, ...] = ()
TOPICS: tuple[Topic, ...] = ()
RULES: tuple[EventRule, ...] = ()
FUNCTIONS: tuple[Function, ...] = ()
