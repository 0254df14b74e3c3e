"""The chosen policy written into the config: a route clients call, with the evidence for it.

    tuned = tune(Registry.from_yaml("config.yaml"), "results.jsonl", objective="cost",
                 min_quality=0.8)
    tuned.write("tuned.yaml")                         # modelbench format (round-trips)
    tuned.write("tuned.litellm.yaml", "litellm")      # what LiteLLM Proxy runs
    tuned.registry.completion("routed", messages)     # the policy, in-process

``tune`` takes a ``Recommendation`` (``recommendation=``, no re-simulation: the dashboard's
button) or a policy (``policy=``), else it recommends under the constraints given.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from modelbench._errors import (
    ConstraintsNotMetError,
    OptionError,
    PolicyError,
    ResultsError,
)
from modelbench.files import write_text
from modelbench.registry import Registry

if TYPE_CHECKING:
    import pandas as pd

    from modelbench.routing.policies import Policy
    from modelbench.routing.recommend import Recommendation

__all__ = ["Tuned", "route_config", "tune"]

Format = Literal["modelbench", "litellm"]

_CONSTRAINTS = ("min_quality", "max_p95_s", "max_cost_per_1k", "max_error_rate")


@dataclass(frozen=True)
class Tuned:
    """A config with the chosen policy as a route; exportable in both formats."""

    registry: Registry
    name: str
    policy: Policy
    recommendation: Recommendation | None = None

    def text(self, format: Format = "modelbench", *, output: str | None = None) -> str:
        """The file's text, with comments giving the evidence (and, for LiteLLM, how to serve)."""
        from modelbench.export_files import dump_litellm, dump_modelbench

        if format == "litellm":
            return dump_litellm(self.registry, source=self.registry.source, output=output)
        if format == "modelbench":
            return dump_modelbench(self.registry, source=self.registry.source, output=output)
        raise OptionError(f"unknown export format {format!r}; use 'modelbench' or 'litellm'")

    def write(self, path: str | Path, format: Format = "modelbench") -> Path:
        out = Path(path)
        return write_text(out, self.text(format, output=str(out)), option="the output path")


def tune(
    registry: Registry,
    results: pd.DataFrame | str | Path,
    *,
    objective: str = "balanced",
    name: str = "routed",
    recommendation: Recommendation | None = None,
    policy: Policy | str | None = None,
    **constraints: float | None,
) -> Tuned:
    """``registry`` plus route ``name`` running the recommended (or given) policy.

    Constraints are those of ``recommend``: ``min_quality``, ``max_p95_s``,
    ``max_cost_per_1k``, ``max_error_rate``. When no policy meets them all it raises
    ``ConstraintsNotMetError`` (its ``recommendation`` is the nearest miss, the message says by
    how much); pass ``policy=`` to export a policy regardless.
    """
    from modelbench.routing.policies import resolve_policy

    unknown = sorted(set(constraints) - set(_CONSTRAINTS))
    if unknown:
        raise OptionError(
            f"unknown constraint {unknown[0]!r}; known: {', '.join(_CONSTRAINTS)}"
        )
    source = None
    if not _is_frame(results):
        source = str(results)
        results = _read(results)
    assert not isinstance(results, str | Path)
    if policy is None:
        if recommendation is None:
            from modelbench.routing.recommend import recommend

            recommendation = recommend(
                results,
                objective=objective,
                min_quality=constraints.get("min_quality"),
                max_p95_s=constraints.get("max_p95_s"),
                max_cost_per_1k=constraints.get("max_cost_per_1k"),
                max_error_rate=constraints.get("max_error_rate"),
            )
        if not recommendation.met:
            raise ConstraintsNotMetError(
                f"no policy meets the constraints, so nothing was exported: "
                f"{recommendation.reason}",
                recommendation=recommendation,
            )
        chosen: Policy = recommendation.policy
    else:
        chosen = resolve_policy(policy)
    if not getattr(chosen, "exportable", True):
        raise PolicyError(f"{chosen.describe()} is a reference, not a policy a gateway runs")
    chosen = chosen.fit(results)  # learned policies: fitted on every prompt for export
    route = route_config(
        chosen,
        results,
        recommendation=recommendation,
        results_path=source,
        objective=objective if policy is None else None,
        constraints={k: float(v) for k, v in constraints.items() if v is not None},
    )
    data = registry.to_dict()
    if name in registry.models or name in registry.aliases:
        raise OptionError(
            f"route name {name!r} is already a model of {registry.source}; choose another --name"
        )
    data["routes"] = {**data.get("routes", {}), name: route}
    tuned = Registry.from_dict(data, source=registry.source)
    return Tuned(registry=tuned, name=name, policy=chosen, recommendation=recommendation)


def route_config(
    policy: Policy,
    results: pd.DataFrame,
    *,
    recommendation: Recommendation | None = None,
    results_path: str | None = None,
    objective: str | None = None,
    constraints: Mapping[str, float] | None = None,
) -> dict[str, Any]:
    """The ``routes:`` entry of a fitted policy: its ``to_dict()`` plus the evidence."""
    from modelbench.routing.simulate import simulate

    spec = _spec(policy.to_dict(), results)
    arms = list(policy.members())
    table = simulate(results, [policy, *_singles(arms)])
    rows = {row["policy"]: row for row in table.to_dict("records")}
    policy_row = rows[policy.describe()]
    share = policy_row.get("share") or {}
    figures: dict[str, Any] = {}
    tokens = _tokens(results)
    for arm in arms:
        row = rows.get(f"Single({arm})") or _row_of_single(table, arm)
        figures[arm] = _figures(row, share=share.get(arm), tokens=tokens.get(arm))
    evidence: dict[str, Any] = {
        "results": results_path,
        "run_id": _run_ids(results),
        "date": _date(results),
        "objective": objective,
        "constraints": dict(constraints or {}),
        "chosen": policy.describe(),
        "policy": _figures(policy_row),
        "arms": figures,
    }
    if recommendation is not None:
        evidence["met"] = bool(recommendation.met)
        evidence["reason"] = str(recommendation.reason)
    return {**spec, "evidence": {k: v for k, v in evidence.items() if v not in (None, {})}}


def _singles(arms: list[str]) -> list[Policy]:
    from modelbench.routing.policies import Single

    return [Single(a) for a in arms]


def _row_of_single(table: pd.DataFrame, arm: str) -> Mapping[str, Any]:
    for row in table.to_dict("records"):
        if row.get("family") == "single" and tuple(row["obj"].members()) == (arm,):
            return row
    raise ResultsError(f"arm {arm!r} has no rows in the results")


def _spec(data: Mapping[str, Any], results: pd.DataFrame) -> dict[str, Any]:
    """``Policy.to_dict()`` as the config stores it: no empty keys; cheapest/fastest list arms."""
    out: dict[str, Any] = {}
    for key, value in data.items():
        if value is None or value == () or value == []:
            continue
        if isinstance(value, Mapping) and key in ("mapping", "weights", "learning", "accept"):
            value = {k: _member(v, results) for k, v in value.items()}
        elif key == "members":
            value = [_member(v, results) for v in value]
        elif key == "default":
            value = _member(value, results)
        out[key] = value
    if out.get("policy") in ("cheapest", "fastest") and not out.get("arms"):
        out["arms"] = _eligible(results, out.get("min_quality"))
    return out


def _member(value: Any, results: pd.DataFrame) -> Any:
    return _spec(value, results) if isinstance(value, Mapping) and "policy" in value else value


def _eligible(results: pd.DataFrame, floor: float | None) -> list[str]:
    """The arms a cheapest/fastest route may use: those that met the quality floor."""
    from modelbench.routing._stats import arm_stats

    stats = arm_stats(results)
    if floor is not None:
        stats = stats[stats["quality"] >= floor]
    return [str(a) for a in stats.index]


def _number(value: Any) -> float | None:
    try:
        f = float(value)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(f) else round(f, 6)


def _figures(
    row: Mapping[str, Any], *, share: float | None = None, tokens: float | None = None
) -> dict[str, Any]:
    lo, hi = _number(row.get("quality_lo")), _number(row.get("quality_hi"))
    out = {
        "quality": _number(row.get("quality")),
        "quality_ci": [lo, hi] if lo is not None and hi is not None else None,
        "cost_per_1k": _number(row.get("cost_per_1k")),
        "p95_s": _number(row.get("latency_p95")),
        "error_rate": _number(row.get("error_rate")),
        "share": _number(share),
        "tokens": _number(tokens),
    }
    return {k: v for k, v in out.items() if v is not None}


def _tokens(results: pd.DataFrame) -> dict[str, float]:
    from modelbench.routing._arms import arm_column

    if "input_tokens" not in results or "output_tokens" not in results:
        return {}
    ok = results[results["error_type"].fillna("") == ""] if "error_type" in results else results
    total = ok["input_tokens"].astype(float).fillna(0) + ok["output_tokens"].astype(float).fillna(0)
    means = total.groupby(arm_column(ok)).mean()
    return {str(k): float(v) for k, v in means.items() if v > 0}


def _run_ids(results: pd.DataFrame) -> str | None:
    if "run_id" not in results:
        return None
    ids = [str(r) for r in dict.fromkeys(results["run_id"].dropna()) if str(r)]
    return ", ".join(ids) or None


def _date(results: pd.DataFrame) -> str | None:
    if "started_at" not in results:
        return None
    stamps = results["started_at"].dropna().astype(str)
    stamps = stamps[stamps != ""]
    if stamps.empty:
        return None
    first, last = stamps.min()[:10], stamps.max()[:10]
    return first if first == last else f"{first} to {last}"


def _is_frame(value: Any) -> bool:
    return hasattr(value, "columns")


def _read(path: str | Path) -> pd.DataFrame:
    from modelbench.bench.store import read_results

    return read_results(path)
