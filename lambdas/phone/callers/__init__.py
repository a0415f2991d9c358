"""The callers function."""
