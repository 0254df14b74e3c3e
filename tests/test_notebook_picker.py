"""The policy picker: simulate once, re-recommend on every change, draw the point, export."""

from __future__ import annotations

import html

import pytest

pytest.importorskip("ipywidgets")
pytest.importorskip("matplotlib")

from test_notebook_plots import synthetic

from modelbench import routing
from modelbench.notebook.dashboard import Dashboard


def test_sliders_and_objective_change_the_recommendation_without_resimulating(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    picker = Dashboard(synthetic()).picker
    assert picker.table is not None and len(picker.table) >= 3
    monkeypatch.setattr(routing, "simulate", lambda *a, **k: pytest.fail("simulated again"))

    picker.objective.value = "cost"
    cheapest = picker.recommendation
    assert cheapest.policy.describe() == "Single(tiny)"
    assert "Single(tiny)" in picker.recommendation_html.value
    png = picker.frontier_plot.value
    assert png[:4] == b"\x89PNG"

    picker.min_quality.value = 0.9
    better = picker.recommendation
    assert better.met and better.row["quality"] >= 0.9
    assert better.policy.describe() != "Single(tiny)"
    assert html.escape(better.policy.describe()) in picker.recommendation_html.value
    assert "meets every constraint" in picker.recommendation_html.value
    assert picker.frontier_plot.value != png  # the star moved, the constraint line appeared

    picker.max_p95.value = 0.05  # nothing is that fast: the nearest miss, said so
    assert not picker.recommendation.met
    assert "no policy meets every constraint" in picker.recommendation_html.value

    picker.max_p95.value = picker.max_p95.max  # back at the end: no constraint
    assert picker.constraints()["max_p95_s"] is None
    assert picker.recommendation.met


def test_saving_against_the_best_single_backend_is_shown() -> None:
    picker = Dashboard(synthetic()).picker
    picker.objective.value = "cost"
    picker.min_quality.value = 0.6
    page = picker.recommendation_html.value
    assert "vs best single backend" in page
    assert "per 1k requests cheaper" in page
