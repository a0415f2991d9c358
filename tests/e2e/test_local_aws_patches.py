"""The local AWS's speed patches (leadflow.local.moto_patches: speedups, transactions, server) keep AWS's behaviour.

They run against the runtime's own moto server, where the patches are applied, on resources of
their own so that the pipeline's consumers never see them.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from leadflow.local.runtime import LocalRuntime


def _client(runtime: LocalRuntime, service: str) -> Any:
    return boto3.client(
        service,
        endpoint_url=runtime.moto.url,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


@pytest.fixture(scope="module")
def table(runtime: LocalRuntime) -> str:
    name = f"patch-test-{uuid.uuid4().hex[:8]}"
    ddb = _client(runtime, "dynamodb")
    ddb.create_table(
        TableName=name,
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        BillingMode="PAY_PER_REQUEST",
    )
    return name


def test_an_item_over_the_size_limit_is_still_refused(runtime: LocalRuntime, table: str) -> None:
    ddb = _client(runtime, "dynamodb")
    ddb.put_item(TableName=table, Item={"pk": {"S": "small"}, "a": {"S": "x" * 200_000}, "b": {"S": "y" * 190_000}})
    with pytest.raises(ClientError) as err:
        ddb.put_item(TableName=table, Item={"pk": {"S": "big"}, "a": {"S": "x" * 210_000}, "b": {"S": "y" * 200_000}})
    assert "size has exceeded" in str(err.value)
    assert "Item" not in ddb.get_item(TableName=table, Key={"pk": {"S": "big"}})


def test_a_transaction_applies_only_when_every_condition_holds(runtime: LocalRuntime, table: str) -> None:
    ddb = _client(runtime, "dynamodb")
    ddb.put_item(TableName=table, Item={"pk": {"S": "v"}, "version": {"N": "1"}})

    def put(pk: str, condition: str, values: dict[str, Any] | None = None) -> dict[str, Any]:
        op: dict[str, Any] = {
            "TableName": table,
            "Item": {"pk": {"S": pk}, "version": {"N": "2"}},
            "ConditionExpression": condition,
        }
        if values:
            op["ExpressionAttributeValues"] = values
        return {"Put": op}

    stale = put("v", "version = :v", {":v": {"N": "7"}})
    with pytest.raises(ClientError) as err:
        ddb.transact_write_items(TransactItems=[put("fresh", "attribute_not_exists(pk)"), stale])
    assert err.value.response["Error"]["Code"] == "TransactionCanceledException"
    reasons = [r["Code"] for r in err.value.response["CancellationReasons"]]
    assert reasons == ["None", "ConditionalCheckFailed"]
    assert "Item" not in ddb.get_item(TableName=table, Key={"pk": {"S": "fresh"}})

    current = put("v", "version = :v", {":v": {"N": "1"}})
    ddb.transact_write_items(TransactItems=[put("fresh", "attribute_not_exists(pk)"), current])
    assert ddb.get_item(TableName=table, Key={"pk": {"S": "v"}})["Item"]["version"] == {"N": "2"}
    assert ddb.get_item(TableName=table, Key={"pk": {"S": "fresh"}})["Item"]["version"] == {"N": "2"}
    with pytest.raises(ClientError):  # written once: the same condition now fails
        ddb.transact_write_items(TransactItems=[put("fresh", "attribute_not_exists(pk)")])


def test_events_reach_only_matching_targets_whole(runtime: LocalRuntime) -> None:
    events, sqs = _client(runtime, "events"), _client(runtime, "sqs")
    bus = f"patch-test-{uuid.uuid4().hex[:8]}"
    events.create_event_bus(Name=bus)
    queues = {}
    for name, detail_type in (("a", "lead.enriched"), ("b", "lead.enriched"), ("c", "email.dispositioned")):
        url = sqs.create_queue(QueueName=f"{bus}-{name}")["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        events.put_rule(Name=f"{bus}-{name}", EventBusName=bus, EventPattern=json.dumps({"detail-type": [detail_type]}))
        events.put_targets(Rule=f"{bus}-{name}", EventBusName=bus, Targets=[{"Id": "q", "Arn": arn}])
        queues[name] = url
    detail = {"job_id": "j1", "leads": [{"lead_id": str(i), "tags": ["x"], "n": i} for i in range(300)]}
    events.put_events(
        Entries=[
            {
                "EventBusName": bus,
                "Source": "leadflow.test",
                "DetailType": "lead.enriched",
                "Detail": json.dumps(detail),
            },
            {"EventBusName": bus, "Source": "leadflow.test", "DetailType": "lead.enriched", "Detail": '{"n": 2}'},
        ]
    )

    def bodies(url: str) -> list[dict[str, Any]]:
        got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1).get("Messages", [])
        return [json.loads(m["Body"]) for m in got]

    for name in ("a", "b"):
        received = sorted(bodies(queues[name]), key=lambda b: len(json.dumps(b)))
        assert [b["detail"] for b in received] == [{"n": 2}, detail]  # each entry its own detail
        for body in received:
            assert body["detail-type"] == "lead.enriched"
            assert body["source"] == "leadflow.test"
            assert body["version"] == "0" and body["id"] and body["region"] == "us-east-1"
            assert body["resources"] == []
            assert isinstance(body["time"], str) and body["time"].endswith("Z")
    assert bodies(queues["c"]) == []


def test_connections_stay_open_between_requests(runtime: LocalRuntime) -> None:
    """One TCP connection carries request after request (werkzeug alone closes each), also after a
    request whose body the service never read, and a HEAD answers with the object's own length."""
    import http.client
    from urllib.parse import urlsplit

    def _path(presigned: str) -> str:
        parts = urlsplit(presigned)
        return f"{parts.path}?{parts.query}"

    s3 = _client(runtime, "s3")
    bucket = f"keepalive-{uuid.uuid4().hex[:8]}"
    s3.create_bucket(Bucket=bucket)
    s3.put_object(Bucket=bucket, Key="k", Body=b"x" * 1234)
    url = urlsplit(runtime.moto.url)
    connection = http.client.HTTPConnection(url.hostname, url.port, timeout=10)
    try:
        connection.request("GET", "/moto-api/data.json", body=b"a body nobody reads " * 50)
        first = connection.getresponse()
        first.read()
        sock = connection.sock
        assert first.status == 200 and sock is not None
        where = {"Bucket": bucket, "Key": "k"}
        connection.request("HEAD", _path(s3.generate_presigned_url("head_object", Params=where)))
        head = connection.getresponse()
        head.read()
        assert head.status == 200 and head.getheader("Content-Length") == "1234"
        assert head.getheader("Connection") != "close"
        connection.request("GET", _path(s3.generate_presigned_url("get_object", Params=where)))
        got = connection.getresponse()
        assert got.read() == b"x" * 1234
        assert connection.sock is sock  # the same connection all along
    finally:
        connection.close()
