"""Per-arm figures that learned policies are fitted on (training rows only under CV)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from modelbench.routing._arms import arm_column

__all__ = ["arm_stats", "request_frame"]

_PREPARED = frozenset({"arm", "category", "ok", "err", "quality", "cost", "latency"})


def request_frame(results: pd.DataFrame) -> pd.DataFrame:
    """One row per result with ``arm``, ``category``, ``ok`` and the numbers routing uses.

    ``quality`` counts an error as 0 (what the user gets) and is NaN for an unscored answer;
    ``cost`` is 0 where no price is known. A frame made here passes through unchanged.
    """
    if set(results.columns) >= _PREPARED and "model" not in results.columns:
        return results
    ok = results["error_type"].fillna("").astype(str).eq("") if "error_type" in results else True
    category = results["category"].fillna("").astype(str) if "category" in results else ""
    # Categorical keys: every fit (five per learned policy under CV) groups without re-hashing.
    frame = pd.DataFrame(
        {"arm": arm_column(results).astype("category"), "category": category, "ok": ok},
        index=results.index,
    )
    frame["category"] = frame["category"].astype("category")
    frame["err"] = (~frame["ok"]).astype(float)
    for name, column in (("score", "score"), ("cost", "cost_usd"), ("latency", "latency_s")):
        values = (
            pd.to_numeric(results[column], errors="coerce").astype(float)
            if column in results
            else pd.Series(np.nan, index=results.index)
        )
        frame[name] = values
    # An error scores 0 (what the user gets), unless nothing was scored at all.
    scored = bool(frame["score"].notna().any())
    frame["quality"] = frame["score"].where(frame["ok"], 0.0 if scored else np.nan)
    frame["cost"] = frame["cost"].fillna(0.0)
    frame["latency"] = frame["latency"].where(frame["ok"])
    return frame


def arm_stats(
    results: pd.DataFrame, *, by_category: bool = False, latency: bool = True
) -> pd.DataFrame:
    """Per arm (or per category and arm): quality, cost, error_rate, n and, with ``latency``,
    the p50, p95 and p99 latency of successful calls. Indexed by arm name (strings)."""
    frame = request_frame(results)
    keys = ["category", "arm"] if by_category else ["arm"]
    groups = frame.groupby(keys, sort=True, observed=True)
    stats = groups[["quality", "cost", "err"]].mean()
    stats.columns = ["quality", "cost", "error_rate"]
    stats["n"] = groups.size()
    if latency:
        quantiles = groups["latency"].quantile([0.5, 0.95, 0.99]).unstack(-1)
        quantiles.columns = ["p50", "p95", "p99"]
        stats = stats.join(quantiles)
    if by_category:
        stats.index = pd.MultiIndex.from_arrays(
            [stats.index.get_level_values(k).astype(str) for k in keys], names=keys
        )
    else:
        stats.index = pd.Index(stats.index.astype(str), name="arm")
    return stats
