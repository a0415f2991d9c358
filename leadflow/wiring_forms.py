"""Web-form leads and SMS conversations: the form webhook, durable forwarding, dealer/customer texting.

Wiring of that part of the system (its functions live in the ingestion and notification domains);
`leadflow.wiring` adds these to the system's declarations.
"""

from __future__ import annotations

from leadflow.wiring import EventRule, Function, Queue, Table, Topic

QUEUES: tuple[Queue, ...] = ()
TABLES: tuple[Table, ...] = ()
TOPICS: tuple[Topic, ...] = ()
RULES: tuple[EventRule, ...] = ()
FUNCTIONS: tuple[Function, ...] = ()
