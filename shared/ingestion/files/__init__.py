"""Readers that turn an uploaded lead file (CSV, Excel, ODS or JSON) into rows.

The public entry point is :func:`shared.ingestion.files.readers.read_rows`.
"""
