"""The local AWS's faster index Query and SQS timers answer exactly as moto's own.

Each query runs twice on the same in-process moto table, once with moto's own `Table.query` and
once patched, and the responses must be equal. The SQS part checks behaviour: delayed messages
appear when due, counts stay right, a long poll wakes for a message sent during it.
"""

from __future__ import annotations

import json
import random
import threading
import time
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from leadflow.local.moto_patches import index_and_timers as moto_index_and_timers

REGION = "us-east-1"


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    # in-process moto: not the local runtime's server, which a session of end-to-end tests leaves
    # in AWS_ENDPOINT_URL while it runs (clients would go there, past the mock)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
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
        if i % 40 == 0:  # a few binary values, which responses write moto's way
            item["blob"] = {"B": bytes([i % 256, 7, 0])}
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


def test_items_in_responses_are_written_as_moto_writes_them(aws: None) -> None:
    ddb = boto3.client("dynamodb", region_name=REGION)
    _table(ddb)
    odd: dict[str, Any] = {
        "id": {"S": "odd"},
        "kind": {"S": "email"},
        "score": {"N": "-0.5"},
        "empty": {"S": ""},
        "yes": {"BOOL": True},
        "seen": {"BOOL": True},  # what the update below sets: both rounds see the same item
        "no": {"BOOL": False},
        "nothing": {"NULL": True},
        "tags": {"SS": ["a", "b"]},
        "nums": {"NS": ["1", "2.5"]},
        "blob": {"B": b"\x00\x01bytes"},
        "blobs": {"BS": [b"x", b"y"]},
        "lead": {"M": {"name": {"S": "Ann"}, "n": {"N": "3"}, "deep": {"L": [{"S": "x"}, {"M": {}}, {"L": []}]}}},
        "list": {"L": [{"BOOL": False}, {"NULL": True}, {"N": "10"}, {"M": {"b": {"B": b"z"}}}]},
    }
    ddb.put_item(TableName="t", Item=odd)
    bodies: list[bytes] = []
    ddb.meta.events.register("before-parse.dynamodb.*", lambda response_dict, **_: bodies.append(response_dict["body"]))

    def answers() -> list[Any]:
        bodies.clear()
        ddb.get_item(TableName="t", Key={"id": {"S": "odd"}})
        ddb.query(
            TableName="t",
            IndexName="scores",
            KeyConditionExpression="kind = :e",
            ExpressionAttributeValues={":e": {"S": "email"}},
            Limit=50,
        )
        ddb.scan(TableName="t", Limit=30)
        ddb.update_item(
            TableName="t",
            Key={"id": {"S": "odd"}},
            UpdateExpression="SET seen = :t",
            ExpressionAttributeValues={":t": {"BOOL": True}},
            ReturnValues="ALL_NEW",
        )
        with pytest.raises(ddb.exceptions.TransactionCanceledException):
            ddb.transact_write_items(
                TransactItems=[
                    {
                        "Update": {
                            "TableName": "t",
                            "Key": {"id": {"S": "odd"}},
                            "UpdateExpression": "SET seen = :f",
                            "ConditionExpression": "attribute_not_exists(id)",
                            "ExpressionAttributeValues": {":f": {"BOOL": False}},
                            "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
                        }
                    }
                ]
            )
        return [json.loads(b) for b in bodies]

    expected = answers()
    moto_index_and_timers.patch()
    try:
        got = answers()
    finally:
        moto_index_and_timers.unpatch()
    assert got == expected
    assert any("lead" in str(body) for body in got) and len(got) == 5


def _churn(ddb: Any, seed: int) -> list[Any]:
    """Writes of every kind (puts, updates that move items in and out of the sparse index, deletes,
    transactions, batches), with index queries between them: what each query answered."""
    rng = random.Random(seed)
    answers: list[Any] = []
    ids = [f"c{i}" for i in range(60)]

    def fields() -> dict[str, Any]:
        item: dict[str, Any] = {"kind": {"S": rng.choice(["email", "agent"])}, "score": {"N": str(rng.randrange(9))}}
        if rng.random() < 0.7:
            item["q"] = {"S": rng.choice(["waiting", "other"])}
            item["k"] = {"S": f"2020-01-{rng.randrange(1, 9):02d}#{rng.randrange(5)}"}
        return item

    for _ in range(400):
        op = rng.random()
        key = {"id": {"S": rng.choice(ids)}}
        if op < 0.2:
            ddb.put_item(TableName="t", Item={**key, **fields()})
        elif op < 0.4:
            expression = rng.choice(
                ["SET q = :q, k = :k", "REMOVE q", "REMOVE k", "SET k = :k", "SET kind = :kind, score = :s"]
            )
            values = {":q": {"S": "waiting"}, ":k": {"S": f"2020-01-0{rng.randrange(1, 9)}#x"}}
            values.update({":kind": {"S": rng.choice(["email", "agent"])}, ":s": {"N": str(rng.randrange(9))}})
            used = {n: v for n, v in values.items() if n in expression.replace(",", " ").split()}
            kwargs: dict[str, Any] = {"ExpressionAttributeValues": used} if used else {}
            ddb.update_item(TableName="t", Key=key, UpdateExpression=expression, **kwargs)
        elif op < 0.5:
            ddb.delete_item(TableName="t", Key=key)
        elif op < 0.6:
            other = {"id": {"S": rng.choice(ids)}}
            if other == key:
                continue
            try:
                ddb.transact_write_items(
                    TransactItems=[
                        {
                            "Update": {
                                "TableName": "t",
                                "Key": key,
                                "UpdateExpression": "REMOVE q",
                                "ConditionExpression": "attribute_exists(q)",
                            }
                        },
                        {"Put": {"TableName": "t", "Item": {**other, **fields()}}},
                    ]
                )
            except ddb.exceptions.TransactionCanceledException:
                answers.append("cancelled")
        elif op < 0.7:
            chosen = list(dict.fromkeys(rng.sample(ids, 4)))
            ddb.batch_write_item(
                RequestItems={
                    "t": [
                        {"PutRequest": {"Item": {"id": {"S": i}, **fields()}}}
                        if rng.random() < 0.6
                        else {"DeleteRequest": {"Key": {"id": {"S": i}}}}
                        for i in chosen
                    ]
                }
            )
        else:
            query = rng.choice([QUERIES[0], QUERIES[2], QUERIES[3], QUERIES[8], QUERIES[9]])
            answers.append(_all_pages(ddb, query))
    return answers


def test_index_queries_follow_every_kind_of_write(aws: None) -> None:
    """The patched query keeps its partitions current from the writes: the same answers as moto's
    own after each of hundreds of interleaved writes."""
    ddb = boto3.client("dynamodb", region_name=REGION)
    _table(ddb)
    expected = _churn(ddb, 11)
    ddb.delete_table(TableName="t")
    _table(ddb)
    moto_index_and_timers.patch()
    try:
        got = _churn(ddb, 11)
    finally:
        moto_index_and_timers.unpatch()
    assert len(got) == len(expected) > 100
    for i, (mine, theirs) in enumerate(zip(got, expected, strict=True)):
        assert mine == theirs, f"answer {i} differs"


UPDATES: list[tuple[str, dict[str, Any]]] = [
    ("SET a = :x, b = if_not_exists(b, :y)", {":x": {"S": "1"}, ":y": {"N": "5"}}),
    ("SET a = :x, b = if_not_exists(b, :y)", {":x": {"S": "2"}, ":y": {"N": "6"}}),  # same text, new values
    (
        "SET b = b + :one, l = list_append(if_not_exists(l, :empty), :v)",
        {":one": {"N": "1"}, ":empty": {"L": []}, ":v": {"L": [{"S": "x"}]}},
    ),
    (
        "SET b = b + :one, l = list_append(if_not_exists(l, :empty), :v)",
        {":one": {"N": "2"}, ":empty": {"L": []}, ":v": {"L": [{"N": "3"}]}},
    ),
    ("ADD tags :t, n :one", {":t": {"SS": ["p", "q"]}, ":one": {"N": "1"}}),
    ("DELETE tags :t REMOVE a", {":t": {"SS": ["p"]}}),
    ("SET m = :m", {":m": {"M": {"k": {"S": "v"}, "deep": {"M": {"z": {"N": "1"}}}}}}),
    ("SET m.deep.z = m.deep.z + :one, m.k = :k", {":one": {"N": "1"}, ":k": {"S": "w"}}),
    ("SET b = b - :bad", {":bad": {"S": "not a number"}}),  # refused: the same error both ways
    ("REMOVE l[0], m.k", {}),
    # plain steps (applied directly when patched): names, sets, numbers, removals, and what moto refuses
    ("SET #s = :s, q = :q, k = :k REMOVE a", {":s": {"S": "busy"}, ":q": {"S": "waiting"}, ":k": {"S": "2020#1"}}),
    ("ADD conns :c, n :one SET #s = :s", {":c": {"SS": ["c1", "c2"]}, ":one": {"N": "1"}, ":s": {"S": "on"}}),
    ("ADD conns :c, n :half", {":c": {"SS": ["c2", "c3"]}, ":half": {"N": "0.5"}}),
    ("DELETE conns :c", {":c": {"SS": ["c1", "c9"]}}),
    ("DELETE conns :c REMOVE q, k", {":c": {"SS": ["c2", "c3"]}}),  # emptied: the attribute goes
    ("DELETE conns :c", {":c": {"SS": ["c1"]}}),  # from nothing: nothing happens
    ("SET m = :m, l = :l, f = :f", {":m": {"M": {"k": {"S": "v"}}}, ":l": {"L": [{"N": "1"}]}, ":f": {"NULL": True}}),
    ("SET id = :x", {":x": {"S": "other"}}),  # the table's key: refused
    ("SET q = :n", {":n": {"N": "5"}}),  # an index key of another type: refused
    ("SET k = :e", {":e": {"S": ""}}),  # an empty index key: refused
    ("SET a = :missing, b = :x", {":x": {"S": "1"}}),  # no such value: refused
    ("SET a = :x REMOVE a", {":x": {"S": "1"}}),  # one attribute twice: refused
    ("ADD n :x", {":x": {"S": "text"}}),  # adding a string: refused
    ("ADD a :one", {":one": {"N": "1"}}),  # adding to a string: refused
    ("DELETE n :c", {":c": {"SS": ["z"]}}),  # deleting from a number: refused
]
NAMES = {"#s": "status"}


def _apply_updates(ddb: Any) -> list[Any]:
    outcomes: list[Any] = []
    for expression, values in UPDATES:
        kwargs: dict[str, Any] = {"UpdateExpression": expression, "ReturnValues": "ALL_NEW"}
        if values:
            kwargs["ExpressionAttributeValues"] = values
        if "#" in expression:
            kwargs["ExpressionAttributeNames"] = NAMES
        try:
            outcomes.append(ddb.update_item(TableName="t", Key={"id": {"S": "u"}}, **kwargs)["Attributes"])
        except ddb.exceptions.ClientError as exc:
            outcomes.append(exc.response["Error"])
        try:  # and in a transaction, on another item
            ddb.transact_write_items(
                TransactItems=[
                    {"Update": {"TableName": "t", "Key": {"id": {"S": "tx"}}, **kwargs}}
                    for kwargs in [{k: v for k, v in kwargs.items() if k != "ReturnValues"}]
                ]
            )
            outcomes.append(ddb.get_item(TableName="t", Key={"id": {"S": "tx"}})["Item"])
        except ddb.exceptions.ClientError as exc:
            outcomes.append(exc.response["Error"].get("Code"))
    return outcomes


def test_update_expressions_apply_as_moto_applies_them(aws: None, monkeypatch: pytest.MonkeyPatch) -> None:
    ddb = boto3.client("dynamodb", region_name=REGION)
    _table(ddb)
    expected = _apply_updates(ddb)
    for key in ("u", "tx"):
        ddb.delete_item(TableName="t", Key={"id": {"S": key}})
    applied_directly: list[Any] = []
    apply = moto_index_and_timers._apply
    monkeypatch.setattr(
        moto_index_and_timers, "_apply", lambda plain, item: applied_directly.append(apply(plain, item))
    )
    moto_index_and_timers.patch()
    try:
        got = _apply_updates(ddb)
    finally:
        moto_index_and_timers.unpatch()
    assert got == expected
    # the bad ones refused alike, alone and in a transaction
    assert sum(isinstance(o, dict) and "Code" in o for o in got) == 8
    assert sum(isinstance(o, str) for o in got) == 8
    # the plain ones (8 of them, each alone and in a transaction, some creating their item) went the direct way
    assert len(applied_directly) >= 16


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
