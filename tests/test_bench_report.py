"""The HTML report: summary, per category, and every backend's output side by side."""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
import pytest

from modelbench.bench.record import ResultRow
from modelbench.bench.report import html_report
from modelbench.bench.store import rows_to_frame
from modelbench.cli import main


def row(pid: str, model: str, output: str, score: float, **kw: object) -> ResultRow:
    return ResultRow(
        run_id="r1",
        prompt_id=pid,
        category=str(kw.pop("category", "caps")),
        model=model,
        backend=f"{model}-box/{model}",
        repeat=int(kw.pop("repeat", 0)),  # type: ignore[call-overload]
        started_at="2026-01-01T00:00:00+00:00",
        latency_s=0.2,
        ttft_s=0.1,
        output=output,
        score=score,
        **kw,  # type: ignore[arg-type]
    )


def frame() -> pd.DataFrame:
    return rows_to_frame(
        [
            row("q1", "a", "Rome", 1.0),
            row("q1", "b", "<script>x</script>", 0.0),
            row("q1", "a", "Roma", 0.0, repeat=1),
            row("q2", "a", "", math.nan, error_type="Timeout", error="timed out after 1s"),
            row("q2", "b", "7", 1.0, category="math"),
        ]
    )


def test_report_has_summary_categories_and_outputs() -> None:
    page = html_report(frame(), title="t")
    assert page.startswith("<!doctype html>") and "<h1>t</h1>" in page
    assert "Per backend" in page and "Per category" in page
    # side by side: the first repeat of q1 for model a, coloured as a hit
    assert "<td class='hit'>Rome</td>" in page and "Roma" not in page
    assert "<td class='miss'>&lt;script&gt;x&lt;/script&gt;</td>" in page
    assert "<script>" not in page
    assert "<td class='err' title='error'>[Timeout] timed out after 1s</td>" in page


def test_report_of_nothing() -> None:
    assert "(no results)" in html_report(rows_to_frame([]))


def test_report_command_by_category(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    results = tmp_path / "r.jsonl"
    frame().to_json(results, orient="records", lines=True)
    page = tmp_path / "r.html"
    assert main(["report", str(results), "--by", "category,model", "--html", str(page)]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0].split()[:2] == ["category", "model"]
    assert "Outputs side by side" in page.read_text()
    assert main(["report", str(results), "--by", "categry"]) == 2
    assert "did you mean 'category'" in capsys.readouterr().err
