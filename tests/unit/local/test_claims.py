"""Claims keep concurrent picks of one process off each other's candidates, without ever hiding one for good."""

from __future__ import annotations

import time

from leadflow.local.claims import Claims
from shared.core.models import Email, User


def _line(*ids: str) -> list[Email]:
    return [Email(email_id=i, sender="s@example.com", received_at="2024-01-01T00:00:00.000+00:00") for i in ids]


def _ids(items: list[Email]) -> list[str]:
    return [i.email_id for i in items]


def test_a_second_pick_takes_the_oldest_the_first_is_not_committing() -> None:
    claims = Claims("email_id")
    line = _line("e1", "e2", "e3")
    with claims.hold() as first, claims.hold() as second:
        read = Claims.clock()
        assert _ids(first.claim(line, read)) == ["e1"]
        assert _ids(second.claim(line, read, 2)) == ["e2", "e3"]
        assert claims.under_way() == 3
    assert claims.under_way() == 0  # both ended: everything released


def test_what_another_pick_holds_comes_last_not_never() -> None:
    claims = Claims("email_id")
    with claims.hold() as first, claims.hold() as second:
        read = Claims.clock()
        first.claim(_line("e1", "e2"), read, 2)
        # only the held ones are left: the second pick may still try them (the first may not commit)
        assert _ids(second.claim(_line("e1", "e2", "e3"), read, 3)) == ["e3", "e1", "e2"]


def test_a_pick_never_claims_the_same_candidate_twice() -> None:
    claims = Claims("email_id")
    with claims.hold() as pick:
        read = Claims.clock()
        assert _ids(pick.claim(_line("e1", "e2"), read)) == ["e1"]
        assert _ids(pick.claim(_line("e1", "e2"), read)) == ["e2"]
        assert pick.claim(_line("e1", "e2"), read) == []


def test_a_commit_hides_the_candidate_only_from_reads_sent_before_it() -> None:
    claims = Claims("email_id")
    stale_read = Claims.clock()
    with claims.hold() as winner:
        [email] = winner.claim(_line("e1"), stale_read)
        winner.settle(email, committed=True)
    with claims.hold() as late:
        # a read sent before the commit may still list it: skipped
        assert _ids(late.claim(_line("e1", "e2"), stale_read)) == ["e2"]
    time.sleep(0.001)
    with claims.hold() as after:
        # a read sent after the commit that lists it again (taken back meanwhile) is believed
        assert _ids(after.claim(_line("e1", "e2"), Claims.clock())) == ["e1"]


def test_a_release_unused_of_what_another_pick_skipped_is_told() -> None:
    claims = Claims("user_id")
    agents = [User(user_id="a1"), User(user_id="a2")]
    with claims.hold() as first:
        read = Claims.clock()
        first.claim(agents, read, 2)
        with claims.hold() as second:
            assert second.claim(agents, read, 2, skip_claimed=True) == []
        first.settle(agents[0], committed=True)  # paired: nothing to tell
        assert not first.released_skipped
    # a2 went back unpaired after the second pick skipped it: the first must look at the line again
    assert first.released_skipped
    with claims.hold() as third:
        assert third.claim(agents, Claims.clock(), 2, skip_claimed=True) == agents
        third.release_all()
        assert not third.released_skipped  # nobody skipped it this time
