"""What the engine's picks under way in this process are committing, so that they do not race each other.

The local runtime's claim strategy (`shared.assignment.claiming.ClaimStrategy`), which it gives the
assignment engine (`shared.assignment.build.use_claims`); a Lambda instance handles one event at
a time and uses the engine's default, which claims nothing.

Concurrent picks read the same line (the oldest waiting emails, the longest idle agents) and would
all go for its head; the transaction lets one win and cancels the others, each a wasted request.
Within one process that runs many events at once (the local runtime) that race is avoidable: a pick
claims its candidates here before it commits them, and

- tries first what no other pick of the process has claimed, and only then what another has (the
  other pick may not commit it); or, asked to, skips those: then a pick that releases what another
  skipped learns it (`Hold.released_skipped`) and must look at the line again, as the skipper did not;
- skips what a pick of the process committed after this pick's read was sent: the read may predate
  that commit (a read sent after it sees it, so a taken-back email is never skipped by mistake).

Each pick still takes the oldest (longest idle) candidate left to it, so the line is served in order
within the number of picks made at once. Picks in other processes are settled by the transactions.
Claims are advice, never a lock: correctness rests on the transactions' conditions alone.
"""

from __future__ import annotations

import collections
import math
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from shared.assignment.claiming import Candidate, EngineClaims, claim_key
from shared.core.models import Email, User

#: how long a commit is remembered (far longer than any read takes); older ones are forgotten
KEEP_S = 60.0
_PRUNE_AT = 4096


class Claims:
    def __init__(self, key: str) -> None:
        self.key = key
        self._lock = threading.Lock()
        self._claimed: collections.Counter[str] = collections.Counter()
        self._committed: dict[str, float] = {}
        self._skipped: set[str] = set()

    @staticmethod
    def clock() -> float:
        """Take it just before sending a read; pass it to `Hold.claim` with that read's results."""
        return time.monotonic()

    def under_way(self) -> int:
        """Claimed and not settled."""
        with self._lock:
            return len(self._claimed)

    def margin(self) -> int:
        """How many more candidates than it needs a read should ask for: those claimed now, and as
        many again for those claimed or committed while the read is on its way (the busier the
        process, the more of the line's head is taken by the time the answer comes)."""
        return 2 * self.under_way()

    def _claim(self, candidates: Sequence[Candidate], read_at: float, count: int, skip: bool) -> list[Candidate]:
        free: list[Candidate] = []
        contended: list[Candidate] = []
        with self._lock:
            for candidate in candidates:
                ident = claim_key(candidate, self.key)
                if self._committed.get(ident, -math.inf) >= read_at:
                    continue  # committed since the read was sent: the read is stale about it
                if not self._claimed[ident]:
                    free.append(candidate)
                elif skip:
                    self._skipped.add(ident)
                else:
                    contended.append(candidate)
            chosen = [*free, *contended][:count]
            for candidate in chosen:
                self._claimed[claim_key(candidate, self.key)] += 1
        return chosen

    def _settle(self, ident: str, committed: bool) -> bool:
        """True when released unused after another pick skipped it."""
        now = time.monotonic()
        with self._lock:
            self._claimed[ident] -= 1
            skipped = not committed and ident in self._skipped
            if self._claimed[ident] <= 0:
                del self._claimed[ident]
                self._skipped.discard(ident)
            if committed:
                self._committed[ident] = now
                if len(self._committed) > _PRUNE_AT:
                    self._committed = {k: t for k, t in self._committed.items() if now - t < KEEP_S}
        return skipped

    @contextmanager
    def hold(self) -> Iterator[Hold]:
        """The claims of one pick; whatever it has not settled when it ends is released."""
        hold = Hold(self)
        try:
            yield hold
        finally:
            hold.release_all()


class Hold:
    def __init__(self, claims: Claims) -> None:
        self._claims = claims
        self._mine: set[str] = set()
        #: something this pick released unused had been skipped by another pick meanwhile
        self.released_skipped = False

    def claim(
        self, candidates: Sequence[Candidate], read_at: float, count: int = 1, *, skip_claimed: bool = False
    ) -> list[Candidate]:
        """Up to `count` of `candidates`, now claimed by this pick: in their order those no other pick
        has claimed, then (unless `skip_claimed`) those another has; none committed by this process
        since `read_at`."""
        key = self._claims.key
        mine = [c for c in candidates if claim_key(c, key) not in self._mine]
        chosen = self._claims._claim(mine, read_at, count, skip_claimed)
        self._mine.update(claim_key(c, key) for c in chosen)
        return chosen

    def settle(self, candidate: Email | User, *, committed: bool) -> None:
        ident = claim_key(candidate, self._claims.key)
        if ident in self._mine:
            self._mine.discard(ident)
            self.released_skipped |= self._claims._settle(ident, committed)

    def release_all(self) -> None:
        for ident in list(self._mine):
            self.released_skipped |= self._claims._settle(ident, False)
        self._mine.clear()


#: one pair per process: every engine of the process (each function's) picks from the same line
EMAILS = Claims("email_id")
AGENTS = Claims("user_id")
PROCESS_CLAIMS = EngineClaims(emails=EMAILS, agents=AGENTS)
