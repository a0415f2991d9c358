"""No module of `shared/` outside `core/` passes an untyped mapping (`dict[str, Any]`, `Mapping[str, Any]`)
across a public function or a public class's field: the domain speaks in the models of
`shared/core/models.py`. Untyped items stay at the AWS edge, in `shared/core/` (item marshalling, events).

`NOT_YET` lists what still does, by domain; it may only shrink. The test fails for a new one, and for an
entry that no longer needs to be listed."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
UNTYPED = re.compile(r"\b(dict|Dict|Mapping|MutableMapping)\[str, Any\]")

NOT_YET = {
    # enrichment
    "shared/enrichment/chat.py::run_query",
    "shared/enrichment/chat.py::answer_question",
    "shared/enrichment/enricher.py::EnrichOutcome.leads",
    "shared/enrichment/enricher.py::EnrichOutcome.rows",
    "shared/enrichment/enricher.py::item_for",
    "shared/enrichment/enricher.py::item_bytes",
    "shared/enrichment/enricher.py::lead_from_item",
    "shared/enrichment/enricher.py::LeadTable.get_many",
    "shared/enrichment/enricher.py::LeadTable.put_versioned",
    "shared/enrichment/enricher.py::DynamoLeadTable.get_many",
    "shared/enrichment/enricher.py::DynamoLeadTable.put_versioned",
    "shared/enrichment/enricher.py::transactions",
    "shared/enrichment/enricher.py::jsonl",
    "shared/enrichment/lead_reader.py::LeadReader.page",
    "shared/enrichment/lead_reader.py::LeadReader.all",
    "shared/enrichment/lead_reader.py::to_csv",
    "shared/enrichment/llm/client.py::ChatClient.complete_json",
    "shared/enrichment/llm/client.py::parse_json_object",
    "shared/enrichment/llm/query.py::parse_query",
    "shared/enrichment/storing.py::event_lead",
    # forms
    "shared/forms/intake.py::FormIntake.submit",
    "shared/forms/intake.py::open_lead_conflict",
    "shared/forms/store.py::StoredAnswer.body",
    "shared/forms/store.py::IntakeStore.create",
    "shared/forms/store.py::FormStore.set_location_phone",
    "shared/forms/store.py::FormStore.create",
    "shared/forms/twilio.py::TwilioClient.credentials",
    # ingestion
    "shared/ingestion/jobs.py::JobRepository.rejection_item",
    "shared/ingestion/uploads.py::Uploads.presign",
    # notification
    "shared/notification/deliveries.py::ClaimResult.record",
    "shared/notification/deliveries.py::DeliveryStore.get_many",
    "shared/notification/deliveries.py::DeliveryStore.finish_many",
    "shared/notification/deliveries.py::DeliveryStore.get",
    "shared/notification/deliveries.py::DeliveryStore.for_lead",
    "shared/notification/deliveries.py::public",
    "shared/notification/deliveries.py::deliveries_for",
    "shared/notification/downstream.py::DownstreamSync.endpoint",
    "shared/notification/notices.py::Notice.extra",
    "shared/notification/notices.py::lead_fields",
    "shared/notification/notices.py::new_lead",
    "shared/notification/notices.py::qualified_lead",
    "shared/notification/notices.py::event_epoch",
    "shared/notification/notifier.py::delivered_before",
    "shared/notification/notifier.py::Notifier.deliver",
    "shared/notification/slack.py::blocks",
    "shared/notification/slack.py::SlackClient.post",
}


def untyped_boundaries() -> set[str]:
    found: set[str] = set()
    for path in sorted((ROOT / "shared").rglob("*.py")):
        rel = path.relative_to(ROOT)
        if rel.parts[1] == "core":
            continue
        _visit(ast.parse(path.read_text()).body, rel.as_posix(), "", found)
    return found


def _visit(body: list[ast.stmt], path: str, owner: str, found: set[str]) -> None:
    for node in body:
        if isinstance(node, ast.ClassDef) and not node.name.startswith("_"):
            _visit(node.body, path, node.name, found)
        elif isinstance(node, ast.AnnAssign) and owner and isinstance(node.target, ast.Name):
            if not node.target.id.startswith("_") and UNTYPED.search(ast.unparse(node.annotation)):
                found.add(f"{path}::{owner}.{node.target.id}")
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            if node.name.startswith("_") and node.name not in ("__init__", "__call__"):
                continue
            args = node.args
            annotations = [a.annotation for a in (*args.posonlyargs, *args.args, *args.kwonlyargs) if a.annotation]
            annotations += [a.annotation for a in (args.vararg, args.kwarg) if a is not None and a.annotation]
            if node.returns is not None:
                annotations.append(node.returns)
            if any(UNTYPED.search(ast.unparse(a)) for a in annotations):
                found.add(f"{path}::{owner + '.' if owner else ''}{node.name}")


def test_no_new_untyped_boundary() -> None:
    new = sorted(untyped_boundaries() - NOT_YET)
    assert not new, (
        "these pass dict[str, Any] across a public boundary; use a model of shared/core/models: " + ", ".join(new)
    )


def test_the_list_only_shrinks() -> None:
    fixed = sorted(NOT_YET - untyped_boundaries())
    assert not fixed, "typed now: remove from NOT_YET: " + ", ".join(fixed)


def test_the_check_sees_an_untyped_parameter(tmp_path: Path) -> None:
    source = "from typing import Any\ndef f(x: dict[str, Any]) -> int: ...\nclass C:\n    y: Mapping[str, Any]\n"
    found: set[str] = set()
    _visit(ast.parse(source).body, "m.py", "", found)
    assert found == {"m.py::f", "m.py::C.y"}
