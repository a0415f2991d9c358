"""Enrichment: standardizing rows (rules first, an LLM where they cannot), dedupe, storing, reading leads."""
