"""The tokens function."""
