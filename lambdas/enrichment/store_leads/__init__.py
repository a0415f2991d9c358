"""The store_leads function."""
