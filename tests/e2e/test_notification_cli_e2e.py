"""`leadflow dlq list|redrive` and `leadflow sink` against the running local runtime."""

from __future__ import annotations

import json

import httpx
import pytest

from leadflow.cli import main
from leadflow.local.runtime import LocalRuntime
from leadflow.local.sink import Fault

pytestmark = pytest.mark.e2e


def test_dlq_list_shows_every_queue_and_redrive_moves_dead_letters_back(
    runtime: LocalRuntime, capsys: pytest.CaptureFixture[str]
) -> None:
    sqs = runtime.aws("sqs")
    # Given two dead letters on the downstream-sync queue (bodies the consumer skips: no leads)
    dead = runtime.resources.dlqs["downstream-sync"]
    sqs.purge_queue(QueueUrl=dead)
    for _ in range(2):
        sqs.send_message(
            QueueUrl=dead, MessageBody=json.dumps({"detail-type": "lead.enriched", "detail": {"leads": []}})
        )
    endpoint = ["--endpoint", runtime.moto.url, "--stage", runtime.config.stage]
    # When listed
    assert main(["dlq", "list", "--json", *endpoint]) == 0
    rows = {row["queue"]: row for row in json.loads(capsys.readouterr().out)}
    # Then every declared queue is there with its dead letters counted
    assert {"notifications", "downstream-sync", "lead-batches", "upload-events"} <= set(rows)
    assert rows["downstream-sync"]["dead_letters"] == 2
    # When redriven (the local AWS lacks StartMessageMoveTask: the loop takes over)
    assert main(["dlq", "redrive", "downstream-sync", *endpoint]) == 0
    assert capsys.readouterr().out.strip() == "downstream-sync: moved 2 message(s) back"
    assert runtime.wait_idle(10)
    assert main(["dlq", "list", "--json", *endpoint]) == 0
    rows = {row["queue"]: row for row in json.loads(capsys.readouterr().out)}
    assert rows["downstream-sync"]["dead_letters"] == 0
    # An unknown queue is refused with the known ones named
    assert main(["dlq", "redrive", "nope", *endpoint]) == 2
    assert "notifications" in capsys.readouterr().err


def test_sink_command_prints_what_the_sink_received(runtime: LocalRuntime, capsys: pytest.CaptureFixture[str]) -> None:
    assert runtime.notification is not None
    sink = runtime.notification.sink
    sink.clear(received=True)
    sink.fail("/slack", Fault(status=500), times=1)
    httpx.post(f"{sink.url}/slack", json={"text": "New lead: Ada Lovelace\nmore"})
    httpx.post(f"{sink.url}/slack", json={"text": "New lead: Grace Hopper"})
    assert main(["sink", "--url", sink.url, "--path", "/slack"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 2
    assert "/slack" in lines[0] and "500" in lines[0] and "New lead: Ada Lovelace" in lines[0]
    assert " 200 " in lines[1] and "Grace Hopper" in lines[1]
    sink.clear(received=True)
