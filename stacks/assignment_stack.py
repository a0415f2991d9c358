"""Assignment: agents and the leads they are given (today: the users table)."""

from __future__ import annotations

from aws_cdk import Environment, Stack
from constructs import Construct

from leadflow.config import StageConfig
from stacks.domain import DomainResources
from stacks.packaging import Packaging


class AssignmentStack(Stack):
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
            description=f"Leadflow {config.stage}: assignment (agents, their work)",
            termination_protection=config.retain_data,
        )
        self.resources = DomainResources(self, "Assignment", domain="assignment", config=config, packaging=packaging)
