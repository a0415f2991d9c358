"""The job ledger's rules, held by the DynamoDB repository (on an in-process moto table, no network)
and by the in-memory fake the splitter's and the store step's tests use, so the fake cannot drift
from what the repository does.

State transitions: uploaded -> processing -> completed once the split is done and every batch is
counted; only an active job may start, fail or be cancelled; a batch counts once."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from shared.core import aws
from shared.core.errors import Conflict, JobCancelled, NotFound
from shared.core.models import Job, JobStatus, Rejection
from shared.ingestion.jobs import JobLedger, JobRepository
from tests.unit.fakes import FakeJobLedger, in_process_aws

TABLE = "jobs"


@pytest.fixture
def moto_jobs(monkeypatch: pytest.MonkeyPatch) -> Iterator[JobRepository]:
    with in_process_aws(monkeypatch):
        aws.client("dynamodb").create_table(
            TableName=TABLE,
            KeySchema=[{"AttributeName": "job_id", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
            AttributeDefinitions=[
                {"AttributeName": "job_id", "AttributeType": "S"},
                {"AttributeName": "sk", "AttributeType": "S"},
            ],
            BillingMode="PAY_PER_REQUEST",
        )
        yield JobRepository(TABLE)


@pytest.fixture(params=["dynamodb", "fake"])
def ledger(request: pytest.FixtureRequest) -> JobLedger:
    if request.param == "fake":
        return FakeJobLedger()
    repository: JobRepository = request.getfixturevalue("moto_jobs")
    return repository


def new_job(ledger: JobLedger, job_id: str = "j1", status: JobStatus = JobStatus.UPLOADED) -> str:
    assert ledger.create(Job(job_id=job_id, status=status, filename="leads.csv", created_at="2024-01-01T00:00:00Z"))
    return job_id


def test_a_job_is_created_once(ledger: JobLedger) -> None:
    new_job(ledger)
    assert not ledger.create(Job(job_id="j1", status=JobStatus.UPLOADED, filename="other.csv"))
    assert ledger.status("j1") == JobStatus.UPLOADED
    assert ledger.status("nobody") is None


def test_a_job_completes_when_split_and_every_batch_are_in_whichever_comes_last(ledger: JobLedger) -> None:
    # Given a job being processed whose first batch is counted before the split finishes
    job_id = new_job(ledger)
    assert ledger.start_processing(job_id, 1234).status == JobStatus.PROCESSING
    first = ledger.record_batch(job_id, "b000001", stored=3, rejected=1, duplicates=1)
    assert first is not None and first.status == JobStatus.PROCESSING

    # When the split finishes with two batches, the job still waits for the second
    split = ledger.finish_split(job_id, rows_total=8, rows_rejected=2, batches_total=2)
    assert split.status == JobStatus.PROCESSING

    # Then the second batch completes it, with every count added once
    done = ledger.record_batch(job_id, "b000002", stored=2, rejected=0, llm_calls=1)
    assert done is not None and done.status == JobStatus.COMPLETED
    assert (done.leads_stored, done.rows_rejected, done.leads_duplicate, done.batches_done) == (5, 3, 1, 2)
    assert (done.llm_calls, done.rules_only, done.size_bytes) == (1, False, 1234)


def test_a_split_whose_batches_are_all_counted_completes_the_job(ledger: JobLedger) -> None:
    job_id = new_job(ledger)
    ledger.start_processing(job_id)
    ledger.record_batch(job_id, "b000001", stored=1, rejected=0)
    assert ledger.finish_split(job_id, rows_total=1, rows_rejected=0, batches_total=1).status == JobStatus.COMPLETED


def test_a_batch_counts_once_and_a_split_once(ledger: JobLedger) -> None:
    job_id = new_job(ledger)
    ledger.start_processing(job_id)
    ledger.finish_split(job_id, rows_total=10, rows_rejected=2, batches_total=3)
    assert ledger.record_batch(job_id, "b000001", stored=4, rejected=0) is not None

    assert ledger.record_batch(job_id, "b000001", stored=4, rejected=0) is None
    again = ledger.finish_split(job_id, rows_total=10, rows_rejected=2, batches_total=3)

    assert (again.leads_stored, again.rows_rejected, again.batches_done) == (4, 2, 1)


def test_only_an_active_job_can_be_cancelled(ledger: JobLedger) -> None:
    job_id = new_job(ledger)
    assert ledger.cancel(job_id).status == JobStatus.CANCELLED
    with pytest.raises(Conflict, match="already cancelled"):
        ledger.cancel(job_id)
    with pytest.raises(NotFound):
        ledger.cancel("nobody")


def test_a_finished_job_cannot_be_cancelled_started_or_failed(ledger: JobLedger) -> None:
    job_id = new_job(ledger)
    ledger.start_processing(job_id)
    ledger.finish_split(job_id, rows_total=0, rows_rejected=0, batches_total=0)
    assert ledger.status(job_id) == JobStatus.COMPLETED

    with pytest.raises(Conflict, match="already completed"):
        ledger.cancel(job_id)
    with pytest.raises(JobCancelled):
        ledger.start_processing(job_id)
    assert ledger.fail(job_id, "too late") is None
    assert ledger.status(job_id) == JobStatus.COMPLETED


def test_a_cancelled_job_does_not_start_processing(ledger: JobLedger) -> None:
    job_id = new_job(ledger)
    ledger.cancel(job_id)
    with pytest.raises(JobCancelled, match="cancelled"):
        ledger.start_processing(job_id)


def test_a_redelivered_start_keeps_the_job_processing(ledger: JobLedger) -> None:
    job_id = new_job(ledger)
    ledger.start_processing(job_id)
    assert ledger.start_processing(job_id).status == JobStatus.PROCESSING


def test_an_active_job_fails_with_its_reason(ledger: JobLedger) -> None:
    job_id = new_job(ledger, status=JobStatus.UPLOADING)
    failed = ledger.fail(job_id, "The file is damaged.")
    assert failed is not None and (failed.status, failed.error) == (JobStatus.FAILED, "The file is damaged.")
    assert ledger.fail(job_id, "again") is None


def test_rejections_are_kept_once_per_worksheet_and_row(moto_jobs: JobRepository) -> None:
    job_id = new_job(moto_jobs)
    first = [Rejection(worksheet="S", row=2, reason="no email"), Rejection(worksheet=None, row=2, reason="bad")]
    moto_jobs.add_rejections(job_id, first)
    moto_jobs.add_rejections(job_id, [Rejection(worksheet="S", row=2, reason="no email")])
    listed = moto_jobs.get(job_id).rejections
    assert sorted((r.worksheet or "", r.row, r.reason) for r in listed) == [("", 2, "bad"), ("S", 2, "no email")]
