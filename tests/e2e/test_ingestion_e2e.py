"""End to end on the local runtime: a real HTTP client, the REST gateway, moto, the SQS pollers."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from leadflow.client import ApiError, LeadflowClient
from leadflow.config import REPO_ROOT
from leadflow.local.runtime import LocalRuntime

SAMPLE = REPO_ROOT / "samples" / "leads-sample.xlsx"
EXPECTED = json.loads((REPO_ROOT / "samples" / "leads-sample.expected.json").read_text())


def leads_of(runtime: LocalRuntime, job_id: str) -> list[dict[str, Any]]:
    from shared.core.dynamo import from_attr

    items: list[dict[str, Any]] = []
    kwargs: dict[str, Any] = {
        "TableName": runtime.resources.tables["leads"],
        "IndexName": "by_job",
        "KeyConditionExpression": "job_id = :j",
        "ExpressionAttributeValues": {":j": {"S": job_id}},
    }
    while True:
        page = runtime.aws("dynamodb").query(**kwargs)
        items += [from_attr(i) for i in page["Items"]]
        if "LastEvaluatedKey" not in page:
            return items
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def upload_and_wait(client: LeadflowClient, path: Path, **kwargs: Any) -> dict[str, Any]:
    job = client.upload(path, **kwargs)
    return client.wait(job["job_id"], timeout_s=60)


@pytest.mark.stock_moto
def test_sample_workbook_every_sheet_stored_bad_rows_listed(client: LeadflowClient, runtime: LocalRuntime) -> None:
    # Given the bundled workbook (several worksheets, a title row, a few bad rows)
    # When it is uploaded directly through the REST API
    job = upload_and_wait(client, SAMPLE)
    # Then the job completes and every good row is a lead
    assert job["status"] == "completed", job
    rejected = EXPECTED["totals"]["rejected"] + len(EXPECTED["consumer_rejects"])
    assert job["rows_total"] == EXPECTED["totals"]["data_rows"]
    assert job["rows_rejected"] == rejected
    assert job["leads_stored"] == EXPECTED["totals"]["data_rows"] - rejected
    listed = {(r["worksheet"], r["row"]) for r in job["rejections"]}
    expected_rows = {(c["worksheet"], c["row"]) for c in EXPECTED["consumer_rejects"]}
    expected_rows |= {(s["name"], row) for s in EXPECTED["sheets"] for row in s["rejected_rows"]}
    assert listed == expected_rows
    assert job["batches_done"] == job["batches_total"] >= 1
    assert len(job["rejections"]) == job["rows_rejected"]
    assert all(r["worksheet"] and r["row"] > 0 and r["reason"] for r in job["rejections"])
    leads = leads_of(runtime, job["job_id"])
    assert len(leads) == job["leads_stored"]
    assert {lead["_worksheet"] for lead in leads} == {s["name"] for s in EXPECTED["sheets"]}
    problems = {(p["worksheet"], p["row"]) for p in EXPECTED["consumer_problems"]}
    assert all(lead["problems"] for lead in leads if (lead["_worksheet"], lead["row"]) in problems)
    numeric_phone = next(c for c in EXPECTED["cells"] if c["column"] == "Phone")
    assert any(
        lead["_worksheet"] == numeric_phone["worksheet"]
        and lead["row"] == numeric_phone["row"]
        and lead["phone"] == "+1" + numeric_phone["text"]  # stored as a number, standardized to E.164
        for lead in leads
    )
    # a phone stored as a number in Excel must not come back as "2125550178.0"
    assert all(not str(lead.get("phone", "")).endswith(".0") for lead in leads)
    assert all(lead["email"] == lead["email"].lower() for lead in leads if "email" in lead)


def test_presigned_upload_takes_the_same_path(client: LeadflowClient, tmp_path: Path) -> None:
    path = tmp_path / "big.csv"
    rows = "\n".join(f"Lead {i},lead{i}@example.com,+1212555{i:04d}" for i in range(500))
    path.write_text("Name,Email,Phone\n" + rows + "\n")
    # direct_limit=0 forces the presigned S3 POST path
    job = upload_and_wait(client, path, direct_limit=0)
    assert job["status"] == "completed", job
    assert job["leads_stored"] == 500
    assert job["rows_rejected"] == 0


def test_presign_refuses_a_declared_size_over_the_limit(client: LeadflowClient, runtime: LocalRuntime) -> None:
    too_big = runtime.config.max_presigned_upload_bytes + 1
    response = client.http.post("/uploads/presign", json={"filename": "x.csv", "size": too_big})
    assert response.status_code == 413
    assert "limit" in response.json()["message"]


def test_direct_upload_over_the_limit_is_413_with_a_hint(client: LeadflowClient, runtime: LocalRuntime) -> None:
    body = b"a" * (runtime.config.max_direct_upload_bytes + 1)
    response = client.http.post("/uploads", params={"filename": "big.csv"}, content=body)
    assert response.status_code == 413
    assert "presign" in response.json()["message"]


def test_multipart_upload(client: LeadflowClient) -> None:
    files = {"file": ("form.csv", b"Email,Name\nform@example.com,Form Person\n", "text/csv")}
    response = client.http.post("/uploads", files=files)
    assert response.status_code == 202, response.text
    job = client.wait(response.json()["job_id"], timeout_s=30)
    assert job["status"] == "completed" and job["leads_stored"] == 1
    assert job["filename"] == "form.csv"


def test_auth_401_without_or_with_unknown_token_403_for_wrong_role(
    runtime: LocalRuntime, client: LeadflowClient
) -> None:
    url = runtime.rest_url
    assert httpx.get(f"{url}/jobs/nope").status_code == 401
    assert httpx.get(f"{url}/jobs/nope", headers={"Authorization": "Bearer lf_unknown"}).status_code == 401
    agent = client.create_token("agent", "ana")["token"]
    as_agent = LeadflowClient(url, agent)
    with pytest.raises(ApiError) as denied:
        as_agent.upload(SAMPLE)
    assert denied.value.status == 403
    with pytest.raises(ApiError) as denied_tokens:
        as_agent.create_token("admin", "mallory")
    assert denied_tokens.value.status == 403
    # an integration token may upload and read its job
    integration = LeadflowClient(url, client.create_token("integration", "crm")["token"])
    job = integration.upload(SAMPLE)
    assert integration.job(job["job_id"])["job_id"] == job["job_id"]


def test_unknown_job_is_404_and_bad_requests_are_400_or_422(client: LeadflowClient) -> None:
    with pytest.raises(ApiError) as missing:
        client.job("does-not-exist")
    assert missing.value.status == 404
    response = client.http.post("/uploads", content=b"a,b\n1,2\n")
    assert response.status_code == 400 and "filename" in response.json()["message"]
    response = client.http.post("/tokens", json={"role": "emperor"})
    assert response.status_code == 422 and response.json()["message"].startswith("body role:")


def test_cancel_a_job_then_cancel_again_is_409(client: LeadflowClient) -> None:
    presigned = client.http.post("/uploads/presign", json={"filename": "later.csv"}).json()
    assert list(presigned) == ["job_id", "status", "upload", "max_bytes", "expires_in"]
    assert presigned["status"] == "uploading" and presigned["expires_in"] == 900
    assert list(presigned["upload"]) == ["url", "fields", "method"] and presigned["upload"]["method"] == "POST"
    cancelled = client.cancel(presigned["job_id"])
    assert cancelled["status"] == "cancelled"
    with pytest.raises(ApiError) as again:
        client.cancel(presigned["job_id"])
    assert again.value.status == 409
    # a file that arrives for a cancelled job is not split
    upload = presigned["upload"]
    httpx.post(upload["url"], data=upload["fields"], files={"file": ("later.csv", b"Email\nx@example.com\n")})
    time.sleep(2)
    job = client.job(presigned["job_id"])
    assert job["status"] == "cancelled" and job["leads_stored"] == 0


@pytest.mark.stock_moto
def test_json_dropped_under_raw_becomes_a_job(runtime: LocalRuntime, client: LeadflowClient) -> None:
    bucket = runtime.resources.buckets["uploads"]
    leads = [{"email": f"drop{i}@example.com", "name": f"Drop {i}"} for i in range(3)]
    runtime.aws("s3").put_object(Bucket=bucket, Key="raw/crm/batch-1.json", Body=json.dumps(leads).encode())
    lines = "\n".join(json.dumps({"email": f"line{i}@example.com"}) for i in range(4)) + "\nnot json\n"
    runtime.aws("s3").put_object(Bucket=bucket, Key="raw/crm/stream.jsonl", Body=lines.encode())
    assert runtime.wait_idle(30)
    jobs = _jobs_by_file(runtime)
    array_job = client.job(jobs["batch-1.json"])
    assert array_job["status"] == "completed" and array_job["leads_stored"] == 3
    assert array_job["source"] == "s3-drop"
    lines_job = client.job(jobs["stream.jsonl"])
    assert lines_job["status"] == "completed"
    assert lines_job["leads_stored"] == 4 and lines_job["rows_rejected"] == 1
    assert lines_job["rejections"][0]["row"] == 5


def _jobs_by_file(runtime: LocalRuntime) -> dict[str, str]:
    from shared.core.dynamo import from_attr

    items = runtime.aws("dynamodb").scan(TableName=runtime.resources.tables["jobs"])["Items"]
    return {from_attr(i)["filename"]: from_attr(i)["job_id"] for i in items if from_attr(i)["sk"] == "job"}


def test_redelivered_batch_neither_duplicates_leads_nor_counts_twice(
    runtime: LocalRuntime, client: LeadflowClient, tmp_path: Path
) -> None:
    path = tmp_path / "twice.csv"
    path.write_text("Email\n" + "\n".join(f"twice{i}@example.com" for i in range(30)) + "\n")
    job = upload_and_wait(client, path)
    assert job["leads_stored"] == 30
    # the same batch message again, as SQS at-least-once delivery may do
    body = json.dumps(
        {
            "job_id": job["job_id"],
            "batch_id": "b000001",
            "source": "upload",
            "file": "twice.csv",
            "rows": [{"w": None, "r": i + 2, "v": {"Email": f"twice{i}@example.com"}} for i in range(30)],
        }
    )
    runtime.aws("sqs").send_message(QueueUrl=runtime.resources.queues["lead-batches"], MessageBody=body)
    assert runtime.wait_idle(30)
    again = client.job(job["job_id"])
    assert again["leads_stored"] == 30 and again["batches_done"] == again["batches_total"]
    assert len(leads_of(runtime, job["job_id"])) == 30


def test_a_poison_message_goes_to_the_dlq_after_three_receives_and_its_neighbour_is_stored(
    runtime: LocalRuntime, client: LeadflowClient
) -> None:
    presigned = client.http.post("/uploads/presign", json={"filename": "poison.csv"}).json()
    job_id = presigned["job_id"]
    runtime.aws("dynamodb").update_item(  # as if the splitter had started this job
        TableName=runtime.resources.tables["jobs"],
        Key={"job_id": {"S": job_id}, "sk": {"S": "job"}},
        UpdateExpression="SET #s = :p",
        ExpressionAttributeNames={"#s": "status"},
        ExpressionAttributeValues={":p": {"S": "processing"}},
    )
    good = {"job_id": job_id, "batch_id": "b000001", "rows": [{"w": None, "r": 2, "v": {"Email": "ok@example.com"}}]}
    queue = runtime.resources.queues["lead-batches"]
    runtime.aws("sqs").send_message_batch(
        QueueUrl=queue,
        Entries=[{"Id": "good", "MessageBody": json.dumps(good)}, {"Id": "bad", "MessageBody": "{not json"}],
    )
    dlq = runtime.resources.dlqs["lead-batches"]
    deadline = time.monotonic() + 30
    moved: list[dict[str, Any]] = []
    while time.monotonic() < deadline and not moved:
        moved = runtime.aws("sqs").receive_message(QueueUrl=dlq, WaitTimeSeconds=1).get("Messages", [])
    assert moved and moved[0]["Body"] == "{not json"
    assert client.job(job_id)["leads_stored"] == 1
    # the poison message alone in a batch fails the whole invocation, which is expected here
    runtime.errors.clear()


def test_batches_of_a_job_cancelled_mid_way_are_not_stored(runtime: LocalRuntime, client: LeadflowClient) -> None:
    presigned = client.http.post("/uploads/presign", json={"filename": "midway.csv"}).json()
    job_id = presigned["job_id"]
    runtime.aws("dynamodb").update_item(  # the splitter has started and sent a first batch
        TableName=runtime.resources.tables["jobs"],
        Key={"job_id": {"S": job_id}, "sk": {"S": "job"}},
        UpdateExpression="SET #s = :p",
        ExpressionAttributeNames={"#s": "status"},
        ExpressionAttributeValues={":p": {"S": "processing"}},
    )
    client.cancel(job_id)
    batch = {"job_id": job_id, "batch_id": "b000001", "rows": [{"w": None, "r": 2, "v": {"Email": "late@example.com"}}]}
    runtime.aws("sqs").send_message(QueueUrl=runtime.resources.queues["lead-batches"], MessageBody=json.dumps(batch))
    assert runtime.wait_idle(30)
    job = client.job(job_id)
    assert job["status"] == "cancelled" and job["leads_stored"] == 0
    assert leads_of(runtime, job_id) == []


def test_the_last_delivery_of_a_file_that_kept_crashing_fails_its_job(
    runtime: LocalRuntime, client: LeadflowClient
) -> None:
    presigned = client.http.post("/uploads/presign", json={"filename": "crasher.xlsx"}).json()
    key = presigned["upload"]["fields"]["key"]
    s3_event = {
        "Records": [
            {
                "eventName": "ObjectCreated:Post",
                "s3": {"bucket": {"name": runtime.resources.buckets["uploads"]}, "object": {"key": key, "size": 10}},
            }
        ]
    }
    record = {
        "messageId": "m1",
        "receiptHandle": "r1",
        "body": json.dumps(s3_event),
        "attributes": {"ApproximateReceiveCount": "3"},
        "messageAttributes": {},
        "md5OfBody": "",
        "eventSource": "aws:sqs",
        "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:leadflow-dev-upload-events",
        "awsRegion": "us-east-1",
    }
    response = runtime.invokers["splitter"]({"Records": [record]})
    assert response["batchItemFailures"] == []
    job = client.job(presigned["job_id"])
    assert job["status"] == "failed" and "2 times" in job["error"]


def test_stored_leads_are_announced_on_the_bus_in_batches(
    runtime: LocalRuntime, client: LeadflowClient, tmp_path: Path
) -> None:
    sqs, bus = runtime.aws("sqs"), runtime.resources.buses["events"]
    url = sqs.create_queue(QueueName="test-lead-events")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    runtime.aws("events").put_rule(
        Name="test-lead-events", EventBusName=bus, EventPattern=json.dumps({"detail-type": ["lead.enriched"]})
    )
    runtime.aws("events").put_targets(Rule="test-lead-events", EventBusName=bus, Targets=[{"Id": "q", "Arn": arn}])
    path = tmp_path / "announce.csv"
    path.write_text("Email\n" + "\n".join(f"announce{i}@example.com" for i in range(40)) + "\n")
    job = upload_and_wait(client, path)
    announced: list[dict[str, Any]] = []
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline and len(announced) < 40:
        for m in sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1).get("Messages", []):
            event = json.loads(m["Body"])
            if event["detail"]["job_id"] == job["job_id"]:
                assert event["source"] == "leadflow.enrichment"
                announced += event["detail"]["leads"]
    assert sorted(lead["email"] for lead in announced) == sorted(f"announce{i}@example.com" for i in range(40))
