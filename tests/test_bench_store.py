"""The results file: append, flush, last row per key, torn last lines, keys to resume."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pandas as pd
import pytest

from modelbench._errors import DatasetError, ModelbenchError
from modelbench.bench import (
    COLUMNS,
    ResultRow,
    ResultsWriter,
    completed_keys,
    failed_keys,
    read_results,
    rows_to_frame,
)


def row(prompt: str, repeat: int = 0, **fields: object) -> ResultRow:
    base: dict[str, object] = {
        "run_id": "r1",
        "prompt_id": prompt,
        "category": "",
        "model": "m",
        "backend": "b/x",
        "repeat": repeat,
        "started_at": "2025-01-01T00:00:00.000+00:00",
        "latency_s": 0.5,
        "output": "ok",
    }
    base.update(fields)
    return ResultRow(**base)  # type: ignore[arg-type]


def test_rows_are_strict_json_lines_readable_by_pandas(tmp_path: Path) -> None:
    path = tmp_path / "r.jsonl"
    with ResultsWriter(path) as out:
        out.write(row("1"))
        out.write(row("2", error_type="RateLimitError", error="slow down", latency_s=math.nan))
    lines = path.read_text().splitlines()
    assert len(lines) == 2
    first = json.loads(lines[0])
    assert list(first) == list(COLUMNS)
    assert first["cost_usd"] is None  # NaN is written as null: strict JSON
    assert "NaN" not in path.read_text()
    df = pd.read_json(path, lines=True)
    assert len(df) == 2
    assert math.isnan(df["cost_usd"][0])
    assert df["error_type"].tolist() == ["", "RateLimitError"]


def test_each_row_is_on_disk_before_the_writer_closes(tmp_path: Path) -> None:
    path = tmp_path / "r.jsonl"
    out = ResultsWriter(path)
    out.write(row("1"))
    assert len(path.read_text().splitlines()) == 1  # flushed, not buffered
    out.close()


def test_reading_keeps_the_last_row_per_key_and_types(tmp_path: Path) -> None:
    path = tmp_path / "r.jsonl"
    with ResultsWriter(path) as out:
        out.write(row("1", error_type="Timeout", error="t", attempts=4))
        out.write(row("2"))
        out.write(row("1", run_id="r2", attempts=2))
    df = read_results(path)
    assert df["prompt_id"].tolist() == ["2", "1"]  # file order of each key's last row
    assert df.loc[1, "run_id"] == "r2"
    assert df.loc[1, "error_type"] == ""
    assert df["attempts"].tolist() == [1, 2]
    assert list(df.columns) == list(COLUMNS)
    assert df["repeat"].dtype == "int64"
    assert df["cached"].dtype == bool
    assert df["latency_s"].dtype == float
    assert df.attrs["torn_line"] is None


def test_numeric_looking_ids_stay_strings(tmp_path: Path) -> None:
    path = tmp_path / "r.jsonl"
    with ResultsWriter(path) as out:
        out.write(row("007"))
    assert read_results(path)["prompt_id"].tolist() == ["007"]


def test_torn_last_line_is_ignored_and_reported_then_repaired(tmp_path: Path) -> None:
    path = tmp_path / "r.jsonl"
    with ResultsWriter(path) as out:
        out.write(row("1"))
        out.write(row("2"))
    full = path.read_text()
    path.write_text(full + full.splitlines()[0][:37])  # a killed writer's half line
    df = read_results(path)
    assert df["prompt_id"].tolist() == ["1", "2"]
    assert df.attrs["torn_line"] == 3
    with ResultsWriter(path) as out:  # appending cuts the fragment off first
        assert out.torn_line == 3
        out.write(row("3"))
    assert [json.loads(x)["prompt_id"] for x in path.read_text().splitlines()] == ["1", "2", "3"]
    assert read_results(path).attrs["torn_line"] is None


def test_complete_last_line_without_newline_is_kept(tmp_path: Path) -> None:
    path = tmp_path / "r.jsonl"
    with ResultsWriter(path) as out:
        out.write(row("1"))
    path.write_text(path.read_text().rstrip("\n"))
    with ResultsWriter(path) as out:
        assert out.torn_line is None
        out.write(row("2"))
    assert read_results(path)["prompt_id"].tolist() == ["1", "2"]


def test_a_broken_line_in_the_middle_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "r.jsonl"
    with ResultsWriter(path) as out:
        out.write(row("1"))
    path.write_text(path.read_text() + "{oops\n" + path.read_text())
    with pytest.raises(DatasetError) as info:
        read_results(path)
    assert (info.value.file, info.value.line) == (str(path), 2)


def test_missing_results_file(tmp_path: Path) -> None:
    with pytest.raises(DatasetError, match="no such results file"):
        read_results(tmp_path / "none.jsonl")


def test_one_writer_at_a_time(tmp_path: Path) -> None:
    path = tmp_path / "r.jsonl"
    with ResultsWriter(path), pytest.raises(ModelbenchError, match="another modelbench run"):
        ResultsWriter(path)


def test_completed_and_failed_keys(tmp_path: Path) -> None:
    path = tmp_path / "r.jsonl"
    with ResultsWriter(path) as out:
        out.write(row("1"))
        out.write(row("2", error_type="Timeout", error="t"))
        out.write(row("3", error_type="Timeout", error="t"))
        out.write(row("3", repeat=0))  # a successful rerun supersedes the failure
    assert completed_keys(path) == {
        ("1", "m", "b/x", 0),
        ("2", "m", "b/x", 0),
        ("3", "m", "b/x", 0),
    }
    assert failed_keys(path) == {("2", "m", "b/x", 0)}
    assert failed_keys(read_results(path)) == {("2", "m", "b/x", 0)}


def test_rows_to_frame_dedupes_and_orders_columns() -> None:
    df = rows_to_frame([row("1"), row("2"), row("1", output="again")])
    assert df["prompt_id"].tolist() == ["2", "1"]
    assert df["output"].tolist() == ["ok", "again"]
    assert list(df.columns) == list(COLUMNS)
    assert rows_to_frame([]).empty


def test_extra_columns_are_kept(tmp_path: Path) -> None:
    path = tmp_path / "r.jsonl"
    with ResultsWriter(path) as out:
        out.write(row("1"))
        out.write({**row("2").to_dict(), "note": "hand-edited"})
    df = read_results(path)
    assert pd.isna(df["note"][0])
    assert df["note"][1] == "hand-edited"
