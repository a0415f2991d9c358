"""The local gateways' token bucket, as API Gateway documents its throttle: full at the start, `burst`
requests at once, refilled at `rate` a second, never above `burst`."""

from __future__ import annotations

import pytest

from leadflow.local.throttle import TokenBucket


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_a_full_bucket_admits_its_burst_then_refuses() -> None:
    bucket = TokenBucket(rate=5, burst=3, clock=Clock())
    assert [bucket.take() for _ in range(5)] == [True, True, True, False, False]
    assert bucket.refused == 2


def test_tokens_come_back_at_the_rate_and_never_above_the_burst() -> None:
    clock = Clock()
    bucket = TokenBucket(rate=2, burst=4, clock=clock)
    assert all(bucket.take() for _ in range(4)) and not bucket.take()
    clock.now += 0.49  # not yet one token (2 a second)
    assert not bucket.take()
    clock.now += 0.02
    assert bucket.take() and not bucket.take()
    clock.now += 60  # a long pause refills to the burst, not to 120
    assert sum(bucket.take() for _ in range(10)) == 4


@pytest.mark.parametrize(("rate", "burst"), [(0, 5), (-1, 5), (1, 0)])
def test_a_bucket_that_could_admit_nothing_is_refused(rate: float, burst: int) -> None:
    with pytest.raises(ValueError, match="positive rate"):
        TokenBucket(rate=rate, burst=burst)
