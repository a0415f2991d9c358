"""The local AWS as `leadflow.local.moto_patches` leaves it: what it installed, and the correctness fix at work.

These run in both of `make test`'s runs: on the tested moto with every patch, and on stock moto
(`LEADFLOW_STOCK_MOTO=1`, correctness fixes only), where the atomic-writes fix must hold alone.
"""

from __future__ import annotations

import logging
import os
import threading
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from leadflow.config import REPO_ROOT
from leadflow.local.aws import MotoServer
from leadflow.local.moto_patches import PATCHES, STOCK_ENV, Kind
from leadflow.local.runtime import LocalRuntime

pytestmark = [pytest.mark.e2e, pytest.mark.stock_moto]

CORRECTNESS = tuple(p.name for p in PATCHES if p.kind is Kind.CORRECTNESS)
SPEED = tuple(p.name for p in PATCHES if p.kind is Kind.SPEED)


def _ddb(url: str) -> Any:
    return boto3.client(
        "dynamodb",
        endpoint_url=url,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        # one attempt: a refused write must show as refused, not be retried into a success
        config=Config(retries={"max_attempts": 1, "mode": "standard"}, max_pool_connections=32),
    )


def _table(ddb: Any) -> str:
    name = f"atomic-{uuid.uuid4().hex[:8]}"
    ddb.create_table(
        TableName=name,
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        BillingMode="PAY_PER_REQUEST",
    )
    return name


def _together(count: int, work: Callable[[int], None]) -> None:
    start = threading.Barrier(count)
    errors: list[BaseException] = []

    def run(i: int) -> None:
        start.wait()
        try:
            work(i)
        except BaseException as err:  # reported below
            errors.append(err)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not errors, errors


def test_the_runtime_installed_what_its_environment_asks(runtime: LocalRuntime) -> None:
    report = runtime.moto.patches
    assert report is not None
    stock = os.environ.get(STOCK_ENV, "") not in ("", "0")
    assert report.installed == (CORRECTNESS if stock else CORRECTNESS + SPEED)
    assert report.skipped == (SPEED if stock else ())


def test_concurrent_conditional_writes_on_one_item_let_exactly_one_win(runtime: LocalRuntime) -> None:
    ddb = _ddb(runtime.moto.url)
    table = _table(ddb)
    for round_ in range(5):
        won: list[int] = []
        lost: list[int] = []

        def claim(i: int, key: str = f"item-{round_}", won: list[int] = won, lost: list[int] = lost) -> None:
            try:
                ddb.put_item(
                    TableName=table,
                    Item={"pk": {"S": key}, "owner": {"N": str(i)}},
                    ConditionExpression="attribute_not_exists(pk)",
                )
                won.append(i)
            except ClientError as err:
                assert err.response["Error"]["Code"] == "ConditionalCheckFailedException"
                lost.append(i)

        _together(16, claim)
        assert len(won) == 1 and len(lost) == 15
        stored = ddb.get_item(TableName=table, Key={"pk": {"S": f"item-{round_}"}}, ConsistentRead=True)
        assert stored["Item"]["owner"] == {"N": str(won[0])}


def test_a_cancelled_transaction_loses_no_concurrent_write(runtime: LocalRuntime) -> None:
    """moto rolls a cancelled transaction back by putting back a copy of the table taken when it
    began: without the lock, batch writes made meanwhile were erased with it."""
    ddb = _ddb(runtime.moto.url)
    table = _table(ddb)
    ddb.put_item(TableName=table, Item={"pk": {"S": "guard"}, "v": {"N": "1"}})
    written: list[str] = []

    def work(i: int) -> None:
        if i % 2 == 0:  # batch writes
            for n in range(12):
                keys = [f"w{i}-{n}-{k}" for k in range(25)]
                requests = [{"PutRequest": {"Item": {"pk": {"S": k}}}} for k in keys]
                left = ddb.batch_write_item(RequestItems={table: requests}).get("UnprocessedItems")
                assert not left
                written.extend(keys)
        else:  # transactions that are cancelled by their condition
            for n in range(12):
                with pytest.raises(ClientError) as err:
                    ddb.transact_write_items(
                        TransactItems=[
                            {"Put": {"TableName": table, "Item": {"pk": {"S": f"t{i}-{n}"}}}},
                            {
                                "ConditionCheck": {
                                    "TableName": table,
                                    "Key": {"pk": {"S": "guard"}},
                                    "ConditionExpression": "v = :two",
                                    "ExpressionAttributeValues": {":two": {"N": "2"}},
                                }
                            },
                        ]
                    )
                assert err.value.response["Error"]["Code"] == "TransactionCanceledException"

    _together(6, work)
    stored: set[str] = set()
    for page in ddb.get_paginator("scan").paginate(TableName=table, ConsistentRead=True):
        stored |= {item["pk"]["S"] for item in page["Items"]}
    assert not {k for k in stored if k.startswith("t")}  # the cancelled transactions wrote nothing
    missing = set(written) - stored
    assert not missing, f"{len(missing)} of {len(written)} batch-written items lost"


def test_a_stock_moto_server_logs_one_line_naming_what_it_left_out(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv(STOCK_ENV, "1")
    server = MotoServer()
    with caplog.at_level(logging.INFO, logger="leadflow.local.aws"):
        server.start()
    try:
        assert server.patches is not None and server.patches.installed == CORRECTNESS
        lines = [r.getMessage() for r in caplog.records if r.name == "leadflow.local.aws"]
        assert len(lines) == 1, lines
        assert f"{STOCK_ENV}=1" in lines[0] and all(name in lines[0] for name in SPEED)
        # and it is stock: werkzeug's own handler closes every connection
        import http.client

        connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
        try:
            connection.request("GET", "/moto-api/data.json")
            answer = connection.getresponse()
            answer.read()
            assert answer.status == 200 and answer.getheader("Connection") == "close"
        finally:
            connection.close()
    finally:
        server.stop()


def test_a_correctness_fix_that_cannot_be_installed_stops_the_local_aws_saying_which(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # a moto whose server no longer dispatches as the fix expects (made so before the server's own code runs)
    (tmp_path / "sitecustomize.py").write_text(
        "from moto.moto_server.werkzeug_app import DomainDispatcherApplication\n"
        "DomainDispatcherApplication.__call__ = lambda self, request: None\n"
    )
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(tmp_path), str(REPO_ROOT)]))
    server = MotoServer()
    with pytest.raises(RuntimeError) as err:
        server.start()
    assert "exited at start" in str(err.value)
    assert "'atomic-writes'" in str(err.value) and "cannot be installed on moto" in str(err.value)
