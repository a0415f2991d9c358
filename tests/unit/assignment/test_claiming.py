"""The engine's default claim strategy (Lambda: one event per instance) claims nothing, and the local
runtime's strategy reaches every engine built after it is set."""

from __future__ import annotations

import dataclasses

import pytest

from leadflow.local.claims import PROCESS_CLAIMS
from shared.assignment import build
from shared.assignment.claiming import NO_CLAIMS, NoClaims
from shared.assignment.engine import AssignmentEngine
from shared.core.models import Email


def _line(*ids: str) -> list[Email]:
    return [Email(email_id=i, sender="s@example.com", received_at="2024-01-01T00:00:00.000+00:00") for i in ids]


def test_no_claims_takes_candidates_in_order_once_per_pick_and_keeps_nothing() -> None:
    claims = NoClaims("email_id")
    assert claims.margin() == 0
    line = _line("e1", "e2", "e3")
    with claims.hold() as first, claims.hold() as second:
        read = claims.clock()
        assert first.claim(line, read, 2) == line[:2]
        assert first.claim(line, read, 2) == line[2:]  # a pick never gets the same candidate twice
        assert second.claim(line, read, 2, skip_claimed=True) == line[:2]  # nothing is shared between picks
        first.settle(line[0], committed=False)
        assert first.claim(line, read) == line[:1]  # let go: available to the pick again
        first.release_all()
        assert not first.released_skipped and not second.released_skipped


def test_engines_use_the_strategy_set_for_the_process(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in {
        "USERS_TABLE": "users",
        "EMAILS_TABLE": "emails",
        "EXPIRY_QUEUE_URL": "http://127.0.0.1:1/q",
        "ASSIGNMENT_TIMEOUT_S": "120",
        "WEBSOCKET_ENDPOINT": "http://127.0.0.1:1",
        "AWS_DEFAULT_REGION": "us-east-1",
    }.items():
        monkeypatch.setenv(name, value)
    before = build._claims  # a local runtime of this test session may have set its own
    try:
        build.use_claims(NO_CLAIMS)
        assert build.engine().claims is NO_CLAIMS
        build.use_claims(PROCESS_CLAIMS)
        assert build.engine().claims is PROCESS_CLAIMS
    finally:
        build.use_claims(before)


def test_the_engine_claims_nothing_unless_given_a_strategy() -> None:
    default = next(f.default for f in dataclasses.fields(AssignmentEngine) if f.name == "claims")
    assert default is NO_CLAIMS
