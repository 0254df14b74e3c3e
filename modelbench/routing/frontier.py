"""The cost-quality trade-off: the Pareto frontier and RouterBench's AIQ.

AIQ (Hu et al., RouterBench, 2024): the area under the non-decreasing convex hull of the
(cost, quality) points, divided by the cost range, so one number compares two families of
policies. Mixing two policies at random reaches any point on the segment between them, which
is why the hull (not the step curve) is the achievable trade-off.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pandas as pd

from modelbench._errors import OptionError, ResultsError

__all__ = ["aiq", "hull", "pareto_frontier"]


def _points(table: pd.DataFrame) -> pd.DataFrame:
    for column in ("cost_per_1k", "quality"):
        if column not in table.columns:
            raise ResultsError(f"the table has no {column!r} column: pass simulate()'s result")
    usable = table["cost_per_1k"].notna() & table["quality"].notna()
    if "exportable" in table.columns:
        usable &= table["exportable"].astype(bool)
    return table.loc[usable, ["cost_per_1k", "quality"]].astype(float)


def pareto_frontier(table: pd.DataFrame) -> pd.Series:
    """True for rows no other row beats: as cheap or cheaper and as good or better, one strictly.

    Rows without quality or cost, and reference rows (``exportable`` False), are never on it.
    """
    out = pd.Series(False, index=table.index, dtype=bool)
    points = _points(table)
    if points.empty:
        return out
    cost = points["cost_per_1k"].to_numpy()
    quality = points["quality"].to_numpy()
    no_worse = (cost[None, :] <= cost[:, None]) & (quality[None, :] >= quality[:, None])
    better = (cost[None, :] < cost[:, None]) | (quality[None, :] > quality[:, None])
    dominated = (no_worse & better).any(axis=1)
    out.loc[points.index] = ~dominated
    return out


def hull(table: pd.DataFrame) -> list[tuple[float, float]]:
    """Vertices (cost, quality) of the non-decreasing upper convex hull, by cost."""
    points = _points(table)
    pts = sorted(set(zip(points["cost_per_1k"], points["quality"], strict=True)))
    upper: list[tuple[float, float]] = []
    for x, y in pts:
        while upper and upper[-1][0] == x:  # same cost: keep the better
            if upper[-1][1] >= y:
                break
            upper.pop()
        else:
            while len(upper) >= 2 and _cross(upper[-2], upper[-1], (x, y)) >= 0:
                upper.pop()
            upper.append((x, y))
    # Non-decreasing: past the best point, more cost buys nothing.
    best = max(range(len(upper)), key=lambda i: (upper[i][1], -upper[i][0]), default=-1)
    return upper[: best + 1]


def _cross(o: tuple[float, float], a: tuple[float, float], b: tuple[float, float]) -> float:
    return (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0])


def aiq(table: pd.DataFrame, *, cost_range: tuple[float, float] | None = None) -> float:
    """Area under the non-decreasing convex hull of (cost_per_1k, quality) / the cost range.

    ``cost_range`` (default: the table's own cheapest to dearest) lets two families be compared
    on the same range: below a family's cheapest point its curve counts 0, past its best point
    it stays flat. One point (or a zero range) gives that point's quality. NaN without scores.
    """
    vertices = hull(table)
    if not vertices:
        return math.nan
    points = _points(table)
    lo, hi = cost_range or (float(points["cost_per_1k"].min()), float(points["cost_per_1k"].max()))
    if hi < lo:
        raise OptionError(f"cost_range must be (low, high), got {cost_range}")
    if hi == lo:
        return float(max(q for c, q in vertices if c <= hi)) if vertices[0][0] <= hi else 0.0
    xs = np.array([c for c, _ in vertices])
    ys = np.array([q for _, q in vertices])
    area = 0.0
    for x0, x1 in itertools.pairwise(xs):  # the hull's segments, clipped to the range
        a, b = max(x0, lo), min(x1, hi)
        if b > a:
            area += (b - a) * float(np.interp(a, xs, ys) + np.interp(b, xs, ys)) / 2
    a = max(float(xs[-1]), lo)
    if hi > a:  # flat past the best point
        area += (hi - a) * float(ys[-1])
    return area / (hi - lo)
