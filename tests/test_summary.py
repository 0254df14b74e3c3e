"""Summaries: percentiles against numpy, intervals against known values, paired comparisons."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from modelbench._errors import ModelbenchError
from modelbench.bench.format import format_summary, to_html
from modelbench.bench.record import COLUMNS, ResultRow
from modelbench.bench.stats import t_quantile, wilson_interval
from modelbench.bench.summary import SUMMARY_COLUMNS, dedupe, paired_comparison, summarize


def rows(*specs: dict[str, Any], **common: Any) -> pd.DataFrame:
    """Result rows with the record's defaults; each spec overrides some fields."""
    out = []
    for i, spec in enumerate(specs):
        fields: dict[str, Any] = {
            "run_id": "r",
            "prompt_id": f"p{i}",
            "category": "",
            "model": "m",
            "backend": "b/x",
            "repeat": 0,
            "started_at": "2025-01-01T00:00:00Z",
            **common,
            **spec,
        }
        out.append(ResultRow(**fields).to_dict())
    return pd.DataFrame(out, columns=list(COLUMNS))


def one(summary: pd.DataFrame, *key: str) -> pd.Series:
    return summary.loc[key if len(key) > 1 else key[0]]


# --- statistics helpers -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("df", "p", "want"),
    [
        (1, 0.975, 12.7062),
        (2, 0.975, 4.3027),
        (4, 0.975, 2.7764),
        (10, 0.975, 2.2281),
        (30, 0.975, 2.0423),
        (100, 0.975, 1.9840),
        (5000, 0.975, 1.9604),
        (5, 0.995, 4.0321),
        (5, 0.025, -2.5706),
    ],
)
def test_t_quantile_matches_tables(df: int, p: float, want: float) -> None:
    assert t_quantile(p, df) == pytest.approx(want, abs=1e-4)


def test_t_quantile_without_degrees_of_freedom_is_nan() -> None:
    assert math.isnan(t_quantile(0.975, 0))


def test_wilson_interval_of_a_known_proportion() -> None:
    lo, hi = wilson_interval(8, 10)
    assert (float(lo), float(hi)) == pytest.approx((0.4902, 0.9433), abs=1e-4)
    lo, hi = wilson_interval(0, 20)
    assert float(lo) == 0.0
    assert float(hi) == pytest.approx(0.1611, abs=1e-4)
    lo, hi = wilson_interval(0, 0)
    assert math.isnan(float(lo)) and math.isnan(float(hi))


# --- summarize ----------------------------------------------------------------------------------


def test_summary_has_every_documented_column_and_one_row_per_group() -> None:
    df = rows(
        {"backend": "a/x", "latency_s": 1.0},
        {"backend": "b/y", "latency_s": 2.0},
        {"backend": "a/x", "latency_s": 3.0, "prompt_id": "p9"},
    )
    summary = summarize(df)
    assert list(summary.columns) == list(SUMMARY_COLUMNS)
    assert list(summary.index) == [("m", "a/x"), ("m", "b/y")]
    assert summary["n"].tolist() == [2, 1]


def test_percentiles_match_numpy_on_successful_uncached_rows() -> None:
    rng = np.random.default_rng(1)
    latency = rng.lognormal(0, 0.7, 500)
    ttft = latency * rng.uniform(0.05, 0.3, 500)
    failed = rng.random(500) < 0.1
    cached = ~failed & (rng.random(500) < 0.05)
    df = rows(
        *(
            {
                "latency_s": latency[i],
                "ttft_s": ttft[i],
                "error_type": "Timeout" if failed[i] else "",
                "cached": bool(cached[i]),
            }
            for i in range(500)
        )
    )
    row = one(summarize(df), "m", "b/x")
    timed = ~failed & ~cached
    for p in (50, 90, 95, 99):
        assert row[f"latency_p{p}"] == pytest.approx(np.percentile(latency[timed], p))
        assert row[f"ttft_p{p}"] == pytest.approx(np.percentile(ttft[timed], p))
    assert row["errors"] == failed.sum()
    assert row["error_rate"] == pytest.approx(failed.mean())
    assert row["cache_hits"] == cached.sum()


def test_binary_scores_get_a_wilson_interval() -> None:
    df = rows(*({"score": 1.0 if i < 8 else 0.0} for i in range(10)))
    row = one(summarize(df), "m", "b/x")
    assert row["score_mean"] == 0.8
    assert row["score_ci"] == "wilson"
    assert (row["score_lo"], row["score_hi"]) == pytest.approx((0.4902, 0.9433), abs=1e-4)


def test_fractional_scores_get_a_t_interval() -> None:
    scores = [0.2, 0.4, 0.6, 0.8, 1.0]
    row = one(summarize(rows(*({"score": s} for s in scores))), "m", "b/x")
    half = 2.7764 * np.std(scores, ddof=1) / math.sqrt(5)
    assert row["score_ci"] == "t"
    assert row["score_mean"] == pytest.approx(0.6)
    assert (row["score_lo"], row["score_hi"]) == pytest.approx((0.6 - half, 0.6 + half), abs=1e-4)


def test_nan_scores_and_error_rows_are_left_out_of_the_mean_and_counted() -> None:
    df = rows(
        {"score": 1.0},
        {"score": 0.0},
        {"score": math.nan},
        {"score": 1.0, "error_type": "RateLimitError", "error": "429"},
        {"error_type": "Timeout"},
    )
    row = one(summarize(df), "m", "b/x")
    assert row["score_mean"] == 0.5
    assert row["score_n"] == 2
    assert row["score_nan"] == 1  # successful but not scored
    assert row["errors"] == 2


def test_a_single_score_has_no_t_interval_and_no_scores_no_mean() -> None:
    row = one(summarize(rows({"score": 0.5})), "m", "b/x")
    assert row["score_mean"] == 0.5
    assert math.isnan(row["score_lo"]) and row["score_ci"] == ""
    row = one(summarize(rows({}, {})), "m", "b/x")
    assert math.isnan(row["score_mean"]) and row["score_nan"] == 2


def test_tokens_per_second_is_the_median_of_per_row_rates() -> None:
    df = rows(
        {"latency_s": 2.0, "ttft_s": 1.0, "output_tokens": 101},  # 100 tok/s decode, 50.5 e2e
        {"latency_s": 3.0, "ttft_s": 1.0, "output_tokens": 101},  # 50, 33.7
        {"latency_s": 5.0, "ttft_s": 1.0, "output_tokens": 101},  # 25, 20.2
        {"latency_s": 1.5, "ttft_s": 1.0, "output_tokens": 1},  # one token: no decode rate
        {"latency_s": 1.0, "ttft_s": 1.0, "output_tokens": 3},  # no decode time: left out
        {"latency_s": 1.0, "ttft_s": 0.5},  # tokens unknown: left out
    )
    row = one(summarize(df), "m", "b/x")
    # (output_tokens - 1) / (latency - ttft): 100 gaps between 101 tokens
    assert row["tokens_per_s"] == pytest.approx(np.median([100, 50, 25]))
    assert row["tokens_per_s_n"] == 3
    assert row["e2e_tokens_per_s"] == pytest.approx(np.median([50.5, 101 / 3, 20.2, 1 / 1.5, 3]))


def test_unknown_prices_are_counted_not_guessed() -> None:
    df = rows(
        {"cost_usd": 0.002},
        {"cost_usd": 0.004},
        {"cost_usd": math.nan},
        {"cost_usd": 0.0, "cached": True},
        {"cost_usd": math.nan, "error_type": "Timeout"},
        {"cost_usd": 0.001, "score_cost_usd": 0.0005},
    )
    row = one(summarize(df), "m", "b/x")
    assert row["cost_usd"] == pytest.approx(0.007)
    assert row["cost_per_1k"] == pytest.approx(1000 * 0.007 / 3)
    assert row["cost_unknown"] == 1
    assert row["score_cost_usd"] == pytest.approx(0.0005)


def test_no_known_price_gives_nan_per_1k() -> None:
    row = one(summarize(rows({}, {})), "m", "b/x")
    assert math.isnan(row["cost_per_1k"])
    assert row["cost_unknown"] == 2
    assert row["cost_usd"] == 0.0


def test_dedupe_keeps_the_last_row_per_key() -> None:
    df = rows(
        {"prompt_id": "p", "latency_s": 9.0, "error_type": "Timeout"},
        {"prompt_id": "p", "repeat": 1, "latency_s": 2.0},
        {"prompt_id": "p", "latency_s": 1.0},
    )
    kept = dedupe(df)
    assert kept["latency_s"].tolist() == [2.0, 1.0]
    row = one(summarize(df), "m", "b/x")
    assert row["n"] == 2 and row["errors"] == 0


def test_group_by_one_column_or_several() -> None:
    df = rows(
        {"category": "math", "backend": "a/x"},
        {"category": "chat", "backend": "b/y"},
        {"category": "math", "backend": "b/y"},
    )
    assert summarize(df, by="category")["n"].to_dict() == {"chat": 1, "math": 2}
    assert len(summarize(df, by=("model", "backend", "category"))) == 3


def test_grouping_by_a_missing_column_suggests() -> None:
    with pytest.raises(ModelbenchError, match="did you mean 'backend'"):
        summarize(rows({}), by="backnd")


def test_an_empty_frame_gives_an_empty_summary() -> None:
    summary = summarize(pd.DataFrame(columns=list(COLUMNS)))
    assert summary.empty
    assert list(summary.columns) == list(SUMMARY_COLUMNS)
    assert list(summary.index.names) == ["model", "backend"]
    assert format_summary(summary) == "(no results)"
    assert "(no results)" in to_html(summary)
    assert summarize(pd.DataFrame()).empty


def test_rows_read_back_from_jsonl(tmp_path: Path) -> None:
    path = tmp_path / "results.jsonl"
    records = [
        ResultRow(
            run_id="r",
            prompt_id=f"p{i}",
            category="",
            model="m",
            backend="b/x",
            repeat=0,
            started_at="2025-01-01T00:00:00Z",
            latency_s=1.0 + i,
            ttft_s=0.5,
            output_tokens=10,
            cost_usd=math.nan if i == 0 else 0.001,
            score=float(i % 2),
            cached=i == 3,
            error_type="Timeout" if i == 4 else "",
        ).to_dict()
        for i in range(6)
    ]
    path.write_text("".join(json.dumps(r) + "\n" for r in records))
    row = one(summarize(pd.read_json(path, lines=True)), "m", "b/x")
    assert (row["n"], row["errors"], row["cache_hits"], row["cost_unknown"]) == (6, 1, 1, 1)
    assert row["latency_p50"] == pytest.approx(np.percentile([1.0, 2.0, 3.0, 6.0], 50))


# --- text and HTML ------------------------------------------------------------------------------


def test_format_summary_is_an_aligned_table_with_notes() -> None:
    df = rows(
        {"backend": "openai/gpt-4o", "score": 1.0, "latency_s": 0.5, "cost_usd": 0.001},
        {"backend": "openai/gpt-4o", "score": 0.0, "latency_s": 1.5, "cost_usd": math.nan},
        {"backend": "local/gemma", "score": 0.5, "latency_s": 2.0, "error_type": "Timeout"},
    )
    text = format_summary(summarize(df))
    lines = text.splitlines()
    assert lines[0].split()[:4] == ["model", "backend", "n", "err%"]
    start = lines[0].index("backend")
    assert [line[start:].split()[0] for line in lines[1:3]] == ["local/gemma", "openai/gpt-4o"]
    assert len({line.index("err%") + 4 for line in lines[:1]} | {lines[1].index("100.0%") + 6}) == 1
    assert "openai/gpt-4o" in lines[2] and "$1.00*" in lines[2]
    assert "local/gemma" in lines[1] and "100.0%" in lines[1]
    assert any("no known price" in line for line in lines)


def test_to_html_escapes_and_can_make_a_page() -> None:
    summary = summarize(rows({"model": "<script>", "latency_s": 0.2}))
    fragment = to_html(summary)
    assert fragment.startswith("<table") and "&lt;script&gt;" in fragment
    assert "<script>" not in fragment
    page = to_html(summary, title="Run 1", full_page=True)
    assert page.startswith("<!doctype html>") and "<h2>Run 1</h2>" in page


# --- paired comparison --------------------------------------------------------------------------


def paired_frame(n_prompts: int, repeats: int, true_diff: float, seed: int = 0) -> pd.DataFrame:
    """Backends a and b answer the same prompts; b's latency is a's plus ``true_diff``."""
    rng = np.random.default_rng(seed)
    difficulty = rng.uniform(0.5, 5, n_prompts)  # shared per prompt: pairing removes it
    records = []
    for backend, shift, p_right in (("a/x", 0.0, 0.8), ("b/y", true_diff, 0.6)):
        for r in range(repeats):
            noise = rng.normal(0, 0.1, n_prompts)
            right = rng.random(n_prompts) < p_right
            for i in range(n_prompts):
                records.append(
                    {
                        "prompt_id": f"p{i}",
                        "model": "m",
                        "backend": backend,
                        "repeat": r,
                        "latency_s": difficulty[i] + shift + noise[i],
                        "score": float(right[i]),
                        "error_type": "",
                        "cached": False,
                    }
                )
    return pd.DataFrame(records)


def test_paired_latency_difference_recovers_the_true_difference() -> None:
    df = paired_frame(200, 3, true_diff=0.25)
    result = paired_comparison(df, "a/x", "b/y", "latency")
    assert result.n_pairs == 200  # repeats are averaged per prompt first
    assert result.column == "backend" and result.metric == "latency_s"
    assert result.lo < -0.25 < result.hi
    assert result.diff == pytest.approx(-0.25, abs=0.02)
    assert result.hi - result.lo < 0.05  # pairing removes the per-prompt difficulty


def test_paired_score_difference_t_and_bootstrap_agree() -> None:
    df = paired_frame(400, 2, true_diff=0.0)
    t = paired_comparison(df, "a/x", "b/y")
    boot = paired_comparison(df, "a/x", "b/y", method="bootstrap", n_boot=1000)
    assert t.lo < 0.2 < t.hi  # 0.8 - 0.6
    assert boot.diff == t.diff
    assert boot.lo == pytest.approx(t.lo, abs=0.01) and boot.hi == pytest.approx(t.hi, abs=0.01)
    assert paired_comparison(df, "a/x", "b/y", method="bootstrap", n_boot=1000) == boot
    assert "95% paired t, 400 prompts" in str(t)


def test_paired_only_uses_prompts_both_answered_without_errors() -> None:
    df = paired_frame(10, 1, true_diff=1.0)
    df.loc[(df["backend"] == "a/x") & (df["prompt_id"] == "p0"), "error_type"] = "Timeout"
    df = df[~((df["backend"] == "b/y") & (df["prompt_id"] == "p1"))]
    assert paired_comparison(df, "a/x", "b/y", "latency").n_pairs == 8


def test_paired_by_model_and_the_errors_of_bad_names() -> None:
    df = paired_frame(20, 1, true_diff=0.5)
    df["model"] = df["backend"].map({"a/x": "fast", "b/y": "smart"})
    assert paired_comparison(df, "fast", "smart", "latency").column == "model"
    with pytest.raises(ModelbenchError, match="did you mean 'smart'"):
        paired_comparison(df, "fast", "smrt")
    with pytest.raises(ModelbenchError, match="two different names"):
        paired_comparison(df, "fast", "fast")
    with pytest.raises(ModelbenchError, match="unknown metric 'latncy'"):
        paired_comparison(df, "fast", "smart", "latncy")
    with pytest.raises(ModelbenchError, match="did you mean 'model'"):
        paired_comparison(df, "fast", "smart", column="modl")


def test_paired_with_too_few_pairs_has_no_interval() -> None:
    df = paired_frame(1, 1, true_diff=0.5)
    result = paired_comparison(df, "a/x", "b/y", "latency")
    assert result.n_pairs == 1 and math.isnan(result.lo)
    empty = paired_comparison(df[df["backend"] == "a/x"], "a/x", "b/y", column="backend")
    assert empty.n_pairs == 0 and math.isnan(empty.diff)
