"""simulate(): each policy replayed on hand-built results where the right figures are known."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from routing_data import frame, row

from modelbench._errors import ModelbenchError
from modelbench.checks import Judge, Regex
from modelbench.routing import ByCategory, Cascade, Fallback, Oracle, Single, Weighted
from modelbench.routing.simulate import SIMULATE_COLUMNS, simulate


def two_arms() -> pd.DataFrame:
    """cheap fails p1 (after 2 s, $0.001); strong always answers."""
    return frame(
        [
            row("cheap", "p1", error="Timeout", cost=0.001, latency=2.0),
            row("cheap", "p2", score=0.0, cost=0.001, latency=1.0, ttft=0.1, output="no idea"),
            row("strong", "p1", score=1.0, cost=0.01, latency=1.0, ttft=0.2, output="42"),
            row("strong", "p2", score=1.0, cost=0.01, latency=4.0, ttft=0.3, output="7"),
        ]
    )


def one(table: pd.DataFrame, policy: str) -> pd.Series:
    found = table[table["policy"] == policy]
    assert len(found) == 1, list(table["policy"])
    return found.iloc[0]


def test_columns_follow_the_contract() -> None:
    table = simulate(two_arms(), [Single("cheap")])
    assert list(table.columns) == list(SIMULATE_COLUMNS)
    assert table.attrs["best_single"] == "strong"


def test_fallback_pays_the_failed_attempt_first() -> None:
    r = one(simulate(two_arms(), [Fallback(["cheap", "strong"])]), "Fallback(cheap -> strong)")
    # p1: cheap fails ($0.001, 2 s) then strong ($0.01, 1 s, first token 0.2 s after it starts).
    # p2: cheap answers (wrongly): $0.001, 1 s.
    assert r["cost_total"] == pytest.approx(0.001 + 0.01 + 0.001)
    assert r["cost_per_1k"] == pytest.approx(1000 * 0.012 / 2)
    assert r["latency_p50"] == pytest.approx(np.quantile([3.0, 1.0], 0.5, method="inverted_cdf"))
    assert r["latency_p99"] == pytest.approx(np.quantile([3.0, 1.0], 0.99, method="inverted_cdf"))
    assert r["ttft_p50"] == pytest.approx(np.quantile([2.2, 0.1], 0.5, method="inverted_cdf"))
    assert r["error_rate"] == 0
    assert r["quality"] == pytest.approx(0.5)
    assert r["share"] == pytest.approx({"cheap": 2 / 3, "strong": 1 / 3})


def test_a_request_failing_after_every_fallback_scores_zero_and_counts_as_error() -> None:
    df = frame(
        [
            row("a", "p1", error="Timeout", latency=1.0),
            row("b", "p1", error="RateLimitError", latency=0.5),
            row("a", "p2", score=1.0),
            row("b", "p2", score=1.0),
        ]
    )
    r = one(simulate(df, [Fallback(["a", "b"])]), "Fallback(a -> b)")
    assert r["error_rate"] == pytest.approx(0.5)
    assert r["quality"] == pytest.approx(0.5)  # p1 scores 0, p2 scores 1
    assert r["latency_p50"] == pytest.approx(1.0)  # latency over successful requests only


def test_cascade_pays_both_calls_when_it_escalates() -> None:
    policy = Cascade(["cheap", "strong"], Regex(r"^\d+$"))
    df = two_arms()
    df.loc[(df["model"] == "cheap") & (df["prompt_id"] == "p1"), ["error_type", "output"]] = [
        "",
        "5",
    ]
    df.loc[(df["model"] == "cheap") & (df["prompt_id"] == "p1"), ["score", "ttft_s"]] = [1.0, 0.5]
    r = one(simulate(df, [policy]), "Cascade(cheap -> strong; regex:^\\d+$)")
    # p1: cheap says "5" (accepted): $0.001, 2 s; its answer is held for the check, so the
    #     user's first token comes at 2 s. p2: "no idea" fails the check: both calls are paid,
    #     latency 1 + 4 s, first token 1 s + strong's 0.3 s.
    assert r["cost_total"] == pytest.approx(0.001 + 0.001 + 0.01)
    assert r["latency_p50"] == pytest.approx(np.quantile([2.0, 5.0], 0.5, method="inverted_cdf"))
    assert r["latency_p99"] == pytest.approx(np.quantile([2.0, 5.0], 0.99, method="inverted_cdf"))
    assert r["ttft_p50"] == pytest.approx(np.quantile([2.0, 1.3], 0.5, method="inverted_cdf"))
    assert r["ttft_p95"] == pytest.approx(np.quantile([2.0, 1.3], 0.95, method="inverted_cdf"))
    assert r["quality"] == pytest.approx(1.0)
    assert r["share"] == pytest.approx({"cheap": 2 / 3, "strong": 1 / 3})


def test_weighted_is_scored_by_expectation() -> None:
    r = one(
        simulate(two_arms(), [Weighted({"cheap": 3, "strong": 1})]), "Weighted(cheap=3, strong=1)"
    )
    # cheap: quality 0 (error + wrong), strong: 1. Expectation, not a draw.
    assert r["quality"] == pytest.approx(0.25)
    assert r["error_rate"] == pytest.approx(0.75 * 0.5)
    assert r["cost_per_1k"] == pytest.approx(1000 * (0.75 * 0.001 + 0.25 * 0.01))
    assert r["share"] == pytest.approx({"cheap": 0.75, "strong": 0.25})
    # Latency: weighted quantile of the successful atoms (cheap p2 1 s at 0.75; strong 1 s, 4 s).
    # Atoms: 1 s (0.25), 1 s (0.75), 4 s (0.25): 80% of the mass is at 1 s.
    assert r["latency_p50"] == 1.0
    assert r["latency_p95"] == 4.0


def test_nested_fallback_of_a_weighted_mix() -> None:
    policy = Fallback([Weighted({"cheap": 1, "strong": 1}), "strong"])
    r = one(simulate(two_arms(), [policy]), policy.describe())
    # Half the time cheap first: p1 fails -> strong (pays both); p2 wrong answer kept.
    assert r["cost_total"] == pytest.approx(0.5 * (0.011 + 0.001) + 0.5 * 0.02)
    assert r["quality"] == pytest.approx(0.5 * 0.5 + 0.5 * 1.0)
    assert r["error_rate"] == 0


def test_oracle_and_the_paired_comparison_with_the_best_single_arm() -> None:
    df = frame(
        [row("a", f"p{i}", score=float(i % 2), cost=0.001) for i in range(10)]
        + [row("b", f"p{i}", score=float(i % 2 == 0 or i == 1), cost=0.01) for i in range(10)]
    )
    table = simulate(df, [Single("a"), Single("b"), Oracle()])
    best = one(table, "Single(b)")
    assert table.attrs["best_single"] == "b"
    assert best["delta_vs_best"] == 0 and best["delta_lo"] == 0
    oracle = one(table, "Oracle()")
    assert oracle["quality"] == pytest.approx(1.0) and not oracle["exportable"]
    assert oracle["delta_vs_best"] == pytest.approx(0.4)
    worse = one(table, "Single(a)")
    assert worse["delta_vs_best"] == pytest.approx(-0.1)
    assert worse["delta_lo"] < -0.1 < worse["delta_hi"]
    assert not oracle["frontier"]


def test_cross_validation_keeps_a_learned_bycategory_from_memorising() -> None:
    # Every prompt is its own category and scores are coin flips: in-sample, a learned
    # ByCategory picks a right arm for every prompt where there is one (the Oracle's quality);
    # held out, it has never seen the category and must use its default: no better than one arm.
    rng = np.random.default_rng(3)
    rows = []
    for i in range(40):
        for arm in ("a", "b", "c"):
            rows.append(row(arm, f"p{i}", score=float(rng.integers(0, 2)), category=f"c{i}"))
    df = frame(rows)
    learned = ByCategory.learn(df)
    in_sample = one(simulate(df, [learned], folds=0), learned.describe())
    oracle = one(simulate(df, [Oracle()]), "Oracle()")
    assert in_sample["quality"] == pytest.approx(oracle["quality"]) and not in_sample["cv"]
    cv = one(simulate(df, [learned], folds=5), learned.describe())
    singles = simulate(df, [Single("a"), Single("b"), Single("c")])
    assert cv["cv"]
    assert cv["quality"] <= singles["quality"].max() + 1e-9
    assert cv["quality"] < in_sample["quality"] - 0.2


def test_learned_policy_on_held_out_prompts_uses_training_choices() -> None:
    # Category "x": arm a is right on every prompt; "y": arm b. Learned per fold, it still
    # generalises, so CV quality is 1.
    rows = []
    for i in range(20):
        cat = "x" if i % 2 else "y"
        rows.append(row("a", f"p{i}", score=float(cat == "x"), category=cat, cost=0.001))
        rows.append(row("b", f"p{i}", score=float(cat == "y"), category=cat, cost=0.002))
    table = simulate(frame(rows), ["bycategory"])
    r = table.iloc[0]
    assert r["policy"] == "ByCategory(x->a, y->b; else a)"
    assert r["cv"] and r["quality"] == pytest.approx(1.0)
    assert r["share"] == pytest.approx({"a": 0.5, "b": 0.5})


def test_repeats_and_rows_not_answered_by_every_arm() -> None:
    df = frame(
        [
            row("a", "p1", repeat=0, score=1),
            row("a", "p1", repeat=1, score=0),
            row("b", "p1", repeat=0, score=1),
            row("b", "p1", repeat=1, score=1),
            row("a", "p2", score=1),  # b never answered p2
        ]
    )
    table = simulate(df, [Single("a")])
    assert table.iloc[0]["requests"] == 2
    assert table.iloc[0]["quality"] == pytest.approx(0.5)
    assert table.attrs["dropped_rows"] == 1 and "left out" in table.attrs["notes"][0]


def test_unpriced_rows_count_zero_with_a_note() -> None:
    df = two_arms()
    df.loc[df["model"] == "strong", "cost_usd"] = np.nan
    table = simulate(df, [Single("strong")])
    assert table.iloc[0]["cost_total"] == 0
    assert any("2 answered rows have no known price" in n for n in table.attrs["notes"])


def test_cache_hits_are_noted() -> None:
    df = two_arms().assign(cached=[True, False, False, False])
    notes = simulate(df, [Single("strong")]).attrs["notes"]
    assert any(n.startswith("1 replayed rows were response-cache hits") for n in notes)


def test_unscored_results_have_no_quality_but_other_figures() -> None:
    df = two_arms().assign(score=np.nan)
    table = simulate(df, [Single("cheap"), Fallback(["cheap", "strong"])])
    assert table["quality"].isna().all() and not table["frontier"].any()
    assert table.attrs["scored"] is False
    assert table["cost_total"].notna().all()


def test_bad_input_is_one_clear_error() -> None:
    with pytest.raises(
        ModelbenchError, match="arm 'cheep' is not in the results \\(did you mean 'cheap'\\?\\)"
    ):
        simulate(two_arms(), ["single:cheep"])
    with pytest.raises(ModelbenchError, match="needs live model calls"):
        simulate(two_arms(), [Cascade(["cheap", "strong"], Judge("strong"))])
    with pytest.raises(ModelbenchError, match="no 'prompt_id' column"):
        simulate(pd.DataFrame({"model": ["a"]}), ["single:a"])


def test_candidates_cover_the_families() -> None:
    df = frame(
        [
            row("a", f"p{i}", score=float(i % 3 == 0), cost=0.001, category="xy"[i % 2])
            for i in range(12)
        ]
        + [row("b", f"p{i}", score=1.0, cost=0.01, category="xy"[i % 2]) for i in range(12)]
    )
    table = simulate(df)
    families = set(table["family"])
    assert {"single", "fallback", "cascade", "weighted", "bycategory", "oracle"} <= families
    assert table["frontier"].any()
    assert table["policy"].is_unique
