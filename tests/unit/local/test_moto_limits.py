"""The local AWS refuses what AWS refuses, at AWS's limits: those moto enforces itself, and those
`leadflow.local.moto_patches.limits` adds. Against the real moto server process the runtime starts."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from leadflow.local.aws import CREDENTIALS, MotoServer
from leadflow.local.moto_patches.limits import put_events_bytes, transaction_bytes
from shared.core import limits


@pytest.fixture(scope="module")
def aws() -> Iterator[dict[str, Any]]:
    server = MotoServer()
    server.start()
    kwargs = {
        "endpoint_url": server.url,
        "region_name": "us-east-1",
        "aws_access_key_id": CREDENTIALS["AWS_ACCESS_KEY_ID"],
        "aws_secret_access_key": CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
    }
    clients = {name: boto3.client(name, **kwargs) for name in ("sqs", "events", "dynamodb")}
    clients["events"].create_event_bus(Name="limits")
    clients["dynamodb"].create_table(
        TableName="limits",
        KeySchema=[{"AttributeName": "k", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "k", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    clients["queue"] = clients["sqs"].create_queue(QueueName="limits")["QueueUrl"]
    try:
        yield clients
    finally:
        server.stop()


def _entry(detail_bytes: int) -> dict[str, str]:
    """An entry whose size as EventBridge counts it is exactly `detail_bytes` plus Source and DetailType."""
    detail = json.dumps({"p": ""})
    detail = json.dumps({"p": "x" * (detail_bytes - len(detail))})
    return {"EventBusName": "limits", "Source": "s", "DetailType": "d", "Detail": detail}


def test_put_events_of_256_kb_in_all_pass_and_one_byte_more_is_refused(aws: dict[str, Any]) -> None:
    entries = [_entry(100_000), _entry(limits.PUT_EVENTS_BYTES - 100_000 - 4)]
    assert put_events_bytes(entries) == limits.PUT_EVENTS_BYTES
    assert aws["events"].put_events(Entries=entries)["FailedEntryCount"] == 0
    entries[1] = _entry(limits.PUT_EVENTS_BYTES - 100_000 - 3)
    with pytest.raises(ClientError, match="Total size of the entries in the request is over the limit"):
        aws["events"].put_events(Entries=entries)


def test_put_events_refuses_an_eleventh_entry(aws: dict[str, Any]) -> None:
    with pytest.raises(ClientError, match="ValidationException"):
        aws["events"].put_events(Entries=[_entry(10) for _ in range(limits.PUT_EVENTS_ENTRIES + 1)])


def _put(key: str, value_bytes: int) -> dict[str, Any]:
    return {"Put": {"TableName": "limits", "Item": {"k": {"S": key}, "v": {"S": "x" * value_bytes}}}}


def test_a_transaction_over_4_mb_is_refused_and_writes_nothing(aws: dict[str, Any]) -> None:
    ddb = aws["dynamodb"]
    fits = [_put(f"fits{i}", 380_000) for i in range(10)]
    assert transaction_bytes(fits) < limits.TRANSACT_BYTES
    ddb.transact_write_items(TransactItems=fits)
    too_big = [_put(f"big{i}", 380_000) for i in range(12)]
    assert transaction_bytes(too_big) > limits.TRANSACT_BYTES
    with pytest.raises(ClientError, match="Transaction request cannot be larger than 4 MB"):
        ddb.transact_write_items(TransactItems=too_big)
    assert "Item" not in ddb.get_item(TableName="limits", Key={"k": {"S": "big0"}})


def test_a_transaction_of_more_than_100_items_is_refused(aws: dict[str, Any]) -> None:
    ddb = aws["dynamodb"]
    ddb.transact_write_items(TransactItems=[_put(f"hundred{i}", 1) for i in range(limits.TRANSACT_ITEMS)])
    with pytest.raises(ClientError, match="ValidationException"):
        ddb.transact_write_items(TransactItems=[_put(f"more{i}", 1) for i in range(limits.TRANSACT_ITEMS + 1)])


def test_batch_write_of_25_passes_and_26_is_refused(aws: dict[str, Any]) -> None:
    ddb = aws["dynamodb"]

    def requests(prefix: str, n: int) -> dict[str, Any]:
        return {"limits": [{"PutRequest": {"Item": {"k": {"S": f"{prefix}{i}"}}}} for i in range(n)]}

    assert ddb.batch_write_item(RequestItems=requests("batch", limits.BATCH_WRITE_ITEMS))["UnprocessedItems"] == {}
    with pytest.raises(ClientError, match="Too many items requested for the BatchWriteItem call"):
        ddb.batch_write_item(RequestItems=requests("over", limits.BATCH_WRITE_ITEMS + 1))


def test_an_item_over_400_kb_is_refused(aws: dict[str, Any]) -> None:
    with pytest.raises(ClientError, match="Item size has exceeded the maximum allowed size"):
        aws["dynamodb"].put_item(
            TableName="limits", Item={"k": {"S": "huge"}, "v": {"S": "x" * limits.DYNAMODB_ITEM_BYTES}}
        )


def test_an_sqs_message_over_1_mib_is_refused(aws: dict[str, Any]) -> None:
    aws["sqs"].send_message(QueueUrl=aws["queue"], MessageBody="x" * limits.SQS_MESSAGE_BYTES)
    with pytest.raises(ClientError, match="InvalidParameterValue"):
        aws["sqs"].send_message(QueueUrl=aws["queue"], MessageBody="x" * (limits.SQS_MESSAGE_BYTES + 1))
