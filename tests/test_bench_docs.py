"""doc/results.md documents the columns with the very table of record.py's docstring."""

from __future__ import annotations

from pathlib import Path

import modelbench.bench.record as record
from modelbench.bench import COLUMNS

ROOT = Path(__file__).resolve().parents[1]


def table(text: str) -> list[str]:
    return [line.rstrip() for line in text.splitlines() if line.startswith("| ")]


def test_results_doc_column_table_matches_record_docstring() -> None:
    source = table(record.__doc__ or "")
    assert [row.split("|")[1].strip() for row in source[1:]] == list(COLUMNS)
    doc = (ROOT / "doc" / "results.md").read_text(encoding="utf-8")
    start = doc.index("| column ")
    assert table(doc[start:])[: len(source)] == source
