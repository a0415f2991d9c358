"""Enrichment benchmark: prints one JSON object of measured figures (not a timed test).

A messy multi-layout corpus (known CRM layouts, two layouts no rule knows, duplicates, unreadable
cells) goes through the whole local path with the local OpenAI-compatible provider configured:
- LLM calls per 1,000 leads, counted by the provider itself (target ≤ 5; one call per ten leads,
  as in the seeds, would be 100);
- AWS requests per 1,000 leads made by the enrichment step (the store-leads function and its
  event source mapping), counted with a botocore event hook (target ≤ 60).
"""

from __future__ import annotations

import csv
import dataclasses
import json
import os
import random
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"
ROWS_PER_FILE = 2_000

LAYOUTS: list[tuple[str, list[str]]] = [
    ("salesforce", ["First Name", "Last Name", "Title", "Company", "Email", "Phone", "Lead Source", "Country"]),
    ("hubspot", ["First Name", "Last Name", "Email", "Phone Number", "Company Name", "Job Title", "Country/Region"]),
    ("german", ["Vorname", "Nachname", "E-Mail", "Telefon", "Firma", "Position", "Land"]),
    ("linkedin", ["First Name", "Last Name", "URL", "Email Address", "Company", "Position", "Connected On"]),
    # no rule knows these: the layout goes to the model, once per job
    ("odd-1", ["Kontaktperson Adresse", "Rufnummer Zentrale", "Arbeitgeber", "Funktion"]),
    ("odd-2", ["Who", "Reach them at", "Dial", "Org"]),
]


def _person(i: int, rnd: random.Random) -> dict[str, str]:
    first = rnd.choice(["ana", "BOB", "Chen", "dara", "Élodie", "o'neil", "mcdonald", "Priya"])
    last = rnd.choice(["lima", "STONE", "van der berg", "Okafor", "smith-jones", "Rossi"])
    phone = rnd.choice([f"(212) 555-{i % 10000:04d}", f"+44 20 7946 {i % 10000:04d}", f"212.555.{i % 10000:04d}"])
    if rnd.random() < 0.02:
        phone = "call the office"  # a cell the rules cannot read
    # one in five is someone seen before: duplicates to merge
    n = i if rnd.random() > 0.2 else rnd.randrange(max(1, i))
    return {
        "first": first,
        "last": last,
        "email": f"{first.lower().replace(' ', '')}.{n}@company{n % 50}.com",
        "phone": phone,
        "company": f"Company {n % 50}",
        "title": rnd.choice(["CEO", "buyer", "Head of Sales"]),
        "country": rnd.choice(["US", "United Kingdom", "Deutschland", ""]),
    }


def _row(layout: str, p: dict[str, str]) -> list[str]:
    if layout == "salesforce":
        return [p["first"], p["last"], p["title"], p["company"], p["email"], p["phone"], "Web", p["country"]]
    if layout in ("hubspot", "german"):
        return [p["first"], p["last"], p["email"], p["phone"], p["company"], p["title"], p["country"]]
    if layout == "linkedin":
        url = "https://linkedin.example/in/x"
        return [p["first"], p["last"], url, p["email"], p["company"], p["title"], "1 Jan 2026"]
    if layout == "odd-1":
        return [p["email"], p["phone"], p["company"], p["title"]]
    return [f"{p['first']} {p['last']}", p["email"], p["phone"], p["company"]]


def make_corpus() -> list[Path]:
    OUT.mkdir(parents=True, exist_ok=True)
    rnd = random.Random(11)
    paths = []
    i = 0
    for name, header in LAYOUTS:
        path = OUT / f"messy-{name}.csv"
        with path.open("w", newline="", encoding="utf-8") as f:
            w = csv.writer(f)
            w.writerow(header)
            for _ in range(ROWS_PER_FILE):
                i += 1
                w.writerow(_row(name, _person(i, rnd)))
        paths.append(path)
    return paths


def main() -> None:
    from leadflow.local.fake_llm import FakeLlm

    paths = make_corpus()
    with FakeLlm() as fake:
        os.environ["LLM_API_KEY"] = "fake-llm-key"
        import shared.core.aws
        from leadflow.client import LeadflowClient
        from leadflow.config import load_stage
        from leadflow.local.runtime import LocalRuntime

        calls: Counter[str] = Counter()

        def hook(model: Any, **_: Any) -> None:
            # the store-leads function runs on the lead-batches event source mapping's threads
            if "lead-batches" in threading.current_thread().name:
                calls[f"{model.service_model.service_name}.{model.name}"] += 1

        config = dataclasses.replace(load_stage("dev"), llm_base_url=fake.url, llm_model="fake")
        shared.core.aws.session().events.register("before-call", hook)
        with LocalRuntime(config=config) as runtime:
            runtime.aws("sqs").meta.events.register("before-call", hook)
            client = LeadflowClient(runtime.rest_url, runtime.create_token("admin", "bench"))
            started = time.perf_counter()
            jobs = [client.wait(client.upload(p)["job_id"], timeout_s=600, interval_s=0.5) for p in paths]
            wall = time.perf_counter() - started
            runtime.wait_idle(30)
        rows = sum(j["rows_total"] for j in jobs)
        processed = sum(j["leads_stored"] + j["leads_duplicate"] for j in jobs)
        per_1000 = 1000 / max(1, processed)
        by_service: Counter[str] = Counter()
        for key, n in calls.items():
            by_service[key.split(".")[0]] += n
        result = {
            "rows": rows,
            "layouts": len(LAYOUTS),
            "leads_stored": sum(j["leads_stored"] for j in jobs),
            "leads_duplicate": sum(j["leads_duplicate"] for j in jobs),
            "rows_rejected": sum(j["rows_rejected"] for j in jobs),
            "statuses": sorted({j["status"] for j in jobs}),
            "wall_s": round(wall, 1),
            "llm_calls": fake.calls,
            "llm_calls_by_kind": {k: fake.calls_of(k) for k in ("layout", "cells", "query")},
            "llm_calls_per_1000_leads": round(fake.calls * per_1000, 2),
            "llm_calls_counted_on_jobs": sum(j["llm_calls"] for j in jobs),
            "aws_requests_per_1000_leads": {k: round(v * per_1000, 1) for k, v in sorted(by_service.items())},
            "aws_requests_per_1000_leads_total": round(sum(calls.values()) * per_1000, 1),
            "aws_calls": dict(sorted(calls.items())),
            "targets": {"llm_calls_per_1000_leads_max": 5, "aws_requests_per_1000_leads_max": 60},
        }
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
