"""Enrichment: lead batches from the splitter are standardized and stored."""

from __future__ import annotations

from aws_cdk import Environment, Stack
from constructs import Construct

from leadflow.config import StageConfig
from stacks.domain import DomainResources
from stacks.packaging import Packaging


class EnrichmentStack(Stack):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: StageConfig,
        packaging: Packaging,
        env: Environment,
    ) -> None:
        super().__init__(
            scope,
            construct_id,
            env=env,
            description=f"Leadflow {config.stage}: enrichment (standardize, dedupe, store, read leads)",
            termination_protection=config.retain_data,
        )
        self.resources = DomainResources(self, "Enrichment", domain="enrichment", config=config, packaging=packaging)
