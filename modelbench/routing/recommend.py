"""``recommend``: the best simulated policy under constraints, with a one-sentence reason.

    rec = recommend(results, "cost", min_quality=0.8, max_p95_s=2.0)
    rec.met, rec.policy, rec.reason
    rec = recommend(None, "latency", table=table)   # reuse an earlier simulate()

Objectives: ``cost`` (cheapest per 1k requests), ``latency`` (lowest p95), ``quality`` (highest
mean score), ``balanced`` (highest quality minus the mean of cost and p95, each scaled to [0, 1]
over the candidates). Ties go to the better quality, then the cheaper, then the policy with
fewer arms. Reference policies (Oracle) are never recommended. When nothing meets every
constraint, the nearest miss is returned with ``met=False``: the policy whose relative
shortfalls add up to the least, and by how much it misses each constraint.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from modelbench._errors import OptionError, ResultsError
from modelbench._suggest import did_you_mean
from modelbench.bench.format import dollars
from modelbench.routing.policies import Policy

__all__ = ["OBJECTIVES", "Recommendation", "recommend"]

OBJECTIVES: tuple[str, ...] = ("cost", "latency", "quality", "balanced")

# constraint name -> (table column, is it a floor?, how to show it)
_CONSTRAINTS: dict[str, tuple[str, bool, str]] = {
    "min_quality": ("quality", True, "quality >= {:g}"),
    "max_p95_s": ("latency_p95", False, "p95 <= {:g}s"),
    "max_cost_per_1k": ("cost_per_1k", False, "cost <= ${:g}/1k"),
    "max_error_rate": ("error_rate", False, "error rate <= {:.2%}"),
}

_FIGURES = (
    "quality",
    "quality_lo",
    "quality_hi",
    "cost_per_1k",
    "cost_total",
    "latency_p50",
    "latency_p95",
    "latency_p99",
    "ttft_p50",
    "ttft_p95",
    "error_rate",
    "share",
    "requests",
    "cv",
    "frontier",
    "delta_vs_best",
    "delta_lo",
    "delta_hi",
)


@dataclass(frozen=True)
class Recommendation:
    """The chosen policy (or the nearest miss when ``met`` is False) and why."""

    policy: Policy
    met: bool
    reason: str
    row: dict[str, Any]
    best_single: dict[str, Any]
    saving: dict[str, float]
    objective: str
    constraints: dict[str, float]
    misses: dict[str, float] = field(default_factory=dict)
    table: pd.DataFrame = field(default_factory=pd.DataFrame, compare=False, repr=False)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: what ``modelbench recommend --json`` prints (NaN becomes None)."""
        row = self.row
        return _clean(
            {
                "policy": self.policy.describe(),
                "family": self.policy.family,
                "met": self.met,
                "objective": self.objective,
                "constraints": self.constraints,
                "misses": self.misses,
                "quality": row["quality"],
                "quality_ci": [row["quality_lo"], row["quality_hi"]],
                "cost_per_1k": row["cost_per_1k"],
                "p50_s": row["latency_p50"],
                "p95_s": row["latency_p95"],
                "p99_s": row["latency_p99"],
                "ttft_p95_s": row["ttft_p95"],
                "error_rate": row["error_rate"],
                "share": row["share"],
                "cv": row["cv"],
                "delta_vs_best": row["delta_vs_best"],
                "delta_ci": [row["delta_lo"], row["delta_hi"]],
                "best_single": {
                    k: self.best_single.get(k)
                    for k in ("policy", "quality", "cost_per_1k", "latency_p95", "error_rate")
                },
                "saving": self.saving,
                "reason": self.reason,
                "spec": self.policy.to_dict(),
            }
        )


def recommend(
    results: pd.DataFrame | None,
    objective: str = "balanced",
    *,
    min_quality: float | None = None,
    max_p95_s: float | None = None,
    max_cost_per_1k: float | None = None,
    max_error_rate: float | None = None,
    policies: Any = None,
    table: pd.DataFrame | None = None,
    folds: int = 5,
    seed: int = 0,
) -> Recommendation:
    """The best policy for ``objective`` among those meeting every given constraint."""
    if objective not in OBJECTIVES:
        raise OptionError(
            f"unknown objective {objective!r}{did_you_mean(str(objective), OBJECTIVES)}; "
            f"use one of {', '.join(OBJECTIVES)}"
        )
    constraints = {
        name: float(value)
        for name, value in {
            "min_quality": min_quality,
            "max_p95_s": max_p95_s,
            "max_cost_per_1k": max_cost_per_1k,
            "max_error_rate": max_error_rate,
        }.items()
        if value is not None
    }
    for name, value in constraints.items():
        if not math.isfinite(value) or value < 0:
            raise OptionError(f"{name} must be a number >= 0, got {value}")
    if table is None:
        if results is None:
            raise ResultsError("recommend needs results or a table from simulate()")
        from modelbench.routing.simulate import simulate

        table = simulate(results, policies, folds=folds, seed=seed)
    scored = bool(table.attrs.get("scored", table["quality"].notna().any()))
    if not scored and ("min_quality" in constraints or objective == "quality"):
        what = "a minimum quality" if "min_quality" in constraints else "the quality objective"
        raise ResultsError(
            f"{what} needs scores, and these results have none (no scorer was used): rerun the "
            "benchmark with a scorer (modelbench run ... --scorer exact|numeric|judge:MODEL) "
            "or drop the quality constraint"
        )
    pool = table[table["exportable"].astype(bool)]
    if pool.empty:
        raise ResultsError("no exportable policy to recommend")
    order = _order(pool, objective, scored)
    feasible = _feasible(pool, constraints)
    best_single = dict(table.attrs.get("best_single_row") or _best_single_row(table))
    if feasible.any():
        chosen = pool.loc[next(i for i in order if feasible.loc[i])]
        row = _figures(chosen)
        saving = _saving(row, best_single)
        reason = _reason_met(chosen["policy"], row, best_single, saving, objective, constraints)
        return Recommendation(
            chosen["obj"], True, reason, row, best_single, saving, objective, constraints, {}, table
        )
    shortfall = _shortfall(pool, constraints)
    rank = {index: n for n, index in enumerate(order)}
    nearest_index = min(pool.index, key=lambda i: (shortfall.loc[i], rank[i]))
    nearest = pool.loc[nearest_index]
    row = _figures(nearest)
    misses = _misses(nearest, constraints)
    saving = _saving(row, best_single)
    reason = _reason_missed(nearest["policy"], row, misses, constraints)
    return Recommendation(
        nearest["obj"],
        False,
        reason,
        row,
        best_single,
        saving,
        objective,
        constraints,
        misses,
        table,
    )


def _order(pool: pd.DataFrame, objective: str, scored: bool) -> list[Any]:
    quality = pool["quality"].fillna(-1.0)
    cost = pool["cost_per_1k"].fillna(np.inf)
    p95 = pool["latency_p95"].fillna(np.inf)
    arms = pool["obj"].map(lambda p: len(p.members()))
    keys = pd.DataFrame({"q": -quality, "c": cost, "l": p95, "n": arms, "name": pool["policy"]})
    if objective == "cost":
        columns = ["c", "q", "l", "n", "name"]
    elif objective == "latency":
        columns = ["l", "q", "c", "n", "name"]
    elif objective == "quality":
        columns = ["q", "c", "l", "n", "name"]
    else:
        keys["b"] = -((_scaled(quality) if scored else 0.0) - (_scaled(cost) + _scaled(p95)) / 2)
        columns = ["b", "q", "c", "n", "name"]
    return list(keys.sort_values(columns, kind="stable").index)


def _scaled(values: pd.Series) -> pd.Series:
    finite = values[np.isfinite(values)]
    if finite.empty or finite.max() == finite.min():
        return pd.Series(0.0, index=values.index)
    return ((values - finite.min()) / (finite.max() - finite.min())).clip(0, 1).fillna(1.0)


def _feasible(pool: pd.DataFrame, constraints: dict[str, float]) -> pd.Series:
    ok = pd.Series(True, index=pool.index)
    for name, limit in constraints.items():
        column, floor, _ = _CONSTRAINTS[name]
        values = pool[column]
        ok &= values.ge(limit - 1e-12) if floor else values.le(limit + 1e-12)  # NaN fails
    return ok


def _shortfall(pool: pd.DataFrame, constraints: dict[str, float]) -> pd.Series:
    """Sum over constraints of how far each row misses, relative to the limit."""
    total = pd.Series(0.0, index=pool.index)
    for name, limit in constraints.items():
        column, floor, _ = _CONSTRAINTS[name]
        gap = (limit - pool[column]) if floor else (pool[column] - limit)
        gap = gap.clip(lower=0).fillna(np.inf)
        total += gap / limit if limit > 0 else gap * 1e6
    return total


def _misses(row: pd.Series, constraints: dict[str, float]) -> dict[str, float]:
    out = {}
    for name, limit in constraints.items():
        column, floor, _ = _CONSTRAINTS[name]
        value = float(row[column])
        gap = (limit - value) if floor else (value - limit)
        if math.isnan(gap) or gap > 1e-12:
            out[name] = gap
    return out


def _figures(row: pd.Series) -> dict[str, Any]:
    return {"policy": row["policy"], **{k: row[k] for k in _FIGURES}}


def _best_single_row(table: pd.DataFrame) -> dict[str, Any]:
    singles = table[table["family"] == "single"]
    if singles.empty:
        return {"policy": "", "quality": math.nan, "cost_per_1k": math.nan}
    best = singles.sort_values(["quality", "cost_per_1k"], ascending=[False, True]).iloc[0]
    return _figures(best)


def _saving(row: dict[str, Any], best: dict[str, Any]) -> dict[str, float]:
    cost, best_cost = row["cost_per_1k"], best.get("cost_per_1k", math.nan)
    p95, best_p95 = row["latency_p95"], best.get("latency_p95", math.nan)
    return {
        "cost_per_1k": best_cost - cost,
        "cost_pct": (best_cost - cost) / best_cost if best_cost else math.nan,
        "p95_s": best_p95 - p95,
        "quality": row["quality"] - best.get("quality", math.nan),
    }


def _money(value: float) -> str:
    return dollars(value)  # as the table and the benchmark summary show it


def _seconds(value: float) -> str:
    return "-" if not math.isfinite(value) else f"{value:.2f}s"


def _quality(row: dict[str, Any]) -> str:
    if not math.isfinite(row["quality"]):
        return "quality unknown (no scores)"
    ci = ""
    if math.isfinite(row["quality_lo"]):
        ci = f" (95% CI {row['quality_lo']:.3f}-{row['quality_hi']:.3f})"
    return f"quality {row['quality']:.3f}{ci}"


def _reason_met(
    name: str,
    row: dict[str, Any],
    best: dict[str, Any],
    saving: dict[str, float],
    objective: str,
    constraints: dict[str, float],
) -> str:
    meets = ", ".join(_CONSTRAINTS[n][2].format(v) for n, v in constraints.items())
    lead = {
        "cost": "is the cheapest policy",
        "latency": "has the lowest p95 latency",
        "quality": "has the highest quality",
        "balanced": "balances quality, cost and latency best",
    }[objective]
    lead += f" meeting {meets}" if meets else ""
    figures = (
        f"{_quality(row)}, {_money(row['cost_per_1k'])} per 1k requests, "
        f"p95 {_seconds(row['latency_p95'])}, {row['error_rate']:.1%} errors"
    )
    if name == best.get("policy"):
        versus = "it is the best single model itself"
    else:
        pct = saving["cost_pct"]
        money = (
            f"{abs(pct):.0%} {'cheaper' if pct >= 0 else 'dearer'}"
            if math.isfinite(pct)
            else "cost unknown"
        )
        dq = saving["quality"]
        dq_text = f", quality {dq:+.3f}" if math.isfinite(dq) else ""
        dt = saving["p95_s"]
        speed = (
            f"{abs(dt):.2f}s {'faster' if dt >= 0 else 'slower'} at p95"
            if math.isfinite(dt)
            else "p95 not comparable"
        )
        versus = (
            f"against the best single model {best.get('policy')} "
            f"({_money(best.get('cost_per_1k', math.nan))}/1k, "
            f"p95 {_seconds(best.get('latency_p95', math.nan))}) it is {money}, {speed}{dq_text}"
        )
    return f"{name} {lead}: {figures}; {versus}."


def _reason_missed(
    name: str, row: dict[str, Any], misses: dict[str, float], constraints: dict[str, float]
) -> str:
    wanted = ", ".join(_CONSTRAINTS[n][2].format(v) for n, v in constraints.items())
    parts = []
    for constraint, gap in misses.items():
        column, _floor, shown = _CONSTRAINTS[constraint]
        value = row[column]
        what = shown.format(constraints[constraint])
        if constraint == "max_error_rate":
            parts.append(f"error rate {value:.2%} misses {what} by {gap:.2%}")
        elif constraint == "max_cost_per_1k":
            parts.append(f"cost {_money(value)}/1k misses {what} by {_money(gap)}")
        elif constraint == "max_p95_s":
            parts.append(f"p95 {_seconds(value)} misses {what} by {_seconds(gap)}")
        else:
            parts.append(f"quality {value:.3f} misses {what} by {gap:.3f}")
    return (
        f"No policy meets {wanted}; the nearest miss is {name}: {'; '.join(parts)} "
        f"({_quality(row)}, {_money(row['cost_per_1k'])} per 1k requests, "
        f"p95 {_seconds(row['latency_p95'])})."
    )


def _clean(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value
