"""A round's pairs commit in one transaction: all or none, and a cancellation names the lost pairs.

Runs on in-process moto with the assignment tables' keys and indexes (as `leadflow.wiring.assignment`
declares them).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from shared.assignment.repository import AVAILABLE, QUEUED, AssignConflict, AssignmentRepository, Pair
from shared.core import aws
from shared.core.models import EmailStatus, UserStatus

REGION = "us-east-1"


def _table(ddb: Any, name: str, key: str, index: str, pk: str, sk: str) -> None:
    ddb.create_table(
        TableName=name,
        KeySchema=[{"AttributeName": key, "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": n, "AttributeType": "S"} for n in (key, pk, sk)],
        BillingMode="PAY_PER_REQUEST",
        GlobalSecondaryIndexes=[
            {
                "IndexName": index,
                "KeySchema": [{"AttributeName": pk, "KeyType": "HASH"}, {"AttributeName": sk, "KeyType": "RANGE"}],
                "Projection": {"ProjectionType": "ALL"},
            }
        ],
    )


@pytest.fixture
def repo(monkeypatch: pytest.MonkeyPatch) -> Iterator[AssignmentRepository]:
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)  # in-process moto, not a live local runtime
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    with mock_aws():
        aws.reset_clients()
        ddb = boto3.client("dynamodb", region_name=REGION)
        _table(ddb, "users", "user_id", "available", "available", "idle_key")
        _table(ddb, "emails", "email_id", "queue", "queue", "queue_key")
        repository = AssignmentRepository("users", "emails")
        for i in range(3):
            ddb.put_item(
                TableName="users",
                Item={
                    "user_id": {"S": f"a{i}"},
                    "status": {"S": UserStatus.ONLINE.value},
                    "available": {"S": AVAILABLE},
                    "idle_key": {"S": f"2020#a{i}"},
                },
            )
            ddb.put_item(
                TableName="emails",
                Item={
                    "email_id": {"S": f"e{i}"},
                    "status": {"S": EmailStatus.PENDING.value},
                    "queue": {"S": QUEUED},
                    "queue_key": {"S": f"2020-01-0{i + 1}#e{i}"},
                    "sender": {"S": f"s{i}@example.com"},
                    "received_at": {"S": f"2020-01-0{i + 1}"},
                },
            )
        yield repository
    aws.reset_clients()


def _pairs(attempt: str) -> list[Pair]:
    return [Pair(f"e{i}", f"a{i}", f"{attempt}-{i}") for i in range(3)]


def test_every_pair_commits_together(repo: AssignmentRepository) -> None:
    assert repo.try_assign_pairs(_pairs("x"), "2020-02-01T00:00:00", "2020-02-01T00:02:00") == [None] * 3
    for i in range(3):
        user, email = repo.get_user(f"a{i}"), repo.get_email(f"e{i}")
        assert user is not None and email is not None
        assert (user.status, user.current_email_id, email.assigned_to) == ("busy", f"e{i}", f"a{i}")
    assert repo.oldest_waiting(10) == [] and repo.idle_agents(10) == []


def test_a_lost_pair_is_named_and_nothing_commits(repo: AssignmentRepository) -> None:
    # another pick took e1 (with another agent) meanwhile; a2 went offline
    assert repo.assign("e1", "a1", "other", "2020-02-01T00:00:00", "2020-02-01T00:02:00")
    assert repo.make_unavailable("a2", UserStatus.OFFLINE)
    # the second pair: e1 taken, and an agent that does not exist; the third: a2 is offline
    pairs = [Pair("e0", "a0", "p0"), Pair("e1", "nobody", "p1"), Pair("e2", "a2", "p2")]
    outcome = repo.try_assign_pairs(pairs, "2020-02-01T00:01:00", "2020-02-01T00:03:00")
    assert outcome == [
        None,  # not at fault: can go again as it is
        AssignConflict(email_taken=True, agent_taken=True),
        AssignConflict(email_taken=False, agent_taken=True),
    ]
    user = repo.get_user("a0")
    assert user is not None and user.status == "online" and user.current_email_id is None  # nothing committed
    email = repo.get_email("e2")
    assert email is not None and email.assigned_to is None
    assert repo.try_assign_pairs([pairs[0]], "2020-02-01T00:01:00", "2020-02-01T00:03:00") == [None]


def test_a_round_has_at_most_fifty_pairs(repo: AssignmentRepository) -> None:
    with pytest.raises(ValueError, match="1 to 50 pairs"):
        repo.try_assign_pairs([Pair(f"e{i}", f"a{i}", "x") for i in range(51)], "now", "later")
    with pytest.raises(ValueError):
        repo.try_assign_pairs([], "now", "later")
