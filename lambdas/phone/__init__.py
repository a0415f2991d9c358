"""Handlers of the phone domain: logic in `shared/phone/`, wiring in `leadflow/wiring/phone.py`."""
