"""Assignment: agents on a WebSocket, the oldest pending email to the longest-idle online agent.

Wiring of the assignment domain; `leadflow.wiring` adds these to the system's declarations.
"""

from __future__ import annotations

from leadflow.wiring import EventRule, Function, Queue, Table, Topic

QUEUES: tuple[Queue, ...] = ()
TABLES: tuple[Table, ...] = (Table("users", "assignment", pk="user_id"),)
TOPICS: tuple[Topic, ...] = ()
RULES: tuple[EventRule, ...] = ()
FUNCTIONS: tuple[Function, ...] = ()
