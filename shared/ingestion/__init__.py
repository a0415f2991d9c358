"""Ingestion: uploads, jobs, reading files (every worksheet) and splitting rows into batches."""
