"""The connect-vanity function."""
