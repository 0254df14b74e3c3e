"""Every figure renders to a PNG that is not blank; one PNG per figure is kept to look at.

The PNGs go to $MODELBENCH_TEST_ARTIFACTS/notebook-shots (default: the system temp dir).
"""

from __future__ import annotations

import io
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

pytest.importorskip("matplotlib")

from modelbench.bench import COLUMNS
from modelbench.notebook import plots

SHOTS = Path(os.environ.get("MODELBENCH_TEST_ARTIFACTS", tempfile.gettempdir())) / "notebook-shots"


def synthetic(prompts: int = 60, seed: int = 0) -> pd.DataFrame:
    """Three arms with different speed, price and accuracy; some errors of two kinds."""
    rng = np.random.default_rng(seed)
    arms = [  # model, backend, accuracy, latency median (s), ttft (s), $ per call
        ("tiny", "local/gemma3-270m", 0.45, 0.3, 0.05, 0.00001),
        ("cheap", "sim/cheap", 0.7, 0.4, 0.08, 0.0002),
        ("strong", "sim/strong", 0.93, 1.3, 0.4, 0.004),
    ]
    rows = []
    for model, backend, acc, lat, ttft, cost in arms:
        for p in range(prompts):
            for r in range(2):
                fail = rng.random() < (0.08 if model == "cheap" else 0.02)
                kind = "RateLimitError" if rng.random() < 0.6 else "Timeout"
                row: dict[str, Any] = {c: np.nan for c in COLUMNS}
                row.update(
                    run_id="r",
                    prompt_id=f"p{p}",
                    category=["qa", "math"][p % 2],
                    model=model,
                    backend=backend,
                    repeat=r,
                    started_at="",
                    output="" if fail else "answer",
                    score=np.nan if fail else float(rng.random() < acc),
                    latency_s=np.nan if fail else float(rng.lognormal(np.log(lat), 0.3)),
                    ttft_s=np.nan if fail else float(rng.lognormal(np.log(ttft), 0.3)),
                    cost_usd=cost,
                    error_type=kind if fail else "",
                    error="x" if fail else "",
                    attempts=1,
                    cached=False,
                    score_cost_usd=0.0,
                )
                rows.append(row)
    return pd.DataFrame(rows)


def policy_table() -> pd.DataFrame:
    """A table shaped like routing.simulate's, enough for the plot."""
    return pd.DataFrame(
        {
            "policy": [
                "Single(tiny)",
                "Single(cheap)",
                "Single(strong)",
                "Fallback(cheap -> strong)",
                "Cascade(tiny -> strong; NonEmpty)",
            ],
            "quality": [0.45, 0.68, 0.93, 0.9, 0.8],
            "cost_per_1k": [0.01, 0.2, 4.0, 0.6, 2.0],
            "frontier": [True, True, True, True, False],
        }
    )


class _Rec:
    class policy:
        @staticmethod
        def describe() -> str:
            return "Fallback(cheap -> strong)"


FIGURES: dict[str, Callable[[pd.DataFrame], Any]] = {
    "latency": plots.latency,
    "ttft": plots.ttft,
    "cost_quality": plots.cost_quality,
    "cost_quality_policies": lambda df: plots.cost_quality(
        df, table=policy_table(), recommendation=_Rec(), min_quality=0.8, max_cost_per_1k=1.0
    ),
    "errors": plots.errors,
}


def _pixels(png: bytes) -> np.ndarray:
    from matplotlib import image

    return image.imread(io.BytesIO(png), format="png")


@pytest.mark.parametrize("name", sorted(FIGURES))
def test_figure_renders_non_blank_png(name: str) -> None:
    fig = FIGURES[name](synthetic())
    png = plots.to_png(fig)
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    pixels = _pixels(png)
    # not one colour: the data, labels and legend drew something
    assert pixels.reshape(-1, pixels.shape[-1]).std(axis=0).max() > 0.05
    ax = fig.axes[0]
    assert ax.get_xlabel() and ax.get_title(loc="left")
    if name.startswith("cost_quality") or name in ("latency", "ttft"):
        assert any(u in ax.get_xlabel() for u in ("seconds", "USD"))
    legend = ax.get_legend()
    assert legend is not None
    # the legend sits outside the axes (to the right), never over the data
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    renderer = canvas.get_renderer()
    assert legend.get_window_extent(renderer).x0 >= ax.get_window_extent(renderer).x1
    SHOTS.mkdir(parents=True, exist_ok=True)
    (SHOTS / f"plot-{name}.png").write_bytes(png)


def test_empty_and_error_free_results_still_draw_a_message() -> None:
    df = synthetic(prompts=4)
    clean = df[df["error_type"] == ""]
    fig = plots.errors(clean)
    assert any("no errors" in t.get_text() for t in fig.axes[0].texts)
    assert plots.to_png(plots.latency(df.iloc[:0]))[:4] == b"\x89PNG"


def test_recommended_policy_is_marked_and_constraints_drawn() -> None:
    fig = plots.cost_quality(
        synthetic(), table=policy_table(), recommendation=_Rec(), min_quality=0.8
    )
    labels = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert "recommended: Fallback(cheap -> strong)" in labels
    assert "frontier of policies" in labels and "min quality" in labels


def test_live_frontier_redraws_only_the_point_and_the_lines() -> None:
    df = synthetic()
    live = plots.LiveFrontier(plots.arm_summary(df), policy_table())
    plain = live.render(None)
    starred = live.render(_Rec(), min_quality=0.8, max_cost_per_1k=1.0)
    assert plain[:4] == starred[:4] == b"\x89PNG"
    a, b = _pixels(plain), _pixels(starred)
    assert a.shape == b.shape  # same layout: only the moving parts changed
    changed = np.abs(a - b).max(axis=-1) > 0.1
    assert 0 < changed.mean() < 0.1  # the star, its label and two lines: a few % of the pixels
    assert live.render(None) == plain  # the background is restored each time
    SHOTS.mkdir(parents=True, exist_ok=True)
    (SHOTS / "plot-live_frontier.png").write_bytes(starred)


def test_frontier_lines_are_what_a_mix_reaches_on_a_log_cost_axis() -> None:
    # a 50/50 mix of two frontier policies averages their cost and quality: the line as drawn
    # (in display space, where a log axis bends straight data lines) must pass through it
    fig = plots.cost_quality(synthetic(), table=policy_table())
    ax = fig.axes[0]
    assert ax.get_xscale() == "log"
    fig.canvas.draw()
    line = next(ln for ln in ax.get_lines() if ln.get_label() == "frontier of policies")
    drawn = ax.transData.transform(np.column_stack(line.get_data()))
    for (c0, q0), (c1, q1) in (((0.01, 0.45), (0.2, 0.68)), ((0.6, 0.9), (4.0, 0.93))):
        mix_x, mix_y = ax.transData.transform(((c0 + c1) / 2, (q0 + q1) / 2))
        assert np.interp(mix_x, drawn[:, 0], drawn[:, 1]) == pytest.approx(mix_y, abs=1.0)
