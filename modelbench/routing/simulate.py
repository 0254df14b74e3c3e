"""``simulate``: replay policies over benchmark results, one row of figures per policy.

    table = simulate(results)                                  # the candidate policies
    table = simulate(results, ["fallback:cheap,strong", Cascade(["cheap", "strong"], "json")])

Each policy is replayed per recorded (prompt, repeat) as it would run live (see _replay.py and
doc/routing.md). Learned policies are fitted on the training prompts of each of ``folds``
folds and scored on the held-out prompts; the ``obj`` column holds the policy fitted on all
rows (what you would deploy). Quality has a confidence interval over prompts, and every policy
is compared with the best single arm by a paired test over prompts.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

import numpy as np
import pandas as pd

from modelbench._errors import OptionError, ResultsError
from modelbench.bench.stats import check_confidence, t_quantile, wilson_interval
from modelbench.routing._replay import Outcome, Replay, select
from modelbench.routing.policies import Policy, Single, resolve_policy

__all__ = ["SIMULATE_COLUMNS", "simulate"]

SIMULATE_COLUMNS: dict[str, str] = {
    "policy": "describe() of the policy (fitted on all rows when learned)",
    "family": "policy family (single, fallback, weighted, cascade, bycategory, ...)",
    "obj": "the Policy object (fitted on all rows when learned)",
    "quality": "mean score per request; a request that ends in an error scores 0",
    "quality_lo": "lower end of the confidence interval of quality (over prompts)",
    "quality_hi": "upper end of the confidence interval of quality (over prompts)",
    "cost_total": "expected cost of replaying every request once (USD)",
    "cost_per_1k": "expected cost per 1,000 requests (USD), failed attempts included",
    "latency_p50": "50th percentile of request latency (s), successful requests",
    "latency_p95": "95th percentile of request latency (s), successful requests",
    "latency_p99": "99th percentile of request latency (s), successful requests",
    "ttft_p50": "50th percentile of time to the user's first token (s)",
    "ttft_p95": "95th percentile of time to the user's first token (s)",
    "error_rate": "expected share of requests that fail after every fallback",
    "share": "dict arm -> share of the calls made",
    "requests": "requests replayed ((prompt, repeat) pairs every arm answered)",
    "cv": "True when scored by cross-validation over prompts (learned policies)",
    "frontier": "True on the cost-quality Pareto frontier (exportable policies only)",
    "delta_vs_best": "quality minus the best single arm's, paired over prompts",
    "delta_lo": "lower end of the confidence interval of delta_vs_best",
    "delta_hi": "upper end of the confidence interval of delta_vs_best",
    "exportable": "False for reference policies no gateway can run (Oracle)",
}


def simulate(
    results: pd.DataFrame,
    policies: Iterable[Policy | str] | None = None,
    *,
    folds: int = 5,
    seed: int = 0,
    confidence: float = 0.95,
) -> pd.DataFrame:
    """One row per policy with ``SIMULATE_COLUMNS`` (``table.attrs`` holds notes)."""
    from modelbench.routing.candidates import candidates
    from modelbench.routing.frontier import pareto_frontier

    check_confidence(confidence)
    if isinstance(results, str | bytes) or not isinstance(results, pd.DataFrame):
        raise ResultsError("simulate needs a results DataFrame (read_results(path))")
    replay = Replay(results)
    chosen = candidates(results) if policies is None else [resolve_policy(p) for p in policies]
    if not chosen:
        raise OptionError("no policies to simulate: pass None for the candidates")
    fold_of_request, k = _folds(replay, folds, seed)
    notes: list[str] = []
    if k < 2 and any(p.learned for p in chosen):
        notes.append("too few prompts for cross-validation: learned policies scored in-sample")
    if replay.unpriced:
        notes.append(
            f"{replay.unpriced} answered rows have no known price and count $0: "
            "set prices in the config for real costs"
        )
    if replay.cached:
        notes.append(
            f"{replay.cached} replayed rows were response-cache hits, replayed with the cache's "
            "cost and latency: benchmark without --cache for live figures"
        )
    if replay.dropped_rows:
        notes.append(
            f"{replay.dropped_rows} rows left out: their (prompt, repeat) was not answered by "
            "every arm"
        )

    singles = {arm: _metrics(replay, replay.arm(arm), confidence) for arm in replay.arms}
    best_arm = _best(singles)
    baseline = singles[best_arm]["_prompt_quality"]

    rows = []
    seen: set[str] = set()
    training: list[pd.DataFrame] | None = None  # rows of every fold but f, shared by policies
    for policy in chosen:
        if policy.learned:
            obj = policy.fit(replay.frame)
            if k >= 2:
                if training is None:
                    row_fold = _row_folds(replay, fold_of_request)
                    training = [replay.frame[row_fold != f] for f in range(k)]
                outcome = _cross_validated(policy, replay, fold_of_request, training)
            else:
                outcome = obj.replay(replay)
        else:
            obj, outcome = policy, policy.replay(replay)
        name = obj.describe()
        if name in seen:
            continue
        seen.add(name)
        figures = _metrics(replay, outcome, confidence)
        delta = _paired(figures.pop("_prompt_quality"), baseline, confidence)
        rows.append(
            {
                "policy": name,
                "family": obj.family,
                "obj": obj,
                **figures,
                "requests": replay.n,
                "cv": policy.learned and k >= 2,
                "frontier": False,
                **delta,
                "exportable": obj.exportable,
            }
        )
    table = pd.DataFrame(rows, columns=list(SIMULATE_COLUMNS))
    table["frontier"] = pareto_frontier(table)
    best_figures = {k: v for k, v in singles[best_arm].items() if not k.startswith("_")}
    table.attrs.update(
        best_single=best_arm,
        best_single_row={"policy": Single(best_arm).describe(), **best_figures},
        folds=k,
        confidence=confidence,
        notes=notes,
        scored=bool(np.isfinite(replay.score).any()),
        dropped_rows=replay.dropped_rows,
    )
    return table


def _folds(replay: Replay, folds: int, seed: int) -> tuple[np.ndarray, int]:
    """Fold of each request: prompts shuffled with ``seed`` and dealt round-robin."""
    if folds < 0 or int(folds) != folds:
        raise OptionError(f"folds must be a whole number >= 0, got {folds}")
    n_prompts = len(replay.prompts)
    k = min(int(folds), n_prompts)
    rng = np.random.default_rng(seed)
    fold_of_prompt = np.empty(n_prompts, dtype=int)
    fold_of_prompt[rng.permutation(n_prompts)] = np.arange(n_prompts) % max(k, 1)
    return fold_of_prompt[replay.prompt], k


def _row_folds(replay: Replay, fold: np.ndarray) -> np.ndarray:
    """Fold of every row of ``replay.frame`` (-1 for prompts not replayed: always training)."""
    per_prompt = np.zeros(len(replay.prompts), dtype=int)
    per_prompt[replay.prompt] = fold
    fold_of_prompt = dict(zip(replay.prompts, per_prompt.tolist(), strict=True))
    codes, uniques = pd.factorize(replay.frame["prompt_id"])
    per_unique = np.array([fold_of_prompt.get(u, -1) for u in uniques], dtype=int)
    return per_unique[codes]


def _cross_validated(
    policy: Policy, replay: Replay, fold: np.ndarray, training: list[pd.DataFrame]
) -> Outcome:
    """Fit on the other folds' prompts, replay on this fold's requests, for every fold."""
    outcome: Outcome | None = None
    for f, rows in enumerate(training):
        fitted = policy.fit(rows)
        part = fitted.replay(replay)
        outcome = part if outcome is None else select(fold == f, part, outcome)
    assert outcome is not None
    return outcome


def _best(singles: dict[str, dict[str, Any]]) -> str:
    """The best single arm: highest quality, then cheapest (fewest errors without scores)."""

    def key(arm: str) -> tuple[float, float, float, str]:
        m = singles[arm]
        quality = m["quality"] if math.isfinite(m["quality"]) else -1.0
        return (-quality, m["error_rate"], m["cost_per_1k"], arm)

    return min(singles, key=key)


def _metrics(replay: Replay, o: Outcome, confidence: float) -> dict[str, Any]:
    p = o.p
    cost = (p * o.cost).sum(axis=1)
    errors = (p * o.error).sum(axis=1)
    scored = ~np.isnan(o.score)
    weight = (p * scored).sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        request_quality = np.where(
            weight > 0, (p * np.nan_to_num(o.score)).sum(axis=1) / weight, np.nan
        )
    prompt_quality = _per_prompt(replay, request_quality)
    quality, lo, hi = _mean_interval(prompt_quality, confidence)
    calls = (p[..., None] * o.calls).sum(axis=(0, 1))
    total_calls = float(calls.sum())
    ok = ~o.error & (p > 0)
    lat = _quantiles(o.latency, p, ok, (0.5, 0.95, 0.99))
    ttft = _quantiles(o.ttft, p, ok & ~np.isnan(o.ttft), (0.5, 0.95))
    return {
        "quality": quality,
        "quality_lo": lo,
        "quality_hi": hi,
        "cost_total": float(cost.sum()),
        "cost_per_1k": float(cost.mean() * 1000),
        "latency_p50": lat[0],
        "latency_p95": lat[1],
        "latency_p99": lat[2],
        "ttft_p50": ttft[0],
        "ttft_p95": ttft[1],
        "error_rate": float(errors.mean()),
        "share": {
            arm: round(float(c) / total_calls, 6)
            for arm, c in zip(replay.arms, calls, strict=True)
            if c > 0
        },
        "_prompt_quality": prompt_quality,
    }


def _per_prompt(replay: Replay, values: np.ndarray) -> np.ndarray:
    """Mean over repeats per prompt (NaN where no request of the prompt has a value)."""
    finite = ~np.isnan(values)
    n = len(replay.prompts)
    sums = np.bincount(replay.prompt, weights=np.where(finite, values, 0.0), minlength=n)
    counts = np.bincount(replay.prompt, weights=finite.astype(float), minlength=n)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(counts > 0, sums / np.maximum(counts, 1), np.nan)


def _mean_interval(values: np.ndarray, confidence: float) -> tuple[float, float, float]:
    """Mean over prompts and its interval: Wilson when every value is 0 or 1, else t."""
    x = values[~np.isnan(values)]
    n = len(x)
    if n == 0:
        return math.nan, math.nan, math.nan
    mean = float(x.mean())
    if np.isin(x, (0.0, 1.0)).all():
        lo, hi = wilson_interval(x.sum(), n, confidence)
        return mean, float(lo), float(hi)
    if n < 2:
        return mean, math.nan, math.nan
    half = t_quantile(0.5 + confidence / 2, n - 1) * float(x.std(ddof=1)) / math.sqrt(n)
    return mean, max(mean - half, 0.0), min(mean + half, 1.0)  # scores live in [0, 1]


def _paired(a: np.ndarray, b: np.ndarray, confidence: float) -> dict[str, float]:
    """Mean of a - b over prompts with both values, and its paired t interval."""
    both = ~np.isnan(a) & ~np.isnan(b)
    d = a[both] - b[both]
    n = len(d)
    if n == 0:
        return {"delta_vs_best": math.nan, "delta_lo": math.nan, "delta_hi": math.nan}
    mean = float(d.mean())
    if n < 2:
        return {"delta_vs_best": mean, "delta_lo": math.nan, "delta_hi": math.nan}
    half = t_quantile(0.5 + confidence / 2, n - 1) * float(d.std(ddof=1)) / math.sqrt(n)
    return {"delta_vs_best": mean, "delta_lo": mean - half, "delta_hi": mean + half}


def _quantiles(
    values: np.ndarray, weights: np.ndarray, mask: np.ndarray, qs: tuple[float, ...]
) -> list[float]:
    """Weighted quantiles over ``mask``: the smallest value whose cumulative weight reaches q.

    The inverse of the weighted CDF (numpy's ``inverted_cdf`` for equal weights): it does not
    depend on how tied values are ordered, and a mix is a true mixture of its branches.
    """
    v = values[mask]
    if v.size == 0:
        return [math.nan] * len(qs)
    w = weights[mask]
    if np.all(w == w[0]):
        return [float(x) for x in np.quantile(v, qs, method="inverted_cdf")]
    order = np.argsort(v, kind="stable")
    v, cum = v[order], np.cumsum(w[order])
    idx = np.searchsorted(cum, np.asarray(qs) * cum[-1] * (1 - 1e-12), side="left")
    return [float(v[min(i, v.size - 1)]) for i in idx]
