"""Closing a revoked token's connections: gone ones count as closed, except one recorded just before the
revocation, which may still be in its $connect and is tried again for a few seconds."""

from __future__ import annotations

from dataclasses import dataclass, field

from shared.assignment.revocations import RETRIES, close_connections
from shared.core.models import TokenAudit


def revoked(connection_ids: list[str], just_opened: list[str] | None = None) -> TokenAudit:
    return TokenAudit(action="token.revoked", token_id="t1", connection_ids=connection_ids, just_opened=just_opened)


@dataclass
class FakeGateway:
    """@connections: `open` answers DeleteConnection; `opening` opens after that many 410s."""

    open: set[str] = field(default_factory=set)
    opening: dict[str, int] = field(default_factory=dict)
    calls: list[str] = field(default_factory=list)

    def close(self, connection_id: str) -> bool:
        self.calls.append(connection_id)
        if self.opening.get(connection_id, 0) > 0:
            self.opening[connection_id] -= 1
            if self.opening[connection_id] == 0:
                self.open.add(connection_id)
            return False
        if connection_id in self.open:
            self.open.remove(connection_id)
            return True
        return False


def test_open_connections_are_closed_and_gone_ones_are_not_tried_again() -> None:
    gateway = FakeGateway(open={"a=", "b="})
    waits: list[float] = []
    result = close_connections(revoked(["a=", "b=", "gone="]), gateway, sleep=waits.append)
    assert (result.closed, result.gone) == (["a=", "b="], ["gone="])
    assert gateway.open == set() and gateway.calls == ["a=", "b=", "gone="] and waits == []


def test_a_connection_still_in_its_connect_is_closed_once_it_opens() -> None:
    gateway = FakeGateway(open={"a="}, opening={"new=": 2})
    waits: list[float] = []
    detail = revoked(["a=", "new=", "old-gone="], just_opened=["new="])
    result = close_connections(detail, gateway, sleep=waits.append, wait_s=0.5)
    assert sorted(result.closed) == ["a=", "new="] and result.gone == ["old-gone="]
    assert gateway.open == set()
    assert len(waits) == 2 and gateway.calls.count("old-gone=") == 1


def test_a_just_opened_connection_that_never_opens_is_given_up_after_the_retries() -> None:
    gateway = FakeGateway()
    waits: list[float] = []
    result = close_connections(revoked(["never="], just_opened=["never="]), gateway, sleep=waits.append)
    assert result.gone == ["never="] and len(waits) == RETRIES and gateway.calls == ["never="] * (RETRIES + 1)
