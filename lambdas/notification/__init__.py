"""Handlers of the notification domain: logic in `shared/notification/`, wiring in `leadflow/wiring/notification.py`."""
