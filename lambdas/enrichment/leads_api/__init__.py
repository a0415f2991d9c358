"""The leads-api function."""
