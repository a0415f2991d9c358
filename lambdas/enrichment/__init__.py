"""Handlers of the enrichment domain: logic in `shared/enrichment/`, wiring in `leadflow/wiring/enrichment.py`."""
