"""The dashboard driven from Python, as a person would in the browser (no browser needed)."""

from __future__ import annotations

import pytest

pytest.importorskip("ipywidgets")

from test_notebook_views import results

from modelbench.notebook.dashboard import Dashboard

DATASET = [
    {"id": "a1", "prompt": "Capital of Italy?", "expected": "Rome", "category": "cat-a"},
    {"id": "a2", "prompt": "Capital of <Peru>?", "expected": "Lima", "category": "cat-a"},
    {"id": "b1", "prompt": "2+2", "expected": "4", "category": "cat-b"},
    {"id": "b2", "prompt": "say x", "expected": "x", "category": "cat-b"},
]


def test_filters_change_the_summary_and_the_side_by_side() -> None:
    dash = Dashboard(results(), dataset=DATASET)
    assert "strong" in dash.summary.value and "fast" in dash.summary.value
    assert "4 prompts" in dash.status.value and "2 where backends disagree" in dash.status.value

    dash.arm_filter.value = ("fast",)
    assert "strong" not in dash.summary.value
    assert "0 where backends disagree" in dash.status.value

    dash.arm_filter.value = ("fast", "strong")
    dash.category_filter.value = ("cat-b",)
    assert list(dash.prompt.options) == ["b1", "b2"]
    assert "Timeout" in dash.side_by_side.value  # b1 is shown: strong's error is in its column

    dash.category_filter.value = ("cat-a", "cat-b")
    dash.only_errors.value = True
    assert list(dash.prompt.options) == ["b1"]
    dash.only_errors.value = False
    dash.only_disagreements.value = True
    assert list(dash.prompt.options) == ["a2", "b1"]


def test_next_and_previous_disagreement_buttons() -> None:
    dash = Dashboard(results(), dataset=DATASET)
    assert dash.prompt.value == "a1"
    assert "Capital of Italy?" in dash.side_by_side.value
    dash.next_button.click()
    assert dash.prompt.value == "a2"
    page = dash.side_by_side.value
    assert (
        "Capital of &lt;Peru&gt;?" in page and "&lt;script&gt;" in page and "<script>" not in page
    )
    assert "(backends disagree)" in page
    dash.next_button.click()
    assert dash.prompt.value == "b1"
    dash.next_button.click()
    assert dash.prompt.value == "a2"  # wraps around
    dash.prev_button.click()
    assert dash.prompt.value == "b1"


def test_plots_render_when_their_tab_opens_and_follow_the_filters() -> None:
    dash = Dashboard(results())
    assert dash.latency_plot.value == b""  # not drawn until looked at
    dash.tabs.selected_index = 1
    before = dash.latency_plot.value
    assert before[:4] == b"\x89PNG"
    for image in (dash.ttft_plot, dash.cost_plot, dash.errors_plot):
        assert image.value[:4] == b"\x89PNG"
    dash.arm_filter.value = ("fast",)
    assert dash.latency_plot.value[:4] == b"\x89PNG" and dash.latency_plot.value != before


def test_the_widget_displays_as_an_ipywidget() -> None:
    dash = Dashboard(results())
    bundle = dash._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in bundle
