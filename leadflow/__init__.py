"""Leadflow: the CLI, the wiring shared by CDK and the local runtime, and the local runtime."""
