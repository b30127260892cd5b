from __future__ import annotations

import json
import re
from pathlib import Path

import polars as pl
import pytest

from klaviyo_toolkit import InputError, Toolkit
from klaviyo_toolkit import ingest as ingest_module

from .conftest import SAMPLE, camel, write_jsonl

# Columns that say where a row came from, not what it says.
PROVENANCE = ["raw", "source", "source_line", "ingested_at", "event", "custom_fields"]


def _facts(tk: Toolkit) -> pl.DataFrame:
    frame = tk.submissions().drop(PROVENANCE).sort("submission_id")
    return frame.with_columns(pl.col("created_at").dt.truncate("1s"))


def test_both_input_shapes_give_equal_rows(tmp_path: Path) -> None:
    camel_tk = Toolkit(tmp_path / "camel.duckdb")
    webhook_tk = Toolkit(tmp_path / "webhook.duckdb")

    camel_report = camel_tk.ingest(SAMPLE / "submissions.jsonl")
    webhook_report = webhook_tk.ingest(SAMPLE / "webhooks.jsonl")

    assert camel_report.stored == webhook_report.stored == 2_000
    assert camel_report.quarantined == webhook_report.quarantined == 0
    assert _facts(camel_tk).equals(_facts(webhook_tk))


def test_custom_fields_are_kept_from_both_shapes(tmp_path: Path) -> None:
    camel_tk = Toolkit(tmp_path / "camel.duckdb")
    webhook_tk = Toolkit(tmp_path / "webhook.duckdb")
    camel_tk.ingest(SAMPLE / "submissions.jsonl")
    webhook_tk.ingest(SAMPLE / "webhooks.jsonl")

    def fields(tk: Toolkit) -> list[object]:
        column = tk.submissions().sort("submission_id")["custom_fields"].to_list()
        return [json.loads(v) if v else None for v in column]

    assert fields(camel_tk) == fields(webhook_tk)
    assert any(fields(camel_tk))


def test_a_json_array_file_is_read_like_jsonl(tk: Toolkit) -> None:
    report = tk.ingest(SAMPLE / "submissions.json")

    assert (report.read, report.stored) == (50, 50)


def test_bad_rows_are_quarantined_while_good_rows_land(tk: Toolkit) -> None:
    expected = json.loads((SAMPLE / "bad_rows.expected.json").read_text())

    report = tk.ingest(SAMPLE / "bad_rows.jsonl")

    counts = expected["counts"]
    assert (report.stored, report.duplicates, report.quarantined) == (
        counts["stored"],
        counts["duplicate"],
        counts["quarantined"],
    )
    stored = set(tk.submissions()["submission_id"].to_list())
    quarantined = tk.quarantine().sort("line")
    for line in expected["lines"]:
        if line["outcome"] == "stored":
            assert line["id"] in stored
        if line["outcome"] == "quarantined":
            row = quarantined.filter(pl.col("line") == line["line"]).to_dicts()
            assert row, f"line {line['line']} is not in quarantine"
            assert row[0]["code"] == line["reason"]
            assert f"bad_rows.jsonl, line {line['line']}:" in row[0]["reason"]
            if "field" in line:
                assert row[0]["field"] == line["field"]


def test_a_quarantine_reason_names_file_line_field_and_value(
    tk: Toolkit, tmp_path: Path
) -> None:
    path = write_jsonl(tmp_path / "one.jsonl", [camel("a", amount="twenty")])

    tk.ingest(path)

    (row,) = tk.quarantine().to_dicts()
    assert row["reason"] == (
        f"{path}, line 1: the amount is not a decimal number (field amount: twenty)"
    )
    assert json.loads(row["text"])["id"] == "a"


def test_re_ingest_counts_duplicates_and_quarantines_nothing_twice(tk: Toolkit) -> None:
    first = tk.ingest(SAMPLE / "bad_rows.jsonl")
    second = tk.ingest(SAMPLE / "bad_rows.jsonl")

    assert second.stored == 0
    assert second.duplicates == first.stored + first.duplicates
    assert tk.quarantine().height == first.quarantined


def test_money_is_decimal_and_both_time_formats_parse(
    tk: Toolkit, tmp_path: Path
) -> None:
    rows = [
        camel("a", amount="0.10", createdAt="2026-03-01T12:00:00.844Z"),
        {
            "event": "donation_completed",
            "submission_id": "b",
            "event_amount": "1234567.89",
            "created_at": "2020-12-11 22:06:25 UTC",
            "email": "b@example.org",
        },
    ]
    tk.ingest(write_jsonl(tmp_path / "money.jsonl", rows))

    frame = tk.submissions().sort("submission_id")

    assert frame.schema["amount"] == pl.Decimal(18, 2)
    assert [str(v) for v in frame["amount"].to_list()] == ["0.10", "1234567.89"]
    assert [t.isoformat() for t in frame["created_at"].to_list()] == [
        "2026-03-01T12:00:00.844000+00:00",
        "2020-12-11T22:06:25+00:00",
    ]


def test_envelope_keys_that_are_null_leave_a_camel_row_camel(
    tk: Toolkit, tmp_path: Path
) -> None:
    rows = [
        {**camel("a"), "event": None},
        {**camel("b"), "payload": None},
        {"event": "donation_completed", "submission_id": None, "created_at": "2026"},
    ]

    report = tk.ingest(write_jsonl(tmp_path / "nulls.jsonl", rows))

    assert report.stored == 2
    assert sorted(tk.submissions()["submission_id"].to_list()) == ["a", "b"]
    assert report.reasons == {"no_id": 1}
    assert tk.quarantine()["field"].to_list() == ["submission_id"]


def test_lines_that_are_not_utf8_are_quarantined(tk: Toolkit, tmp_path: Path) -> None:
    path = tmp_path / "latin1.jsonl"
    path.write_bytes(
        json.dumps(camel("good")).encode() + b"\n" + b'{"id": "caf\xe9"}\n'
    )

    report = tk.ingest(path)

    assert (report.stored, report.quarantined) == (1, 1)
    assert report.reasons == {"invalid_utf8": 1}


def test_a_misnamed_jsonl_file_still_goes_in(tk: Toolkit, tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "export.json", [camel("a"), camel("b")])

    assert tk.ingest(path).stored == 2


def test_an_unreadable_or_unknown_file_is_refused_in_one_sentence(
    tk: Toolkit, tmp_path: Path
) -> None:
    (tmp_path / "export.csv").write_text("id\n1\n")

    with pytest.raises(
        InputError, match=re.escape("not a .json, .jsonl or .ndjson file")
    ):
        tk.ingest(tmp_path / "export.csv")
    with pytest.raises(InputError, match="No file matches"):
        tk.ingest(str(tmp_path / "*.jsonl"))


def test_pages_carry_their_teams_from_the_import(tk: Toolkit) -> None:
    tk.ingest(SAMPLE / "submissions.jsonl")

    count = tk.import_pages(SAMPLE / "pages.csv")

    pages = tk.pages()
    assert count == pages.height
    assert set(pages["team"].drop_nulls().to_list()) == {"Field", "Digital"}
    assert (pages["team_source"] == "import").all()


def test_a_file_is_read_in_chunks_of_whole_lines(
    tk: Toolkit, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ingest_module, "CHUNK_LINES", 7)
    path = tmp_path / "many.jsonl"
    rows = [camel(f"s{i}") for i in range(40)]
    path.write_bytes(b"".join(json.dumps(row).encode() + b"\n" for row in rows) + b"\n")

    report = tk.ingest(path)

    assert report.stored == 40
    lines = tk.submissions().sort("source_line")["source_line"].to_list()
    assert lines == list(range(1, 41))
