"""Alarms that reach people: prod refuses to synthesize without a recipient, naming the setting; dev
may have none and says so; the recipient given on the command line is subscribed."""

from __future__ import annotations

from pathlib import Path

import pytest

from leadflow.config import ConfigError
from stacks.app_builder import build_app
from tests.infra.cfn import props, resources
from tests.infra.conftest import ALARM_EMAIL, Synthesized


def test_prod_without_an_alarm_recipient_is_refused_naming_the_setting(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as refused:
        build_app("prod", outdir=str(tmp_path), bundle=False)
    message = str(refused.value)
    assert "stages.prod.alarm_emails" in message and "stages.prod.alarm_https_endpoint" in message
    assert "-c alarm_emails=" in message


def test_dev_without_a_recipient_synthesizes_and_says_its_alarms_reach_nobody(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    build_app("dev", outdir=str(tmp_path), bundle=False)  # the app is built; synth is the session fixture's
    err = capsys.readouterr().err
    assert "leadflow: stage dev has no alarm recipient; its alarms reach nobody" in err


def test_the_recipient_given_on_the_command_line_is_subscribed_to_the_alarms_topic(prod: Synthesized) -> None:
    subscriptions = [props(s) for s in resources(prod.templates["notification"], "AWS::SNS::Subscription").values()]
    assert {"Protocol": "email", "Endpoint": ALARM_EMAIL} in [
        {"Protocol": s["Protocol"], "Endpoint": s["Endpoint"]} for s in subscriptions
    ]
