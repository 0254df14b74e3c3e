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
    # side by side: every repeat of q1 for model a, each coloured by its own score
    rep0, rep1 = "<span class='rep'>#0</span> ", "<span class='rep'>#1</span> "
    assert f"<div class='hit'>{rep0}Rome</div><div class='miss'>{rep1}Roma</div>" in page
    assert f"<div class='miss'>{rep0}&lt;script&gt;x&lt;/script&gt;</div>" in page
    assert "<script>" not in page
    assert f"<div class='err' title='error'>{rep0}[Timeout] timed out after 1s</div>" in page


def test_report_in_dataset_order_with_prompt_expected_and_skipped() -> None:
    from modelbench.bench.record import DatasetItem

    dataset = [
        DatasetItem(id="q2", prompt="3+4?", expected="7"),
        DatasetItem(id="q1", messages=({"role": "user", "content": "Capital of Italy?"},)),
    ]
    page = html_report(frame(), dataset=dataset, skipped={"c @ azure/gpt-4o": "AZURE_API_KEY not set"})
    assert page.index("<b>q2</b>") < page.index("<b>q1</b>")  # dataset order, not file order
    assert "<div class='prompt'>3+4?</div><div class='expected'>expected: 7</div>" in page
    assert "<div class='prompt'>Capital of Italy?</div>" in page
    assert "<li>c @ azure/gpt-4o: AZURE_API_KEY not set</li>" in page


def test_report_without_a_dataset_orders_ids_naturally() -> None:
    rows = [row(pid, "a", "x", 1.0) for pid in ("q10", "q2", "q1")]
    page = html_report(rows_to_frame(rows))
    assert page.index("<b>q1</b>") < page.index("<b>q2</b>") < page.index("<b>q10</b>")


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
