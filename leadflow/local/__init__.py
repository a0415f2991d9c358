"""The embedded local runtime: moto in server mode plus real HTTP servers, running the same handlers."""
