"""Synthesizes the Leadflow app once per stage per test session (bundling off: nothing is downloaded).

cdk-nag runs inside `app.synth()`: if any finding is unacknowledged, these fixtures raise and every
infrastructure test fails with the validation report.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from aws_cdk.assertions import Template

from leadflow import wiring
from leadflow.config import StageConfig, load_stage
from stacks import build_app


def stack_name(stage: str, domain: str) -> str:
    return f"Leadflow-{stage}-{domain.capitalize()}"


@dataclass(frozen=True)
class Synthesized:
    stage: str
    config: StageConfig
    outdir: Path
    stack_names: frozenset[str]
    templates: dict[str, dict[str, Any]] = field(repr=False)  # by domain

    def template(self, domain: wiring.Domain) -> Template:
        return Template.from_json(self.templates[domain])

    def resources(self, resource_type: str) -> Iterator[tuple[str, str, dict[str, Any]]]:
        """(domain, logical id, resource) for every resource of a type, across the four stacks."""
        for domain, template in self.templates.items():
            for lid, res in template["Resources"].items():
                if res["Type"] == resource_type:
                    yield domain, lid, res

    @property
    def validation_report(self) -> dict[str, Any]:
        return dict(json.loads((self.outdir / "validation-report.json").read_text()))


#: the on-call address the tests deploy prod with (as `-c alarm_emails=...` would)
ALARM_EMAIL = "oncall@leadflow.example"


def _synthesize(stage: str, tmp_path_factory: pytest.TempPathFactory) -> Synthesized:
    outdir = tmp_path_factory.mktemp(f"cdk-{stage}")
    with pytest.MonkeyPatch.context() as env:
        # account-agnostic templates whatever the developer's shell holds
        env.delenv("CDK_DEFAULT_ACCOUNT", raising=False)
        # prod refuses to synthesize without an alarm recipient: the operator's `-c alarm_emails=...`
        context = {"alarm_emails": ALARM_EMAIL} if stage == "prod" else None
        assembly = build_app(stage, outdir=str(outdir), bundle=False, context=context).synth()
    return Synthesized(
        stage=stage,
        # the stage as built: prod with the recipient given on the command line
        config=dataclasses.replace(load_stage(stage), alarm_emails=(ALARM_EMAIL,)) if context else load_stage(stage),
        outdir=outdir,
        stack_names=frozenset(stack.stack_name for stack in assembly.stacks),
        templates={d: assembly.get_stack_by_name(stack_name(stage, d)).template for d in wiring.DOMAINS},
    )


@pytest.fixture(scope="session")
def dev(tmp_path_factory: pytest.TempPathFactory) -> Synthesized:
    return _synthesize("dev", tmp_path_factory)


@pytest.fixture(scope="session")
def prod(tmp_path_factory: pytest.TempPathFactory) -> Synthesized:
    return _synthesize("prod", tmp_path_factory)


@pytest.fixture(scope="session", params=["dev", "prod"])
def synth(request: pytest.FixtureRequest) -> Synthesized:
    """Each stage in turn (each synthesized once)."""
    result: Synthesized = request.getfixturevalue(request.param)
    return result
