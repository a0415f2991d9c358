"""How the engine's concurrent picks in one process keep off each other's candidates: a strategy.

On Lambda an instance handles one event at a time, so nothing in the process races a pick: the
default, `NO_CLAIMS`, takes candidates in their order and remembers nothing. Picks in other
instances are settled by the transactions' conditions, which are all that correctness rests on.

A runtime that runs many events at once in one process (the local runtime) gives the engine a
strategy that makes concurrent picks try different candidates first, so they do not all go for the
head of the line and lose to each other (`leadflow.local.claims`).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from typing import Protocol, TypeVar

from shared.core.models import Email, User

#: what a pick claims: a waiting email (by `email_id`) or a free agent (by `user_id`)
Candidate = TypeVar("Candidate", bound=Email | User)


class Hold(Protocol):
    """The claims of one pick."""

    #: something this pick released unused had been skipped by another pick meanwhile: look again
    released_skipped: bool

    def claim(
        self, candidates: Sequence[Candidate], read_at: float, count: int = 1, *, skip_claimed: bool = False
    ) -> list[Candidate]:
        """Up to `count` of `candidates` (read at `read_at`, from `clock`), now this pick's."""
        ...

    def settle(self, candidate: Email | User, *, committed: bool) -> None:
        """The pick committed `candidate`, or let it go."""
        ...

    def release_all(self) -> None:
        """Let go of everything not settled."""
        ...


class ClaimStrategy(Protocol):
    def clock(self) -> float:
        """Taken just before sending a read; passed to `Hold.claim` with that read's results."""
        ...

    def margin(self) -> int:
        """How many more candidates than it needs a read should ask for."""
        ...

    def hold(self) -> AbstractContextManager[Hold]:
        """The claims of one pick; whatever it has not settled when it ends is released."""
        ...


def claim_key(candidate: Email | User, key: str) -> str:
    """The candidate's id under `key` (`email_id` or `user_id`)."""
    return str(getattr(candidate, key))


class _NoHold:
    def __init__(self, key: str) -> None:
        self._key = key
        self._mine: set[str] = set()
        self.released_skipped = False

    def claim(
        self, candidates: Sequence[Candidate], read_at: float, count: int = 1, *, skip_claimed: bool = False
    ) -> list[Candidate]:
        chosen = [c for c in candidates if claim_key(c, self._key) not in self._mine][:count]
        self._mine.update(claim_key(c, self._key) for c in chosen)
        return chosen

    def settle(self, candidate: Email | User, *, committed: bool) -> None:
        self._mine.discard(claim_key(candidate, self._key))

    def release_all(self) -> None:
        self._mine.clear()


@dataclass(frozen=True)
class NoClaims:
    """Nothing else in the process picks: each candidate in its order (once per pick), no margin."""

    key: str

    def clock(self) -> float:
        return 0.0

    def margin(self) -> int:
        return 0

    @contextmanager
    def _hold(self) -> Iterator[Hold]:
        yield _NoHold(self.key)

    def hold(self) -> AbstractContextManager[Hold]:
        return self._hold()


@dataclass(frozen=True)
class EngineClaims:
    """The engine's two lines: waiting emails (by `email_id`) and free agents (by `user_id`)."""

    emails: ClaimStrategy
    agents: ClaimStrategy


#: what Lambda uses (one event at a time per instance)
NO_CLAIMS = EngineClaims(emails=NoClaims("email_id"), agents=NoClaims("user_id"))
