"""JSON documents and JSON Lines: records, value conversion, bad lines and whole-file rejections."""

from __future__ import annotations

import json
from pathlib import Path

import badfiles
import pytest

from shared.ingestion.files.readers import FileRejected, Row, RowRejection, read_rows


def read(path: Path, filename: str | None = None, **options: int) -> list[Row | RowRejection]:
    return list(read_rows(path, filename or path.name, **options))


def rejection(path: Path, filename: str | None = None, **options: int) -> str:
    with pytest.raises(FileRejected) as caught:
        read(path, filename, **options)
    return caught.value.reason


RECORD = {
    "email": " ada@example.com ",
    "phone": 2125550178.0,
    "score": 4.5,
    "visits": 3,
    "vip": True,
    "notes": None,
    "blank": "  ",
    "tags": ["a", "ü"],
    "address": {"city": "London", "zip": None},
}
RECORD_VALUES = {
    "email": "ada@example.com",
    "phone": "2125550178",
    "score": "4.5",
    "visits": "3",
    "vip": "true",
    "tags": '["a","ü"]',
    "address": '{"city":"London","zip":null}',
}


def test_array_of_objects(tmp_path: Path) -> None:
    path = tmp_path / "leads.json"
    path.write_text(json.dumps([RECORD, {"email": "bob@example.com"}, 7, {}, {"email": "cy@example.com"}]), "utf-8")
    assert read(path) == [
        Row(None, 1, RECORD_VALUES),
        Row(None, 2, {"email": "bob@example.com"}),
        RowRejection(None, 3, "The record is a number, not an object with named fields."),
        Row(None, 5, {"email": "cy@example.com"}),
    ]


def test_single_object(tmp_path: Path) -> None:
    path = tmp_path / "lead.json"
    path.write_text(json.dumps(RECORD), "utf-8")
    assert read(path) == [Row(None, 1, RECORD_VALUES)]


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-16", "utf-16-le", "utf-32"])
def test_unicode_encodings(tmp_path: Path, encoding: str) -> None:
    path = tmp_path / "leads.json"
    path.write_bytes(json.dumps([{"name": "Zoë Müller"}], ensure_ascii=False).encode(encoding))
    assert read(path) == [Row(None, 1, {"name": "Zoë Müller"})]


def test_blank_and_clashing_keys(tmp_path: Path) -> None:
    path = tmp_path / "keys.json"
    path.write_text('[{"": "x", "Email": "a@example.com", "Email ": "b@example.com"}]', "utf-8")
    assert read(path) == [Row(None, 1, {"column_1": "x", "Email": "a@example.com", "Email (2)": "b@example.com"})]


@pytest.mark.parametrize("extension", [".jsonl", ".ndjson"])
def test_json_lines_reject_bad_lines_and_go_on(tmp_path: Path, extension: str) -> None:
    path = tmp_path / f"leads{extension}"
    path.write_text(
        "\n".join(
            [
                json.dumps(RECORD),
                "",
                "   ",
                '{"email": "bob@example.com"',
                "[1, 2]",
                "{}",
                '{"email": "cy@example.com", "phone": 447700900123}',
            ]
        )
        + "\n",
        "utf-8",
    )
    rows = read(path)
    assert rows[0] == Row(None, 1, RECORD_VALUES)
    assert isinstance(rows[1], RowRejection)
    assert rows[1].row == 4
    assert rows[1].reason.startswith("The line is not valid JSON (")
    assert rows[2] == RowRejection(None, 5, "The line is a list, not an object with named fields.")
    assert rows[3] == Row(None, 7, {"email": "cy@example.com", "phone": "447700900123"})
    assert len(rows) == 4


def test_json_lines_with_bom_and_crlf(tmp_path: Path) -> None:
    path = tmp_path / "leads.jsonl"
    path.write_bytes(b'\xef\xbb\xbf{"email": "a@example.com"}\r\n{"email": "b@example.com"}\r\n')
    assert read(path) == [Row(None, 1, {"email": "a@example.com"}), Row(None, 2, {"email": "b@example.com"})]


def test_json_lines_all_bad_lines_are_row_rejections_not_a_file_rejection(tmp_path: Path) -> None:
    path = tmp_path / "leads.jsonl"
    path.write_text("nope\n42\n", "utf-8")
    assert [type(item) for item in read(path)] == [RowRejection, RowRejection]


def test_invalid_json_document_is_rejected(tmp_path: Path) -> None:
    reason = rejection(badfiles.invalid_json(tmp_path))
    assert reason.startswith("The file is not valid JSON (")
    assert "line 1" in reason


def test_scalar_json_document_is_rejected(tmp_path: Path) -> None:
    assert rejection(badfiles.scalar_json(tmp_path)) == "The JSON file must contain an object or a list of objects."


@pytest.mark.parametrize(("name", "content"), [("a.json", b""), ("b.json", b"  \n"), ("c.jsonl", b"\n\n")])
def test_empty_json_files(tmp_path: Path, name: str, content: bytes) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    assert rejection(path) == "The file is empty."


@pytest.mark.parametrize(("name", "content"), [("a.json", "[]"), ("b.json", "[{}, {}]"), ("c.ndjson", "{}\n{}\n")])
def test_json_files_without_records(tmp_path: Path, name: str, content: str) -> None:
    path = tmp_path / name
    path.write_text(content, "utf-8")
    assert rejection(path) == "The file contains no records."


def test_deeply_nested_json_is_rejected_not_crashing(tmp_path: Path) -> None:
    path = tmp_path / "deep.json"
    path.write_text("[" * 100_000 + "]" * 100_000, "utf-8")
    assert "nested too deeply" in rejection(path)


def test_oversized_json_document_is_rejected(tmp_path: Path) -> None:
    path = tmp_path / "big.json"
    path.write_text(json.dumps([{"email": "a@example.com"}] * 100), "utf-8")
    assert "over the" in rejection(path, max_uncompressed_bytes=1000)


def test_binary_named_json_is_rejected(tmp_path: Path) -> None:
    path = badfiles.png_named_xlsx(tmp_path)
    assert "not JSON text; it looks like a PNG image" in rejection(path, "leads.json")
    assert "not JSON text; it looks like a PNG image" in rejection(path, "leads.jsonl")


def test_json_in_a_legacy_windows_encoding_is_still_read(tmp_path: Path) -> None:
    path = tmp_path / "ansi.json"
    path.write_bytes('[{"name": "René", "budget": "€ 500"}]'.encode("cp1252"))
    assert read(path) == [Row(None, 1, {"name": "René", "budget": "€ 500"})]
