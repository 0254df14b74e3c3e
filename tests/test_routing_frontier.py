"""Pareto frontier and AIQ on points where the answer is worked out by hand."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from modelbench._errors import ModelbenchError
from modelbench.routing.frontier import aiq, hull, pareto_frontier


def table(points: list[tuple[float, float]], exportable: list[bool] | None = None) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "policy": [f"p{i}" for i in range(len(points))],
            "cost_per_1k": [c for c, _ in points],
            "quality": [q for _, q in points],
            "exportable": exportable or [True] * len(points),
        }
    )


def test_frontier_marks_the_undominated_points() -> None:
    # C (3, 0.7) is beaten by B (2, 0.8); E (2, 0.6) too; F duplicates nothing.
    t = table([(1, 0.5), (2, 0.8), (3, 0.7), (4, 0.9), (2, 0.6), (5, math.nan)])
    assert pareto_frontier(t).tolist() == [True, True, False, True, False, False]


def test_reference_rows_are_never_on_the_frontier_and_do_not_dominate() -> None:
    t = table([(1, 0.5), (0.5, 1.0)], exportable=[True, False])
    assert pareto_frontier(t).tolist() == [True, False]


def test_aiq_is_the_area_under_the_hull_over_the_cost_range() -> None:
    t = table([(1, 0.5), (2, 0.8), (4, 0.9), (3, 0.7)])
    assert hull(t) == [(1, 0.5), (2, 0.8), (4, 0.9)]
    # (1..2: mean 0.65) + (2..4: mean 0.85 over 2) = 2.35, over a range of 3.
    assert aiq(t) == pytest.approx(2.35 / 3)
    # Same curve over a wider range: 0 below its cheapest point.
    assert aiq(t, cost_range=(0, 4)) == pytest.approx(2.35 / 4)


def test_aiq_takes_the_convex_hull_and_never_decreases() -> None:
    # (2, 0.55) lies under the chord from (1, 0.5) to (3, 0.9): mixing those two beats it.
    assert aiq(table([(1, 0.5), (2, 0.55), (3, 0.9)])) == pytest.approx(0.7)
    # Paying more for less: the curve stays at the best quality.
    assert aiq(table([(1, 0.9), (2, 0.5)])) == pytest.approx(0.9)
    assert aiq(table([(1, 0.6)])) == pytest.approx(0.6)


def test_aiq_without_scores_is_nan_and_bad_ranges_are_errors() -> None:
    assert math.isnan(aiq(table([(1, math.nan)])))
    with pytest.raises(ModelbenchError, match="cost_range"):
        aiq(table([(1, 0.5), (2, 0.6)]), cost_range=(3, 1))
