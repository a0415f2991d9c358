"""Enrichment on the local runtime: standardized, deduplicated leads; reading, exporting, asking."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import pytest

from leadflow.cli import main
from leadflow.client import ApiError, LeadflowClient
from leadflow.local.runtime import LocalRuntime


def upload_rows(client: LeadflowClient, tmp_path: Path, name: str, text: str) -> dict[str, Any]:
    path = tmp_path / name
    path.write_text(text)
    job = client.upload(path)
    return client.wait(job["job_id"], timeout_s=60)


def by_email(client: LeadflowClient, email: str) -> dict[str, Any]:
    leads = client.leads(email=email)["leads"]
    assert len(leads) == 1, leads
    return leads[0]


def test_rows_are_standardized_and_unmapped_columns_kept(client: LeadflowClient, tmp_path: Path) -> None:
    job = upload_rows(
        client,
        tmp_path,
        "crm.csv",
        "E-mail Address,Surname,First,Phone #,Organisation,Country,Shoe Size\n"
        "  ANA.Lima@Acme-Corp.co.uk ,o'neil,ana,020 7946 0018,,United Kingdom,38\n",
    )
    assert job["status"] == "completed" and job["leads_stored"] == 1
    assert job["rules_only"] is True and job["llm_calls"] == 0
    lead = by_email(client, "ana.lima@acme-corp.co.uk")
    assert lead["first_name"] == "Ana" and lead["last_name"] == "O'Neil"
    assert lead["phone"] == "+442079460018" and lead["country"] == "GB"
    assert lead["company"] == "Acme Corp"  # from the business email domain
    assert lead["attributes"]["Shoe Size"] == "38"
    assert lead["dedupe_key"] == "ana.lima@acme-corp.co.uk"


@pytest.mark.stock_moto
def test_duplicates_merge_within_a_batch_across_jobs_and_on_reupload(client: LeadflowClient, tmp_path: Path) -> None:
    first = upload_rows(
        client,
        tmp_path,
        "a.csv",
        "Email,Name,Company\nmerge.me@gmail.com,Mia Merge,\nMERGE.ME@gmail.com,,Mergers Ltd\nother@example.org,Oz,\n",
    )
    assert first["leads_stored"] == 2 and first["leads_duplicate"] == 1
    lead = by_email(client, "merge.me@gmail.com")
    assert lead["company"] == "Mergers Ltd" and lead["first_name"] == "Mia"  # empty fields filled
    second = upload_rows(client, tmp_path, "b.csv", "Email,Phone,Title\nmerge.me@gmail.com,+1 212 555 0199,CTO\n")
    assert second["leads_stored"] == 0 and second["leads_duplicate"] == 1
    merged = by_email(client, "merge.me@gmail.com")
    assert merged["phone"] == "+12125550199" and merged["title"] == "CTO" and merged["company"] == "Mergers Ltd"
    assert merged["source"] == "upload" and merged["job_id"] == first["job_id"]  # first seen is kept
    assert merged["sources"] == [f"upload:{first['job_id']}", f"upload:{second['job_id']}"]
    again = upload_rows(
        client, tmp_path, "a.csv", "Email,Name,Company\nmerge.me@gmail.com,Mia Merge,\nother@example.org,Oz,\n"
    )
    assert again["leads_stored"] == 0 and again["leads_duplicate"] == 2


def test_rejections_say_why(client: LeadflowClient, tmp_path: Path) -> None:
    job = upload_rows(
        client, tmp_path, "bad.csv", "Name,Email,Phone\nNo Contact,,\nBad Mail,bob@,\nOk,ok@example.org,\n"
    )
    assert job["leads_stored"] == 1 and job["rows_rejected"] == 2
    reasons = {r["row"]: r["reason"] for r in job["rejections"]}
    assert "no way to contact" in reasons[2] and "no way to contact" in reasons[3]


def test_list_filters_pages_and_prefixes(client: LeadflowClient, tmp_path: Path) -> None:
    rows = "\n".join(f"page{i:03d}@pages.example,Pat Page{i:03d},Paging Co" for i in range(130))
    job = upload_rows(client, tmp_path, "pages.csv", "Email,Name,Company\n" + rows + "\n")
    assert job["leads_stored"] == 130
    seen: list[str] = []
    cursor = None
    while True:
        page = client.leads(job_id=job["job_id"], limit=50, cursor=cursor)
        seen += [lead["email"] for lead in page["leads"]]
        created = [lead["created_at"] for lead in page["leads"]]
        assert created == sorted(created, reverse=True)  # newest first
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert sorted(seen) == sorted(f"page{i:03d}@pages.example" for i in range(130))
    assert len(client.leads(email="page12", limit=100)["leads"]) == 10  # page120..page129
    assert len(client.leads(name="pat page00", limit=100)["leads"]) == 10
    assert {lead["company"] for lead in client.leads(company="pagin", limit=100)["leads"]} == {"Paging Co"}
    both = client.leads(company="paging", email="page00", limit=100)["leads"]
    assert sorted(lead["email"] for lead in both) == [f"page00{i}@pages.example" for i in range(10)]
    assert client.leads(source="upload", job_id=job["job_id"], created_to="2000-01-01")["leads"] == []
    with pytest.raises(ApiError) as too_many:
        client.leads(limit=101)
    assert too_many.value.status == 422 and "query limit" in too_many.value.message
    with pytest.raises(ApiError) as bad_cursor:
        client.leads(cursor="not-a-cursor")
    assert bad_cursor.value.status == 400


def test_reading_never_scans(runtime: LocalRuntime, client: LeadflowClient) -> None:
    import shared.core.aws

    seen: list[str] = []

    def hook(model: Any, **_: Any) -> None:
        seen.append(model.name)

    events = shared.core.aws.client("dynamodb").meta.events
    events.register("before-call.dynamodb", hook)
    try:
        client.leads()
        client.leads(company="a")
        client.leads(status="new", created_from="2020-01-01")
        client.export(source="upload")
    finally:
        events.unregister("before-call.dynamodb", hook)
    assert "Query" in seen and "Scan" not in seen


def test_show_one_lead(client: LeadflowClient) -> None:
    lead = client.leads(limit=1)["leads"][0]
    assert client.lead(lead["lead_id"])["lead_id"] == lead["lead_id"]
    with pytest.raises(ApiError) as missing:
        client.lead("nope")
    assert missing.value.status == 404


def test_export_neutralizes_formulas_and_opens_in_excel(client: LeadflowClient, tmp_path: Path) -> None:
    job = upload_rows(
        client, tmp_path, "evil.csv", 'Email,Company,Title\nevil@example.org,"=HYPERLINK(""http://x"")",+cmd\n'
    )
    data = client.export(job_id=job["job_id"])
    assert data.startswith(b"\xef\xbb\xbf")  # BOM: Excel reads UTF-8
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))
    assert len(rows) == 1
    assert rows[0]["company"].startswith("'=") and rows[0]["title"] == "'+cmd"


def test_large_export_comes_back_as_a_link(
    client: LeadflowClient, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    import lambdas.enrichment.leads_api.handler as leads_api

    monkeypatch.setattr(leads_api, "INLINE_EXPORT_BYTES", 100)
    response = client.http.get("/leads/export")
    assert response.status_code == 200 and "url" in response.json() and response.json()["count"] > 1
    out = tmp_path / "all.csv"
    assert (
        main(
            [
                "leads",
                "export",
                "-o",
                str(out),
                "--api",
                client.api,
                "--token",
                client.http.headers["Authorization"].split()[1],
            ]
        )
        == 0
    )
    assert out.read_bytes().startswith(b"\xef\xbb\xbf") and len(out.read_text().splitlines()) > 2


def test_chat_without_a_provider_is_503_with_a_sentence(client: LeadflowClient) -> None:
    with pytest.raises(ApiError) as unavailable:
        client.ask("leads from the website this week")
    assert unavailable.value.status == 503 and "provider" in unavailable.value.message


def test_enriched_leads_are_written_to_s3_as_json_lines(
    runtime: LocalRuntime, client: LeadflowClient, tmp_path: Path
) -> None:
    job = upload_rows(client, tmp_path, "s3.csv", "Email\ns3one@example.org\ns3two@example.org\n")
    s3 = runtime.aws("s3")
    bucket = runtime.resources.buckets["data"]
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=bucket, Prefix=f"enriched/{job['job_id']}/")["Contents"]]
    lines = [json.loads(line) for key in keys for line in s3.get_object(Bucket=bucket, Key=key)["Body"].iter_lines()]
    assert sorted(lead["email"] for lead in lines) == ["s3one@example.org", "s3two@example.org"]


def test_cli_leads_list(client: LeadflowClient, capsys: pytest.CaptureFixture[str]) -> None:
    token = client.http.headers["Authorization"].split()[1]
    assert main(["leads", "list", "--email", "merge.me", "--json", "--api", client.api, "--token", token]) == 0
    page = json.loads(capsys.readouterr().out)
    assert [lead["email"] for lead in page["leads"]] == ["merge.me@gmail.com"]


def test_cli_ask_without_a_provider_explains(client: LeadflowClient, capsys: pytest.CaptureFixture[str]) -> None:
    token = client.http.headers["Authorization"].split()[1]
    assert main(["ask", "who came from the website?", "--api", client.api, "--token", token]) == 1
    assert "503" in capsys.readouterr().err
