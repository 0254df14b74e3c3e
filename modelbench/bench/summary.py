"""Summaries of a results DataFrame: per-backend quality, speed and cost, and paired comparisons.

    df = pandas.read_json("results.jsonl", lines=True)
    table = summarize(df)                      # one row per (model, backend)
    print(format_summary(table))          # modelbench.bench.format
    paired_comparison(df, "openai/gpt-4o", "azure/gpt-4o")           # score, a - b
    paired_comparison(df, "openai/gpt-4o", "azure/gpt-4o", "latency")

Everything is vectorised (groupby), so 200,000 rows take well under a second. The columns and
the statistics are described in doc/scoring.md and in ``SUMMARY_COLUMNS`` below.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd

from modelbench._errors import OptionError, ResultsError
from modelbench._suggest import did_you_mean
from modelbench.bench.record import KEY
from modelbench.bench.stats import (
    bootstrap_mean_interval,
    check_confidence,
    t_interval,
    wilson_interval,
)

__all__ = [
    "PERCENTILES",
    "SUMMARY_COLUMNS",
    "PairedComparison",
    "dedupe",
    "paired_comparison",
    "summarize",
]

PERCENTILES: tuple[int, ...] = (50, 90, 95, 99)

SUMMARY_COLUMNS: dict[str, str] = {
    "n": "rows (after keeping the last row per key)",
    "ok": "rows without an error",
    "errors": "rows with an error",
    "error_rate": "errors / n",
    "score_mean": "mean score over successful rows that have a score",
    "score_lo": "lower end of the confidence interval of score_mean",
    "score_hi": "upper end of the confidence interval of score_mean",
    "score_ci": "'wilson' when every score is 0 or 1, else 't' ('' when no interval)",
    "score_n": "successful rows with a score",
    "score_nan": "successful rows without a score (NaN: excluded from score_mean)",
    **{
        f"latency_p{p}": f"{p}th percentile of latency_s (s), successful uncached rows"
        for p in PERCENTILES
    },
    **{
        f"ttft_p{p}": f"{p}th percentile of ttft_s (s), successful uncached rows"
        for p in PERCENTILES
    },
    "tokens_per_s": (
        "decode speed: median over rows of (output_tokens - 1) / (latency_s - ttft_s), "
        "i.e. 1 / tpot_s; NaN with no row of 2+ output tokens"
    ),
    "tokens_per_s_n": "successful uncached rows with a decode rate (2+ output tokens)",
    "e2e_tokens_per_s": "median of output_tokens / latency_s: end to end",
    "cost_usd": "sum of known cost_usd over all rows (what the benchmark cost)",
    "cost_per_1k": "1000 x mean known cost_usd of successful uncached rows",
    "cost_unknown": "successful uncached rows without a price (left out of cost_per_1k)",
    "score_cost_usd": "what scoring cost (an LLM judge)",
    "cache_hits": "rows answered from the response cache",
}
"""Every column ``summarize`` returns, in order, with its meaning."""

_TIMING_OR_COST = ("latency_s", "ttft_s", "tpot_s", "cost_usd")
"""Columns a cache hit says nothing about: its time and cost are the cache's, not the backend's."""


# --- input --------------------------------------------------------------------------------------


def dedupe(df: pd.DataFrame) -> pd.DataFrame:
    """Keep the last row per key (prompt_id, model, backend, repeat), in file order."""
    if df.empty or not set(KEY) <= set(df.columns):
        return df
    return df.drop_duplicates(subset=list(KEY), keep="last")


def _numeric(df: pd.DataFrame, column: str) -> pd.Series:
    if column not in df.columns:
        return pd.Series(np.nan, index=df.index, dtype=float)
    return pd.to_numeric(df[column], errors="coerce").astype(float)


def _ok(df: pd.DataFrame) -> pd.Series:
    if "error_type" not in df.columns:
        return pd.Series(True, index=df.index)
    return df["error_type"].fillna("").astype(str).eq("")


def _cached(df: pd.DataFrame) -> pd.Series:
    if "cached" not in df.columns:
        return pd.Series(False, index=df.index)
    return df["cached"].eq(True)  # bool, 1.0 (read_json) or NaN for missing


# --- summarize ----------------------------------------------------------------------------------


def summarize(
    df: pd.DataFrame, by: str | Sequence[str] = ("model", "backend"), *, confidence: float = 0.95
) -> pd.DataFrame:
    """One row per group (default: per model and backend) with ``SUMMARY_COLUMNS``.

    Repeated keys keep their last row. Errors count in ``errors`` and nowhere else; latency,
    TTFT, speed and cost per request use successful rows that were not cache hits.
    """
    keys = [by] if isinstance(by, str) else list(by)
    missing = [k for k in keys if k not in df.columns]
    if missing and not df.empty:
        raise ResultsError(
            f"cannot group by {missing[0]!r}{did_you_mean(missing[0], df.columns)}: "
            f"the results have columns {', '.join(map(str, df.columns))}"
        )
    if df.empty:
        columns = {c: pd.Series(dtype=_dtype(c)) for c in [*keys, *SUMMARY_COLUMNS]}
        return pd.DataFrame(columns).set_index(keys)
    check_confidence(confidence)  # validate early

    df = dedupe(df)
    ok = _ok(df)
    cached = _cached(df)
    timed = ok & ~cached
    latency = _numeric(df, "latency_s").where(timed)
    ttft = _numeric(df, "ttft_s").where(timed)
    out_tokens = _numeric(df, "output_tokens").where(timed)
    score = _numeric(df, "score").where(ok)
    cost = _numeric(df, "cost_usd")
    with np.errstate(divide="ignore", invalid="ignore"):
        decode = latency - ttft
        # the field's definition (llmperf, vLLM's benchmark): TPOT = (latency - TTFT) /
        # (output_tokens - 1); no second token, no rate (not 1 / a tiny gap)
        tps = ((out_tokens - 1) / decode).where((decode > 0) & (out_tokens >= 2))
        e2e = (out_tokens / latency).where(latency > 0)

    work = pd.DataFrame(
        {
            **{k: df[k] for k in keys},
            "ok": ok,
            "score": score,
            "nonbinary": score.notna() & ~score.isin([0.0, 1.0]),
            "latency": latency,
            "ttft": ttft,
            "tps": tps,
            "e2e": e2e,
            "cost": cost,
            "cost_timed": cost.where(timed),
            "cost_unknown": timed & cost.isna(),
            "score_cost": _numeric(df, "score_cost_usd"),
            "cached": cached,
        }
    )
    groups = work.groupby(keys, sort=True, observed=True, dropna=False)
    agg = groups.agg(
        n=("ok", "size"),
        ok=("ok", "sum"),
        score_n=("score", "count"),
        score_mean=("score", "mean"),
        score_std=("score", "std"),
        nonbinary=("nonbinary", "sum"),
        tokens_per_s=("tps", "median"),
        tokens_per_s_n=("tps", "count"),
        e2e_tokens_per_s=("e2e", "median"),
        cost_usd=("cost", "sum"),
        cost_per_1k=("cost_timed", "mean"),
        cost_unknown=("cost_unknown", "sum"),
        score_cost_usd=("score_cost", "sum"),
        cache_hits=("cached", "sum"),
    )
    quantiles = groups[["latency", "ttft"]].quantile([p / 100 for p in PERCENTILES]).unstack(-1)

    out = pd.DataFrame(index=agg.index)
    out["n"] = agg["n"].astype("int64")
    out["ok"] = agg["ok"].astype("int64")
    out["errors"] = out["n"] - out["ok"]
    out["error_rate"] = out["errors"] / out["n"]
    out["score_mean"] = agg["score_mean"]
    binary = agg["nonbinary"].to_numpy() == 0
    scored = agg["score_n"].to_numpy(dtype=float)
    w_lo, w_hi = wilson_interval(agg["score_mean"].to_numpy() * scored, scored, confidence)
    t_lo, t_hi = t_interval(
        agg["score_mean"].to_numpy(), agg["score_std"].to_numpy(), scored, confidence
    )
    out["score_lo"] = np.where(binary, w_lo, t_lo)
    out["score_hi"] = np.where(binary, w_hi, t_hi)
    has_ci = ~np.isnan(out["score_lo"].to_numpy())
    out["score_ci"] = np.where(has_ci, np.where(binary, "wilson", "t"), "")
    out["score_n"] = agg["score_n"].astype("int64")
    out["score_nan"] = out["ok"] - out["score_n"]
    for name, source in (("latency", "latency"), ("ttft", "ttft")):
        for p in PERCENTILES:
            out[f"{name}_p{p}"] = quantiles[(source, p / 100)]
    out["tokens_per_s"] = agg["tokens_per_s"]
    out["tokens_per_s_n"] = agg["tokens_per_s_n"].astype("int64")
    out["e2e_tokens_per_s"] = agg["e2e_tokens_per_s"]
    out["cost_usd"] = agg["cost_usd"]
    out["cost_per_1k"] = agg["cost_per_1k"] * 1000
    out["cost_unknown"] = agg["cost_unknown"].astype("int64")
    out["score_cost_usd"] = agg["score_cost_usd"]
    out["cache_hits"] = agg["cache_hits"].astype("int64")
    return out[list(SUMMARY_COLUMNS)]


def _dtype(column: str) -> str:
    if column in (
        "n",
        "ok",
        "errors",
        "score_n",
        "score_nan",
        "tokens_per_s_n",
        "cost_unknown",
        "cache_hits",
    ):
        return "int64"
    return "object" if column == "score_ci" else "float64"


# --- paired comparison --------------------------------------------------------------------------

_METRIC_ALIASES: dict[str, str] = {
    "latency": "latency_s",
    "ttft": "ttft_s",
    "tpot": "tpot_s",
    "cost": "cost_usd",
}


@dataclass(frozen=True)
class PairedComparison:
    """``a`` minus ``b`` on the prompts both answered: ``diff`` with its interval [lo, hi]."""

    a: str
    b: str
    column: str
    metric: str
    n_pairs: int
    mean_a: float
    mean_b: float
    diff: float
    lo: float
    hi: float
    method: str
    confidence: float

    def __str__(self) -> str:
        level = f"{self.confidence:.0%}"
        return (
            f"{self.metric}: {self.a} - {self.b} = {self.diff:+.4g} "
            f"[{self.lo:+.4g}, {self.hi:+.4g}] ({level} {self.method}, {self.n_pairs} prompts; "
            f"means {self.mean_a:.4g} vs {self.mean_b:.4g})"
        )

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def paired_comparison(
    df: pd.DataFrame,
    a: str,
    b: str,
    metric: str = "score",
    *,
    column: str | None = None,
    confidence: float = 0.95,
    method: Literal["t", "bootstrap"] = "t",
    n_boot: int = 2000,
    seed: int = 0,
) -> PairedComparison:
    """Compare ``a`` and ``b`` (two backends, or two models) on the same prompts.

    Each side's repeats are averaged per prompt_id, prompts both sides answered are paired,
    and ``diff = mean(a - b)`` gets a paired-t interval (or a percentile bootstrap over
    prompts with a fixed ``seed``). ``metric`` is ``score``, ``latency``, ``ttft``, ``tpot``,
    ``cost`` or any numeric column. ``column`` says where a and b are found; by default
    ``backend`` if both are backends, else ``model``. Error rows are left out, and cache hits
    too for timing and cost.
    """
    if a == b:
        raise OptionError(f"paired_comparison needs two different names, got {a!r} twice")
    if method not in ("t", "bootstrap"):
        raise OptionError(f"method must be 't' or 'bootstrap', got {method!r}")
    check_confidence(confidence)
    value_col = _METRIC_ALIASES.get(metric, metric)
    if value_col not in df.columns and not df.empty:
        choices = [*_METRIC_ALIASES, *df.columns]
        raise ResultsError(
            f"unknown metric {metric!r}{did_you_mean(metric, choices)}; "
            f"use score, latency, ttft, tpot, cost or a numeric column"
        )
    if "prompt_id" not in df.columns:
        raise ResultsError("paired_comparison needs a prompt_id column to pair rows")
    if column is not None and column not in df.columns:
        raise ResultsError(
            f"no column {column!r} in the results{did_you_mean(column, df.columns)}"
        )
    where = column or _side_column(df, a, b)

    # Filtering on a key column first keeps the same last row per key, and is cheaper.
    df = dedupe(df[df[where].isin([a, b])] if where in KEY else df)
    keep = _ok(df)
    if value_col in _TIMING_OR_COST:
        keep &= ~_cached(df)
    sides = df[where].where(keep)
    values = _numeric(df, value_col)
    frame = pd.DataFrame({"side": sides, "prompt_id": df["prompt_id"], "value": values}).dropna()
    pairs = (
        frame[frame["side"].isin([a, b])]
        .groupby(["prompt_id", "side"], observed=True)["value"]
        .mean()
        .unstack("side")
        .reindex(columns=[a, b])
        .dropna()
    )
    xa = pairs[a].to_numpy(dtype=float)
    xb = pairs[b].to_numpy(dtype=float)
    diffs = xa - xb
    n = len(diffs)
    diff = float(diffs.mean()) if n else math.nan
    if method == "t":
        sd = float(diffs.std(ddof=1)) if n >= 2 else math.nan
        lo_arr, hi_arr = t_interval(np.array([diff]), np.array([sd]), np.array([n]), confidence)
        lo, hi = float(lo_arr[0]), float(hi_arr[0])
    else:
        lo, hi = bootstrap_mean_interval(diffs, confidence, n_boot, seed)
    return PairedComparison(
        a=a,
        b=b,
        column=where,
        metric=value_col,
        n_pairs=n,
        mean_a=float(xa.mean()) if n else math.nan,
        mean_b=float(xb.mean()) if n else math.nan,
        diff=diff,
        lo=lo,
        hi=hi,
        method="paired t" if method == "t" else "bootstrap",
        confidence=confidence,
    )


def _side_column(df: pd.DataFrame, a: str, b: str) -> str:
    for column in ("backend", "model"):
        if column in df.columns and df[column].eq(a).any() and df[column].eq(b).any():
            return column
    known: list[str] = []
    for column in ("backend", "model"):
        if column in df.columns:
            known += sorted(set(df[column].dropna().astype(str).unique()))
    bad = a if a not in known else b
    raise ResultsError(
        f"{bad!r} is not a backend or model in these results{did_you_mean(bad, known)}; "
        f"known: {', '.join(dict.fromkeys(known)) or '(none)'}"
    )


_MOVED = {
    "format_summary": "modelbench.bench.format",
    "to_html": "modelbench.bench.format",
    "t_quantile": "modelbench.bench.stats",
    "wilson_interval": "modelbench.bench.stats",
}


def __getattr__(name: str) -> Any:
    """Names that moved out of this module still import from here (older code, notebooks)."""
    if name in _MOVED:
        import importlib

        return getattr(importlib.import_module(_MOVED[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
