"""The DynamoDB adapter: DynamoDB's error codes arrive as the domain's errors, in one place.

Conditions and transactions run on in-process moto, which answers with DynamoDB's own codes;
throttling (which moto never does) comes from a client that answers as DynamoDB does when it
keeps refusing after the SDK's retries.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

from shared.core import aws
from shared.core.dynamo import (
    ConditionFailed,
    Throttled,
    TransactionCancelled,
    call,
    to_attr,
)
from shared.core.errors import Conflict, NotFound

REGION = "us-east-1"


@pytest.fixture
def table(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)  # in-process moto, not a live local runtime
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    with mock_aws():
        aws.reset_clients()
        boto3.client("dynamodb", region_name=REGION).create_table(
            TableName="things",
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
        yield "things"
    aws.reset_clients()


def _put_new(table: str, pk: str, **fields: Any) -> dict[str, Any]:
    return call(
        "put_item",
        TableName=table,
        Item=to_attr({"pk": pk, **fields}),
        ConditionExpression="attribute_not_exists(pk)",
        ReturnValuesOnConditionCheckFailure="ALL_OLD",
    )


def test_a_failed_condition_is_a_conflict_carrying_the_item_as_it_was(table: str) -> None:
    _put_new(table, "a", n=1)

    with pytest.raises(ConditionFailed) as raised:
        _put_new(table, "a", n=2)

    assert isinstance(raised.value, Conflict) and raised.value.status_code == 409
    assert raised.value.item == {"pk": "a", "n": 1}
    assert isinstance(raised.value.__cause__, ClientError)  # the AWS error stays attached for the logs


def test_a_cancelled_transaction_names_the_items_whose_condition_failed(table: str) -> None:
    _put_new(table, "b")
    items = [
        {"Put": {"TableName": table, "Item": to_attr({"pk": p}), "ConditionExpression": "attribute_not_exists(pk)"}}
        for p in ("x", "b", "y")
    ]

    with pytest.raises(TransactionCancelled) as raised:
        call("transact_write_items", TransactItems=items)

    assert raised.value.failed() == {1}
    assert len(raised.value.reasons) == 3
    # nothing of a cancelled transaction is written
    assert "Item" not in call("get_item", TableName=table, Key=to_attr({"pk": "x"}))


def test_a_missing_table_is_not_found(table: str) -> None:
    with pytest.raises(NotFound):
        call("get_item", TableName="no-such-table", Key=to_attr({"pk": "a"}))


def test_other_errors_are_raised_as_botocore_raised_them(table: str) -> None:
    with pytest.raises(ClientError) as raised:
        call("put_item", TableName=table, Item=to_attr({"not_the_key": "a"}))  # the key is missing
    assert raised.value.response["Error"]["Code"] == "ValidationException"


class _RefusingClient:
    def __init__(self, code: str) -> None:
        self.code = code

    def get_item(self, **_params: Any) -> dict[str, Any]:
        raise ClientError({"Error": {"Code": self.code, "Message": "slow down"}}, "GetItem")


@pytest.mark.parametrize("code", ["ProvisionedThroughputExceededException", "ThrottlingException"])
def test_throttling_after_the_sdks_retries_is_throttled(monkeypatch: pytest.MonkeyPatch, code: str) -> None:
    monkeypatch.setattr("shared.core.dynamo.client", lambda service: _RefusingClient(code))

    with pytest.raises(Throttled) as raised:
        call("get_item", TableName="t", Key={})

    assert raised.value.status_code == 503
