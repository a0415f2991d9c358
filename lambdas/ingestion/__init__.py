"""Handlers of the ingestion domain: logic in `shared/ingestion/`, wiring in `leadflow/wiring/ingestion.py`."""
