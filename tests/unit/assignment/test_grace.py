"""The grace setting and timer messages, without AWS."""

from __future__ import annotations

import dataclasses

import pytest

from leadflow.agent import Backoff
from leadflow.config import ConfigError, load_stage
from leadflow.local.limits import ConnectionLimits
from shared.core.models import GraceTimer, Timer, parse_timer


def test_the_grace_defaults_to_30_s_in_every_stage_and_must_fit_an_sqs_delay() -> None:
    assert load_stage("dev").agent_grace_s == 30 and load_stage("prod").agent_grace_s == 30
    with pytest.raises(ConfigError, match="agent_grace_s must be 0 to 900"):
        dataclasses.replace(load_stage("dev"), agent_grace_s=901)


def test_grace_and_assignment_timers_share_the_queue_and_are_told_apart() -> None:
    grace = GraceTimer(user_id="agent-1", grace="g1")
    timer = Timer(email_id="em_1", user_id="agent-1", attempt="a1")
    assert grace.body() == '{"kind":"grace","user_id":"agent-1","grace":"g1"}'
    assert parse_timer(grace.body()) == grace and parse_timer(timer.body()) == timer
    with pytest.raises(ValueError, match="grace"):
        parse_timer('{"kind": "grace", "user_id": "agent-1"}')
    with pytest.raises(ValueError):
        parse_timer('{"email_id": "em_1", "user_id": "agent-1"}')
    with pytest.raises(ValueError):
        parse_timer("not json")


def test_backoff_is_jittered_below_an_exponential_ceiling_capped_inside_the_grace() -> None:
    import random

    rng = random.Random(7)
    backoff = Backoff(base_s=0.5, cap_s=8.0)
    waits = [[backoff.delay(attempt, rng) for _ in range(200)] for attempt in range(8)]
    for attempt, sample in enumerate(waits):
        ceiling = min(8.0, 0.5 * 2**attempt)
        assert all(0 <= w <= ceiling for w in sample)
        assert max(sample) > 0.8 * ceiling and min(sample) < 0.2 * ceiling  # spread, not a fixed wait
    assert max(max(s) for s in waits) <= 8.0 < load_stage("dev").agent_grace_s


def test_the_local_limits_are_aws_values_unless_the_environment_shortens_them(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert ConnectionLimits.from_env() == ConnectionLimits(idle_s=600, lifetime_s=7200)
    monkeypatch.setenv("LEADFLOW_WS_IDLE_S", "1.5")
    monkeypatch.setenv("LEADFLOW_WS_LIFETIME_S", "4")
    assert ConnectionLimits.from_env() == ConnectionLimits(idle_s=1.5, lifetime_s=4)
