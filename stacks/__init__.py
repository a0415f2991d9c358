"""The Leadflow CDK stacks: one per domain, all built from `leadflow.wiring` by `build_app`."""

from stacks.app_builder import build_app

__all__ = ["build_app"]
