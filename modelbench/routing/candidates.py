"""``candidates(results)``: a sensible space of policies, without the user listing them.

Every single arm; fallbacks over ordered pairs; cascades and weighted mixes (3:1, 1:1, 1:3) from
a cheaper arm to a dearer, better one; a learned ByCategory (and one that falls back to the most
reliable arm) when the dataset has categories; and the Oracle for reference when rows are scored.
"""

from __future__ import annotations

import itertools

import pandas as pd

from modelbench.checks import NonEmpty, ValidJSON
from modelbench.routing._stats import arm_stats, request_frame
from modelbench.routing.policies import (
    ByCategory,
    Cascade,
    Fallback,
    Oracle,
    Policy,
    Single,
    Weighted,
)

__all__ = ["MAX_PAIR_ARMS", "candidates"]

MAX_PAIR_ARMS = 6
"""Pairs are formed among at most this many arms (the best by quality), to keep it fast."""


def candidates(results: pd.DataFrame) -> list[Policy]:
    frame = request_frame(results)
    stats = arm_stats(frame)
    if stats.empty:
        return []
    scored = bool(stats["quality"].notna().any())
    order = stats.assign(_q=-stats["quality"].fillna(0), _a=stats.index)
    ranked = [str(a) for a in order.sort_values(["_q", "error_rate", "cost", "_a"]).index]
    out: list[Policy] = [Single(arm) for arm in sorted(stats.index)]
    paired = ranked[:MAX_PAIR_ARMS]
    out += [Fallback([a, b]) for a, b in itertools.permutations(paired, 2)]
    checks = [NonEmpty()] + ([ValidJSON()] if _mostly_json(results, ranked[0]) else [])
    for a, b in itertools.permutations(paired, 2):
        cheap, strong = stats.loc[a], stats.loc[b]
        if not cheap["cost"] < strong["cost"]:
            continue
        if scored and not cheap["quality"] < strong["quality"]:
            continue  # the dearer arm must buy something
        out += [Cascade([a, b], check) for check in checks]
        out += [Weighted({a: wa, b: wb}) for wa, wb in ((3, 1), (1, 1), (1, 3))]
    if frame["category"].nunique() >= 2:
        reliable = str(
            stats.assign(_q=-stats["quality"].fillna(0))
            .sort_values(["error_rate", "_q", "cost"])
            .index[0]
        )
        out += [ByCategory.learn(frame), ByCategory.learn(frame, fallback=reliable)]
    if scored:
        out.append(Oracle())
    return out


def _mostly_json(results: pd.DataFrame, arm: str) -> bool:
    """Do most successful answers of ``arm`` parse as JSON? Then a JSON check makes sense."""
    frame = request_frame(results)
    if "output" not in results.columns:
        return False
    outputs = results["output"][(frame["arm"] == arm) & frame["ok"]].head(200)
    check = ValidJSON()
    return len(outputs) > 0 and sum(check(str(o)) for o in outputs) >= 0.5 * len(outputs)
