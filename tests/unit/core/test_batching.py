"""Byte-sized batches and SendMessageBatch grouping, against a fake SQS client."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shared.core.batching import SQS_BATCH_BYTES, SQS_BATCH_ENTRIES, BatchSender, RowBatcher
from shared.core.models import LeadBatch


class FakeSqs:
    def __init__(self, fail_ids: set[str] | None = None) -> None:
        self.calls: list[list[dict[str, Any]]] = []
        self.fail_ids = fail_ids or set()

    def send_message_batch(self, QueueUrl: str, Entries: list[dict[str, Any]]) -> dict[str, Any]:
        self.calls.append(Entries)
        failed = [{"Id": e["Id"], "SenderFault": False} for e in Entries if e["Id"] in self.fail_ids]
        self.fail_ids.clear()  # fail once, then accept: a transient error
        return {"Failed": failed}


@pytest.fixture
def fake_sqs() -> FakeSqs:
    return FakeSqs()


@settings(max_examples=40, deadline=None)
@given(
    rows=st.lists(st.dictionaries(st.sampled_from(["Email", "Name", "Notes"]), st.text(max_size=300)), max_size=400),
    # large enough for any generated row (3 cells of 300 characters, up to 4 bytes each)
    message_bytes=st.integers(min_value=6_000, max_value=20_000),
)
def test_every_row_lands_once_in_order_and_messages_fit(rows: list[dict[str, str]], message_bytes: int) -> None:
    fake = FakeSqs()
    batcher = RowBatcher("job1", BatchSender("q", fake), message_bytes, header={"source": "upload"})
    for i, values in enumerate(rows):
        assert batcher.add("Sheet", i + 2, values)
    batches = batcher.close()
    bodies = [e["MessageBody"] for call in fake.calls for e in call]
    assert len(bodies) == batches
    seen = []
    for n, body in enumerate(bodies, start=1):
        assert len(body.encode()) <= message_bytes
        message = json.loads(body)
        assert message["job_id"] == "job1" and message["batch_id"] == f"b{n:06d}" and message["source"] == "upload"
        seen += [(r["r"], r["v"]) for r in message["rows"]]
    assert seen == [(i + 2, v) for i, v in enumerate(rows)]
    for call in fake.calls:
        assert len(call) <= SQS_BATCH_ENTRIES
        assert sum(len(e["MessageBody"].encode()) for e in call) <= SQS_BATCH_BYTES


def test_ten_messages_a_call(fake_sqs: FakeSqs) -> None:
    sender = BatchSender("q", fake_sqs)
    for i in range(25):
        sender.add(str(i), "x")
    sender.flush()
    assert [len(c) for c in fake_sqs.calls] == [10, 10, 5]
    assert sender.sent == 25


def test_failed_entries_are_sent_again(fake_sqs: FakeSqs) -> None:
    fake_sqs.fail_ids = {"1"}
    sender = BatchSender("q", fake_sqs)
    sender.add("a", "first")
    sender.add("b", "second")
    sender.flush()
    assert [[e["MessageBody"] for e in c] for c in fake_sqs.calls] == [["first", "second"], ["second"]]
    assert sender.sent == 2


def test_a_row_too_large_for_any_message_is_refused(fake_sqs: FakeSqs) -> None:
    batcher = RowBatcher("job1", BatchSender("q", fake_sqs), 4_096)
    assert not batcher.add("S", 2, {"Notes": "x" * 4_000})
    assert batcher.add("S", 3, {"Notes": "short"})
    assert batcher.close() == 1 and batcher.rows == 1


def test_what_the_batcher_sends_is_a_lead_batch_the_store_step_reads() -> None:
    # Given the splitter's byte-sized batcher writing its own JSON for speed
    sent: list[str] = []

    class Sqs:
        def send_message_batch(self, *, QueueUrl: str, Entries: list[dict[str, str]]) -> dict[str, Any]:
            sent.extend(e["MessageBody"] for e in Entries)
            return {"Successful": [{"Id": e["Id"]} for e in Entries], "Failed": []}

        def send_message(self, *, QueueUrl: str, MessageBody: str, DelaySeconds: int = 0) -> dict[str, Any]:
            raise AssertionError("batches go ten at a time")

    batcher = RowBatcher("job-1", BatchSender("q", sqs=Sqs()), 2048, header={"source": "upload", "file": "a.csv"})
    for i in range(60):
        batcher.add("Sheet 1", i + 2, {"Email": f"p{i}@example.com", "Name": f"Person {i}"})
    batcher.close()
    # Then every message parses as the model the store step reads, with every row once, in order
    batches = [LeadBatch.model_validate_json(body) for body in sent]
    assert len(batches) > 1 and {b.job_id for b in batches} == {"job-1"}
    assert [(r.w, r.r) for b in batches for r in b.rows] == [("Sheet 1", i + 2) for i in range(60)]
