"""Handlers of the forms domain: logic in `shared/forms/`, wiring in `leadflow/wiring/forms.py`."""
