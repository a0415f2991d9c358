"""Builds the Leadflow CDK app for one stage: four domain stacks, cdk-nag on every synth.

`app.py` (run by the CDK CLI) and the infrastructure tests both call `build_app`, so the tests
check exactly what `cdk synth` produces, with the same cdk.json context and feature flags.
"""

from __future__ import annotations

import dataclasses
import json
import os
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from aws_cdk import App, Environment, Tags

from leadflow.config import REPO_ROOT, ConfigError, StageConfig
from stacks import nag
from stacks.assignment_stack import AssignmentStack
from stacks.enrichment_stack import EnrichmentStack
from stacks.ingestion_stack import IngestionStack
from stacks.notification_stack import NotificationStack
from stacks.packaging import Packaging

DEFAULT_STAGE = "dev"


def build_app(
    stage: str | None = None,
    *,
    outdir: str | None = None,
    bundle: bool = True,
    context: Mapping[str, Any] | None = None,
) -> App:
    """The app for `stage` (default: context `-c stage=...`, else dev).

    `bundle=False` skips asset bundling (the pip-built layer), for tests: nothing is downloaded.
    `context` is what `-c key=value` gives the CLI (`alarm_emails`, `alarm_https_endpoint`).
    """
    cdk_json = json.loads((REPO_ROOT / "cdk.json").read_text())
    # cdk.json's context (stages, feature flags) as defaults: the CLI passes it too, and its
    # values (with any -c overrides) take precedence; outside the CLI this is the only source.
    app = App(
        outdir=outdir,
        context={**cdk_json.get("context", {}), **(context or {})},
        post_cli_context={"aws:cdk:bundling-stacks": []} if not bundle else None,
    )
    stage = stage or app.node.try_get_context("stage") or DEFAULT_STAGE
    config = with_alarm_recipients(
        StageConfig.from_context(stage, app.node.try_get_context("stages") or {}),
        emails=app.node.try_get_context("alarm_emails"),
        https_endpoint=app.node.try_get_context("alarm_https_endpoint"),
    )

    # Region always from the stage's config: bucket names carry it. Account from the config if
    # pinned, else from the CLI's credentials; without either the stacks are account-agnostic.
    env = Environment(account=config.account or os.environ.get("CDK_DEFAULT_ACCOUNT"), region=config.region)
    packaging = Packaging(repo_root=REPO_ROOT, staging_root=Path(app.outdir) / ".staging")
    prefix = f"Leadflow-{config.stage}"

    notification = NotificationStack(
        app,
        f"{prefix}-Notification",
        config=config,
        packaging=packaging,
        env=env,
        alarm_emails=config.alarm_emails,
    )
    ingestion = IngestionStack(app, f"{prefix}-Ingestion", config=config, packaging=packaging, env=env)
    enrichment = EnrichmentStack(app, f"{prefix}-Enrichment", config=config, packaging=packaging, env=env)
    assignment = AssignmentStack(app, f"{prefix}-Assignment", config=config, packaging=packaging, env=env)
    # Deployment order only (no exports): the alarms topic exists before alarms point at it.
    # Ingestion and enrichment reference each other by name and deploy in either order.
    for stack in (ingestion, enrichment, assignment):
        stack.add_stack_dependency(notification, "alarm actions publish to the alarms topic")
    # The REST API (ingestion) integrates functions of the enrichment and assignment domains by
    # name; those functions must exist before API Gateway is allowed to invoke them.
    ingestion.add_stack_dependency(enrichment, "the REST API invokes leads-api")
    ingestion.add_stack_dependency(assignment, "the REST API invokes emails and agents")

    Tags.of(app).add("project", "leadflow")
    Tags.of(app).add("stage", config.stage)
    nag.add_checks(app)
    return app


def with_alarm_recipients(config: StageConfig, *, emails: Any = None, https_endpoint: Any = None) -> StageConfig:
    """The stage's alarm recipients, with `-c alarm_emails=a@x,b@y` / `-c alarm_https_endpoint=...`
    overriding cdk.json. A stage that requires one and has none is refused here, before anything is
    built; any other stage without one says so on stderr (the CDK CLI reads the app's stdout)."""
    if emails:
        listed = emails.split(",") if isinstance(emails, str) else list(emails)
        config = dataclasses.replace(config, alarm_emails=tuple(e.strip() for e in listed if e.strip()))
    if https_endpoint:
        config = dataclasses.replace(config, alarm_https_endpoint=str(https_endpoint))
    if config.alarm_recipients():
        return config
    where = f"stages.{config.stage}.alarm_emails (a list of addresses) or stages.{config.stage}.alarm_https_endpoint"
    if config.alarm_recipient_required:
        raise ConfigError(
            f"stage {config.stage}: its alarms would reach nobody. Set {where} in cdk.json, "
            "or pass -c alarm_emails=oncall@example.com"
        )
    print(f"leadflow: stage {config.stage} has no alarm recipient; its alarms reach nobody ({where})", file=sys.stderr)
    return config
