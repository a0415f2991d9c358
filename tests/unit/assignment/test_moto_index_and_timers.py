"""The local AWS's faster index Query and SQS timers answer exactly as moto's own.

Each query runs twice on the same in-process moto table, once with moto's own `Table.query` and
once patched, and the responses must be equal. The SQS part checks behaviour: delayed messages
appear when due, counts stay right, a long poll wakes for a message sent during it.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from leadflow.local import moto_index_and_timers

# importing the module patched moto for this process: keep moto's own outside these tests
moto_index_and_timers.unpatch()

REGION = "us-east-1"


@pytest.fixture
def aws() -> Iterator[None]:
    with mock_aws():
        yield


@pytest.fixture
def patched() -> Iterator[None]:
    moto_index_and_timers.patch()
    try:
        yield
    finally:
        moto_index_and_timers.unpatch()


def _table(ddb: Any) -> str:
    ddb.create_table(
        TableName="t",
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[
            {"AttributeName": n, "AttributeType": t}
            for n, t in (("id", "S"), ("q", "S"), ("k", "S"), ("kind", "S"), ("score", "N"))
        ],
        BillingMode="PAY_PER_REQUEST",
        GlobalSecondaryIndexes=[
            {
                "IndexName": name,
                "KeySchema": [{"AttributeName": pk, "KeyType": "HASH"}]
                + ([{"AttributeName": sk, "KeyType": "RANGE"}] if sk else []),
                "Projection": {"ProjectionType": "ALL"},
            }
            for name, pk, sk in (("queue", "q", "k"), ("kinds", "kind", None), ("scores", "kind", "score"))
        ],
    )
    rng = random.Random(7)
    for i in range(240):
        item: dict[str, Any] = {
            "id": {"S": f"e{rng.randrange(10**6):06d}-{i}"},
            "kind": {"S": rng.choice(["email", "agent"])},
            "score": {"N": str(rng.choice([1, 2, 2.5, 10, -3]))},
            "body": {"S": "x" * rng.randrange(50)},
        }
        if rng.random() < 0.6:  # sparse: only waiting items are in the queue index
            item["q"] = {"S": rng.choice(["waiting", "other"])}
            item["k"] = {"S": f"2020-01-{rng.randrange(1, 9):02d}#{i % 7}"}  # ties broken by the table key
        ddb.put_item(TableName="t", Item=item)
    return "t"


QUERIES: list[dict[str, Any]] = [
    {"IndexName": "queue", "KeyConditionExpression": "q = :v", "Limit": 5},
    {"IndexName": "queue", "KeyConditionExpression": "q = :v", "Limit": 1},
    {"IndexName": "queue", "KeyConditionExpression": "q = :v"},
    {"IndexName": "queue", "KeyConditionExpression": "q = :v", "Limit": 4, "ScanIndexForward": False},
    {"IndexName": "queue", "KeyConditionExpression": "q = :v AND begins_with(k, :p)", "Limit": 3},
    {"IndexName": "queue", "KeyConditionExpression": "q = :v AND k BETWEEN :a AND :b"},
    {"IndexName": "queue", "KeyConditionExpression": "q = :v", "Limit": 6, "FilterExpression": "size(body) > :n"},
    {"IndexName": "queue", "KeyConditionExpression": "q = :v", "Limit": 3, "ProjectionExpression": "id, k"},
    {"IndexName": "kinds", "KeyConditionExpression": "kind = :e", "Limit": 7},
    {"IndexName": "scores", "KeyConditionExpression": "kind = :e", "Limit": 9},
    {"IndexName": "scores", "KeyConditionExpression": "kind = :e AND score > :zero", "Limit": 9},
    {"KeyConditionExpression": "id = :id"},
]
VALUES = {
    ":v": {"S": "waiting"},
    ":p": {"S": "2020-01-03"},
    ":a": {"S": "2020-01-02"},
    ":b": {"S": "2020-01-05"},
    ":n": {"N": "20"},
    ":e": {"S": "email"},
    ":zero": {"N": "0"},
    ":id": {"S": "nothing"},
}


def _all_pages(ddb: Any, query: dict[str, Any]) -> list[dict[str, Any]]:
    """Every page, following LastEvaluatedKey: pagination must agree too."""
    pages = []
    kwargs = dict(query)
    names = [n for n in VALUES if n in str(query)]
    kwargs["ExpressionAttributeValues"] = {n: VALUES[n] for n in names}
    while True:
        response = ddb.query(TableName="t", **kwargs)
        response.pop("ResponseMetadata")
        pages.append(response)
        if "LastEvaluatedKey" not in response or len(pages) > 100:
            return pages
        kwargs["ExclusiveStartKey"] = response["LastEvaluatedKey"]


@pytest.mark.parametrize("query", QUERIES, ids=[str(i) for i in range(len(QUERIES))])
def test_index_query_answers_as_moto_does(aws: None, query: dict[str, Any]) -> None:
    ddb = boto3.client("dynamodb", region_name=REGION)
    _table(ddb)
    expected = _all_pages(ddb, query)
    moto_index_and_timers.patch()
    try:
        got = _all_pages(ddb, query)
    finally:
        moto_index_and_timers.unpatch()
    assert got == expected
    assert sum(len(p["Items"]) for p in got) > 0 or query.get("KeyConditionExpression") == "id = :id"


def test_index_query_sees_writes_made_after_it_was_patched(aws: None, patched: None) -> None:
    ddb = boto3.client("dynamodb", region_name=REGION)
    _table(ddb)
    first = ddb.query(
        TableName="t",
        IndexName="queue",
        KeyConditionExpression="q = :v",
        ExpressionAttributeValues={":v": {"S": "waiting"}},
        Limit=1,
    )["Items"][0]
    # an item leaves the index (its key attribute removed) and an older one joins it
    ddb.update_item(TableName="t", Key={"id": first["id"]}, UpdateExpression="REMOVE q")
    ddb.put_item(TableName="t", Item={"id": {"S": "new"}, "q": {"S": "waiting"}, "k": {"S": "2000-01-01#0"}})
    ids = [
        i["id"]["S"]
        for i in ddb.query(
            TableName="t",
            IndexName="queue",
            KeyConditionExpression="q = :v",
            ExpressionAttributeValues={":v": {"S": "waiting"}},
            Limit=3,
        )["Items"]
    ]
    assert ids[0] == "new" and first["id"]["S"] not in ids


# ---------------------------------------------------------------------- SQS


def _counts(sqs: Any, url: str) -> tuple[int, int, int]:
    attrs = sqs.get_queue_attributes(
        QueueUrl=url,
        AttributeNames=[
            "ApproximateNumberOfMessages",
            "ApproximateNumberOfMessagesNotVisible",
            "ApproximateNumberOfMessagesDelayed",
        ],
    )["Attributes"]
    return (
        int(attrs["ApproximateNumberOfMessages"]),
        int(attrs["ApproximateNumberOfMessagesNotVisible"]),
        int(attrs["ApproximateNumberOfMessagesDelayed"]),
    )


def test_delayed_messages_come_when_due_and_are_counted(aws: None, patched: None) -> None:
    sqs = boto3.client("sqs", region_name=REGION)
    url = sqs.create_queue(QueueName="timers")["QueueUrl"]
    for i in range(50):
        sqs.send_message(QueueUrl=url, MessageBody=f"later {i}", DelaySeconds=60)
    sqs.send_message(QueueUrl=url, MessageBody="soon", DelaySeconds=1)
    sqs.send_message(QueueUrl=url, MessageBody="now")
    assert _counts(sqs, url) == (1, 0, 51)
    got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]
    assert [m["Body"] for m in got] == ["now"]
    assert _counts(sqs, url) == (0, 1, 51)
    time.sleep(1.1)
    got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1)["Messages"]
    assert [m["Body"] for m in got] == ["soon"]


def test_a_long_poll_wakes_for_a_message_sent_during_it_not_for_delayed_ones(aws: None, patched: None) -> None:
    sqs = boto3.client("sqs", region_name=REGION)
    url = sqs.create_queue(QueueName="waits")["QueueUrl"]
    received: list[tuple[float, list[str]]] = []

    def poll() -> None:
        started = time.monotonic()
        messages = sqs.receive_message(QueueUrl=url, WaitTimeSeconds=5, MaxNumberOfMessages=10).get("Messages", [])
        received.append((time.monotonic() - started, [m["Body"] for m in messages]))

    poller = threading.Thread(target=poll)
    poller.start()
    time.sleep(0.2)
    sqs.send_message(QueueUrl=url, MessageBody="delayed", DelaySeconds=60)  # wakes the poll, which goes on
    time.sleep(0.2)
    sqs.send_message(QueueUrl=url, MessageBody="ready")
    poller.join(timeout=10)
    [(waited, bodies)] = received
    assert bodies == ["ready"]
    # woken by the send (at 0.4 s), not found later by moto's once-a-second look
    assert 0.3 < waited < 0.85, waited


def test_unpatch_gives_moto_back() -> None:
    from moto.dynamodb.models.table import Table
    from moto.sqs.models import Message

    own_query, own_visible = Table.__dict__["query"], Message.__dict__["visible"]
    moto_index_and_timers.patch()
    assert Table.__dict__["query"] is not own_query and Message.__dict__["visible"] is not own_visible
    moto_index_and_timers.unpatch()
    assert Table.__dict__["query"] is own_query and Message.__dict__["visible"] is own_visible
