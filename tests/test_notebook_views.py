"""The dashboard's plain functions: filters, disagreements, side by side, errors, summary."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from modelbench.bench import COLUMNS
from modelbench.notebook.table import summary_table
from modelbench.notebook.views import (
    Filters,
    PromptText,
    arm_column,
    arms,
    disagreements,
    error_table,
    filter_results,
    prompt_texts,
    side_by_side,
    side_by_side_html,
    step,
)


def row(pid: str, model: str, backend: str, repeat: int = 0, **values: object) -> dict[str, object]:
    base: dict[str, object] = {c: math.nan for c in COLUMNS}
    base.update(
        run_id="r1",
        prompt_id=pid,
        category="cat-" + pid[0],
        model=model,
        backend=backend,
        repeat=repeat,
        started_at="",
        output="",
        score_cost_usd=0.0,
        error_type="",
        error="",
        attempts=1,
        cached=False,
        latency_s=0.5,
        ttft_s=0.1,
        cost_usd=0.001,
        score=1.0,
    )
    base.update(values)
    return base


def results() -> pd.DataFrame:
    rows = [
        # a1: both right
        row("a1", "fast", "sim/fast", output="Rome", score=1.0),
        row("a1", "strong", "sim/strong", output="Rome", score=1.0, latency_s=1.2),
        # a2: fast wrong -> disagreement
        row("a2", "fast", "sim/fast", output="<b>Lima</b><script>x()</script>", score=0.0),
        row("a2", "strong", "sim/strong", output="Paris", score=1.0),
        # b1: strong failed -> disagreement
        row("b1", "fast", "sim/fast", output="4", score=1.0),
        row(
            "b1",
            "strong",
            "sim/strong",
            error_type="Timeout",
            error="took too long",
            score=math.nan,
        ),
        # b2: same score, different repeat 1 answer (repeat 1 ignored by disagreement)
        row("b2", "fast", "sim/fast", output="x" * 5000, score=0.0),
        row("b2", "strong", "sim/strong", output="y", score=0.0),
        row("b2", "fast", "sim/fast", repeat=1, output="z", score=1.0),
    ]
    return pd.DataFrame(rows)


def test_arms_are_model_names_unless_a_model_has_several_backends() -> None:
    df = results()
    assert arms(df) == ["fast", "strong"]
    two = pd.concat([df, pd.DataFrame([row("a1", "fast", "other/fast")])], ignore_index=True)
    assert arms(two) == ["fast@other/fast", "fast@sim/fast", "strong"]
    assert set(arm_column(two)) == {"fast@other/fast", "fast@sim/fast", "strong"}


def test_disagreements_compare_first_repeat_scores_and_count_errors() -> None:
    assert disagreements(results()) == ["a2", "b1"]
    # without scores, outputs are compared (trimmed, case-folded)
    unscored = results().assign(score=math.nan)
    unscored.loc[unscored["prompt_id"].eq("a1") & unscored["model"].eq("strong"), "output"] = (
        " rome "
    )
    assert disagreements(unscored) == ["a2", "b1", "b2"]


def test_filters() -> None:
    df = results()
    assert set(filter_results(df, Filters(arms=("fast",)))["model"]) == {"fast"}
    assert set(filter_results(df, Filters(categories=("cat-b",)))["prompt_id"]) == {"b1", "b2"}
    assert len(filter_results(df, Filters(repeats=(1,)))) == 1
    assert list(filter_results(df, Filters(only_errors=True))["prompt_id"]) == ["b1"]
    both = filter_results(df, Filters(only_disagreements=True))
    assert set(both["prompt_id"]) == {"a2", "b1"} and len(both) == 4
    # disagreement among the arms left after the arm filter: one arm never disagrees
    assert filter_results(df, Filters(arms=("fast",), only_disagreements=True)).empty


def test_side_by_side_table_and_html_escape_and_scroll() -> None:
    df = results()
    table = side_by_side(df, "b1")
    assert list(table.columns) == ["fast", "strong"]
    assert table.at["output", "fast"] == "4"
    assert table.at["error", "strong"] == "Timeout: took too long"
    assert table.at["latency", "fast"] == "500 ms" and table.at["cost", "fast"] == "$0.001"
    page = side_by_side_html(df, "a2", prompts={"a2": PromptText("Capital of <Peru>?", "Lima")})
    assert "<script>" not in page and "&lt;script&gt;" in page
    assert "Capital of &lt;Peru&gt;?" in page and "expected" in page
    long = side_by_side_html(df, "b2")
    assert "x" * 5000 in long and "overflow:auto" in long  # long outputs scroll in their cell
    assert "pass dataset=" in long  # no dataset: says how to see the prompt


def test_step_walks_to_next_and_previous_disagreement_with_wraparound() -> None:
    order = ["a1", "a2", "b1", "b2"]
    assert step(order, ["a2", "b1"], "a1", 1) == "a2"
    assert step(order, ["a2", "b1"], "a2", 1) == "b1"
    assert step(order, ["a2", "b1"], "b1", 1) == "a2"
    assert step(order, ["a2", "b1"], "a1", -1) == "b1"
    assert step(order, [], "a1", 1) is None


def test_error_table_keeps_arms_without_errors() -> None:
    table = error_table(results())
    assert table.to_dict() == {"Timeout": {"fast": 0, "strong": 1}}


def test_prompt_texts_from_dataset_rows() -> None:
    texts = prompt_texts(
        [
            {"id": "q", "prompt": "hi", "expected": ["a", "b"]},
            {"id": "m", "messages": [{"role": "user", "content": "yo"}]},
        ]
    )
    assert texts["q"] == PromptText("hi", "a | b")
    assert texts["m"] == PromptText("user: yo", "")


def test_summary_table_reads_well() -> None:
    table = summary_table(results())
    page = table._repr_html_()
    assert "95% CI" in page and "p95 lat" in page and "$/1k req" in page
    assert "[" in page  # the interval is one column: [lo, hi]
    assert len(table.frame.columns) > 20  # the raw figures are kept
    assert "score" in repr(table)


@pytest.mark.parametrize("missing", ["ipywidgets", "matplotlib"])
def test_missing_extra_names_the_extra(monkeypatch: pytest.MonkeyPatch, missing: str) -> None:
    import sys

    from modelbench import MissingExtraError
    from modelbench.notebook._extra import require

    monkeypatch.setitem(sys.modules, missing, None)  # import raises ImportError
    with pytest.raises(MissingExtraError, match=r"modelbench\[notebook\]"):
        require(missing)


def test_prompts_follow_the_dataset_order_not_the_completion_order() -> None:
    pytest.importorskip("ipywidgets")
    from modelbench.notebook.dashboard import Dashboard

    shuffled = results().iloc[::-1]  # rows arrive in completion order
    dataset = [{"id": p, "prompt": p} for p in ("a1", "a2", "b1", "b2")]
    dash = Dashboard(shuffled, dataset=dataset)
    assert list(dash.prompt.options) == ["a1", "a2", "b1", "b2"]
    assert side_by_side(results(), "b1").at["cost", "fast"] == "$0.001"
