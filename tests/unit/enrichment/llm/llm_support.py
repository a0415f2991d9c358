"""Helpers the LLM tests share: a client wired to the fake provider with tiny timeouts and recorded sleeps."""

from __future__ import annotations

import random
from collections.abc import Iterator
from contextlib import contextmanager

from leadflow.local.fake_llm import FakeLlm
from shared.enrichment.llm.client import ChatClient

KEY = "test-key"


class Sleeps(list[float]):
    """Stands in for `time.sleep`: records the delays instead of waiting them out."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)


@contextmanager
def running_fake(api_key: str = KEY) -> Iterator[FakeLlm]:
    with FakeLlm(api_key) as fake:
        yield fake


def client_for(
    fake: FakeLlm,
    *,
    api_key: str = KEY,
    timeout_s: float = 2.0,
    max_attempts: int = 4,
    backoff_s: float = 0.1,
    max_retry_after_s: float = 30.0,
    sleeps: Sleeps | None = None,
    seed: int = 7,
) -> ChatClient:
    return ChatClient(
        fake.url,
        api_key,
        "fake-chat",
        timeout_s=timeout_s,
        max_attempts=max_attempts,
        backoff_s=backoff_s,
        max_retry_after_s=max_retry_after_s,
        sleep=sleeps if sleeps is not None else Sleeps(),
        rng=random.Random(seed),
    )
