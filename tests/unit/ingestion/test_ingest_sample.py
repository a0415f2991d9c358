"""The committed sample workbook reads as its expected JSON says, and regenerating it changes nothing."""

from __future__ import annotations

import importlib.util
import json
from collections import Counter
from pathlib import Path
from types import ModuleType
from typing import Any

from shared.ingestion.files.readers import Row, RowRejection, read_rows

SAMPLES = Path(__file__).resolve().parents[3] / "samples"


def _generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location("make_samples", SAMPLES / "make_samples.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _expected() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((SAMPLES / "leads-sample.expected.json").read_text(encoding="utf-8"))
    return loaded


def test_committed_sample_matches_its_generator() -> None:
    generator = _generator()
    assert (SAMPLES / "leads-sample.xlsx").read_bytes() == generator.build_workbook()
    assert _expected() == json.loads(json.dumps(generator.expected()))


def test_sample_workbook_reads_as_expected() -> None:
    expected = _expected()
    items = list(read_rows(SAMPLES / "leads-sample.xlsx", expected["file"]))

    rows = Counter(item.worksheet for item in items if isinstance(item, Row))
    rejections = [item for item in items if isinstance(item, RowRejection)]
    sheets_in_order = list(dict.fromkeys(item.worksheet for item in items))
    assert sheets_in_order == [sheet["name"] for sheet in expected["sheets"]]
    for skipped in expected["skipped_sheets"]:
        assert skipped not in sheets_in_order

    for sheet in expected["sheets"]:
        name = sheet["name"]
        assert rows[name] == sheet["rows"], name
        assert [item.row for item in rejections if item.worksheet == name] == sheet["rejected_rows"], name
        numbers = [item.row for item in items if item.worksheet == name]
        assert numbers == list(range(sheet["first_data_row"], sheet["first_data_row"] + sheet["data_rows"])), name
        first = next(item for item in items if item.worksheet == name and isinstance(item, Row))
        assert set(first.values) <= set(sheet["header"]), name

    assert sum(rows.values()) == expected["totals"]["rows"]
    assert len(rejections) == expected["totals"]["rejected"]
    assert all("values but the header has" in item.reason for item in rejections)

    by_position = {(item.worksheet, item.row): item for item in items if isinstance(item, Row)}
    for cell in expected["cells"]:
        assert by_position[(cell["worksheet"], cell["row"])].values[cell["column"]] == cell["text"], cell
    for lead in expected["consumer_rejects"]:
        assert (lead["worksheet"], lead["row"]) in by_position, lead
    no_contact = by_position[("Trade show", 7)].values
    assert "E-mail Address" not in no_contact
    assert "Phone" not in no_contact

    # No number anywhere in the sample may come out as "....0".
    assert not any(value.endswith(".0") for row in by_position.values() for value in row.values.values())
