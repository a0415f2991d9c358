"""Handlers of the assignment domain: logic in `shared/assignment/`, wiring in `leadflow/wiring/assignment.py`."""
