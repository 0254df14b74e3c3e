"""The policy picker: simulate once, re-recommend on every change, draw the point, export."""

from __future__ import annotations

import html
from pathlib import Path

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


def _registry() -> object:
    from modelbench.registry import Registry

    return Registry.from_dict(
        {
            "models": {
                "tiny": {"backend": "local/gemma3-270m", "capabilities": ["completion"]},
                "cheap": "sim/cheap",
                "strong": "sim/strong",
            },
            "backends": {
                "local": {"provider": "local"},
                "sim": {"provider": "openai", "api_base": "http://127.0.0.1:9/v1", "api_key": "k"},
            },
        }
    )


def test_export_button_writes_the_tuned_config_in_the_chosen_format(tmp_path: Path) -> None:
    dash = Dashboard(synthetic(), _registry(), export_path=str(tmp_path / "out" / "routed.yaml"))
    picker = dash.picker
    picker.objective.value = "cost"
    picker.min_quality.value = 0.8
    chosen = picker.recommendation.policy.describe()
    target = tmp_path / "out" / "routed.yaml"

    picker.export_format.value = "litellm"
    picker.export_button.click()
    litellm_text = target.read_text("utf-8")
    assert "model_list" in litellm_text and "routed" in litellm_text
    assert picker.export_yaml.value == litellm_text
    assert "wrote" in picker.export_status.value and "litellm" in picker.export_status.value

    picker.export_format.value = "modelbench"
    picker.export_path.value = str(tmp_path / "tuned.yaml")
    picker.export_button.click()
    mine = (tmp_path / "tuned.yaml").read_text("utf-8")
    assert "routes:" in mine and chosen.split("(")[0].lower() in mine.lower()
    assert picker.export_yaml.value == mine

    picker.max_p95.value = 0.01  # nothing meets it: nothing is written, and the reason is shown
    before = mine
    picker.export_button.click()
    assert "no policy meets" in picker.export_status.value
    assert (tmp_path / "tuned.yaml").read_text("utf-8") == before


def test_export_without_a_registry_says_how() -> None:
    picker = Dashboard(synthetic()).picker
    picker.export_button.click()
    assert "pass the registry" in picker.export_status.value
