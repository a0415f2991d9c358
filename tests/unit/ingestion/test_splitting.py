"""The splitter against an in-memory job ledger, object store and queue: byte-sized batches, bad
files and oversized objects failing their job with a reason, bad rows listed, cancellation."""

from __future__ import annotations

import pytest

from shared.core.models import Job, JobStatus
from shared.ingestion import splitting
from shared.ingestion.splitting import S3Object, Splitter
from tests.unit.fakes import FakeJobLedger, FakeObjects, FakeSqs

QUEUE = "https://sqs.local/lead-batches"
BUCKET = "uploads-bucket"
HEADER = "First Name,Last Name,Email\r\n"


def csv_bytes(rows: int, *, note: str = "") -> bytes:
    lines = [f"Ada{i},Lovelace{note},ada{i}@example.com\r\n" for i in range(rows)]
    return (HEADER + "".join(lines)).encode()


class World:
    def __init__(self, *, message_bytes: int = 4_096, max_object_bytes: int = 10_000_000) -> None:
        self.jobs = FakeJobLedger()
        self.objects = FakeObjects()
        self.sqs = FakeSqs()
        self.splitter = Splitter(
            jobs=self.jobs,
            queue_url=QUEUE,
            max_object_bytes=max_object_bytes,
            max_uncompressed_bytes=50_000_000,
            message_bytes=message_bytes,
            objects=self.objects,
            sqs=self.sqs,
        )

    def upload(self, job_id: str, content: bytes, filename: str = "leads.csv") -> S3Object:
        key = f"uploads/{job_id}/{filename}"
        self.jobs.create(Job(job_id=job_id, status=JobStatus.UPLOADED, filename=filename, object_key=key))
        self.objects.objects[(BUCKET, key)] = content
        return S3Object(BUCKET, key, len(content))


@pytest.fixture
def world() -> World:
    return World()


def test_rows_go_out_in_byte_sized_batches_each_row_once(world: World) -> None:
    # Given an uploaded CSV of 300 rows and 4 KB messages
    obj = world.upload("j1", csv_bytes(300))

    # When it is split
    result = world.splitter.split(obj)

    # Then every row is on the queue once, in order, in messages no larger than 4 KB
    messages = world.sqs.messages(QUEUE)
    assert result.status == "processing" and result.rows == 300 and result.batches == len(messages) > 1
    assert all(len(body.encode()) <= 4_096 for body in world.sqs.sent[QUEUE])
    assert [m["batch_id"] for m in messages] == [f"b{n:06d}" for n in range(1, len(messages) + 1)]
    assert {(m["job_id"], m["source"], m["file"]) for m in messages} == {("j1", "upload", "leads.csv")}
    rows = [r for m in messages for r in m["rows"]]
    assert [r["r"] for r in rows] == list(range(2, 302))
    assert rows[0]["v"] == {"First Name": "Ada0", "Last Name": "Lovelace", "Email": "ada0@example.com"}
    # and the job knows how many batches to wait for
    job = world.jobs.jobs["j1"]
    assert (job.status, job.rows_total, job.batches_total) == (JobStatus.PROCESSING, 300, len(messages))


def test_the_job_completes_when_its_last_batch_is_counted(world: World) -> None:
    obj = world.upload("j1", csv_bytes(40))
    result = world.splitter.split(obj)
    for n in range(1, result.batches + 1):
        assert world.jobs.jobs["j1"].status == JobStatus.PROCESSING
        world.jobs.record_batch("j1", f"b{n:06d}", stored=1, rejected=0)
    assert world.jobs.jobs["j1"].status == JobStatus.COMPLETED


def test_a_file_that_cannot_be_read_fails_its_job_with_the_readers_reason(world: World) -> None:
    # Given a "CSV" that is binary junk
    obj = world.upload("j1", b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 40)

    result = world.splitter.split(obj)

    # Then the job failed with a reason a person can act on, and nothing was queued
    job = world.jobs.jobs["j1"]
    assert result.status == "failed" and job.status == JobStatus.FAILED
    assert job.error and len(job.error) > 20
    assert world.sqs.sent == {}


def test_an_object_over_the_limit_fails_without_being_downloaded() -> None:
    world = World(max_object_bytes=1_000)
    obj = world.upload("j1", csv_bytes(100))

    result = world.splitter.split(obj)

    assert result.status == "failed" and world.objects.downloads == 0
    assert world.jobs.jobs["j1"].error == "The file is 0.0 MB, over the 0.0 MB upload limit."


def test_bad_rows_are_listed_and_the_good_ones_go_on(world: World) -> None:
    # Given a file whose third row alone is larger than a message may carry
    content = csv_bytes(2) + b"Big,Row," + b"x" * 5_000 + b"@example.com\r\n" + b"Eve,Last,eve@example.com\r\n"
    obj = world.upload("j1", content)

    result = world.splitter.split(obj)

    assert (result.rows, result.rejected) == (3, 1)
    [rejection] = world.jobs.rejections["j1"].values()
    assert rejection.row == 4 and rejection.reason == "the row is larger than 3 KB"
    job = world.jobs.jobs["j1"]
    assert (job.rows_total, job.rows_rejected) == (4, 1)
    assert [r["r"] for m in world.sqs.messages(QUEUE) for r in m["rows"]] == [2, 3, 5]


def test_a_cancelled_job_is_not_split(world: World) -> None:
    obj = world.upload("j1", csv_bytes(10))
    world.jobs.cancel("j1")

    result = world.splitter.split(obj)

    assert result.status == "skipped" and world.objects.downloads == 0 and world.sqs.sent == {}


def test_a_job_cancelled_during_the_split_stops_it(monkeypatch: pytest.MonkeyPatch) -> None:
    # Given a file of many batches, and a person cancelling the job once the first messages went out
    monkeypatch.setattr(splitting, "CANCEL_CHECK_EVERY", 5)
    world = World(message_bytes=2_048)
    obj = world.upload("j1", csv_bytes(200, note="y" * 600))

    def cancel_once() -> None:
        if world.jobs.jobs["j1"].status != JobStatus.CANCELLED:
            world.jobs.cancel("j1")

    world.sqs.on_batch = cancel_once

    result = world.splitter.split(obj)

    # Then the split stops at its next check: the job stays cancelled, its split never finishes
    assert result.status == "cancelled"
    assert world.jobs.jobs["j1"].status == JobStatus.CANCELLED and "j1" not in world.jobs.split_done
    assert len(world.sqs.sent[QUEUE]) < 200


def test_a_dropped_raw_object_gets_one_job_named_after_it(world: World) -> None:
    content = b'[{"Email": "ada@example.com"}, {"Email": "eve@example.com"}]'
    world.objects.objects[(BUCKET, "raw/2024/leads.json")] = content
    obj = S3Object(BUCKET, "raw/2024/leads.json", len(content), etag="abc")

    first = world.splitter.split(obj)
    again = world.splitter.job_for(obj)

    assert first.job_id == again and first.job_id is not None and first.job_id.startswith("raw-")
    assert list(world.jobs.jobs) == [first.job_id]
    job = world.jobs.jobs[first.job_id]
    assert (job.source, job.filename, job.rows_total) == ("s3-drop", "leads.json", 2)


def test_an_object_outside_uploads_and_raw_is_ignored(world: World) -> None:
    result = world.splitter.split(S3Object(BUCKET, "enriched/x/b000001.jsonl", 10))
    assert (result.job_id, result.status) == (None, "ignored") and world.jobs.jobs == {}


def test_giving_up_fails_the_job_saying_how_often_reading_stopped(world: World) -> None:
    obj = world.upload("j1", csv_bytes(1))

    result = world.splitter.give_up(obj, attempts=3)

    error = world.jobs.jobs["j1"].error or ""
    assert result.status == "failed" and "stopped unexpectedly 3 times" in error
