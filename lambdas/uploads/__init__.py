"""The uploads function."""
