"""The policy picker and the export button of the dashboard.

The policies are simulated once (``routing.simulate``); every change of the objective or a
constraint re-runs only ``routing.recommend(..., table=...)`` on that table and redraws the
recommended point and the constraint lines on a frontier figure drawn once (``LiveFrontier``),
so a change costs milliseconds whatever the number of rows.
"""

from __future__ import annotations

import html
import math
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from modelbench._errors import ModelbenchError
from modelbench.files import write_text
from modelbench.notebook import plots
from modelbench.notebook._extra import require

if TYPE_CHECKING:
    from modelbench.registry import Registry

__all__ = ["OBJECTIVES", "PolicyPicker", "recommendation_html"]

OBJECTIVES: tuple[tuple[str, str], ...] = (
    ("lowest cost", "cost"),
    ("lowest latency (p95)", "latency"),
    ("highest quality", "quality"),
    ("balanced", "balanced"),
)


def _routing() -> Any:
    """The routing layer, or None when this install does not have it yet."""
    try:
        from modelbench import routing
    except ImportError:
        return None
    if not all(hasattr(routing, n) for n in ("simulate", "recommend")):
        return None
    return routing


def _fmt_cost(value: Any) -> str:
    v = _num(value)
    return "?" if not math.isfinite(v) else f"${v:.3g}"


def _fmt_s(value: Any) -> str:
    v = _num(value)
    if not math.isfinite(v):
        return "-"
    return f"{v * 1000:.0f} ms" if v < 1 else f"{v:.2f} s"


def _num(value: Any) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return math.nan


def recommendation_html(rec: Any) -> str:
    """The recommended policy, why, its figures and its saving against the best single arm."""
    row = dict(getattr(rec, "row", {}) or {})
    name = html.escape(_describe(rec.policy))
    met = bool(getattr(rec, "met", True))
    badge = (
        "<span style='color:#1a7f37'>meets every constraint</span>"
        if met
        else "<span style='color:#b35900'>no policy meets every constraint: closest shown</span>"
    )
    lo, hi = _num(row.get("quality_lo")), _num(row.get("quality_hi"))
    ci = f" [{lo:.3f}, {hi:.3f}]" if math.isfinite(lo) and math.isfinite(hi) else ""
    figures = [
        ("quality", f"{_num(row.get('quality')):.3f}{ci}"),
        ("cost per 1k requests", _fmt_cost(row.get("cost_per_1k"))),
        (
            "latency p50 / p95",
            f"{_fmt_s(row.get('latency_p50'))} / {_fmt_s(row.get('latency_p95'))}",
        ),
        ("error rate", f"{_num(row.get('error_rate')):.1%}"),
    ]
    best = dict(getattr(rec, "best_single", {}) or {})
    saving = dict(getattr(rec, "saving", {}) or {})
    rows = "".join(
        f"<tr><th style='text-align:left;padding-right:1em'>{k}</th><td>{html.escape(v)}</td></tr>"
        for k, v in figures
    )
    versus = ""
    if best:
        best_name = html.escape(str(best.get("policy", best.get("arm", "best single backend"))))
        versus = (
            f"<p><b>vs best single backend</b> ({best_name}): {html.escape(_saving(saving))}</p>"
        )
    reason = html.escape(str(getattr(rec, "reason", "")))
    return (
        "<div class='mb-recommendation'>"
        f"<div style='font-size:15px'><b>Recommended:</b> <code>{name}</code></div>"
        f"<div>{badge}</div><p style='color:#555'>{reason}</p>"
        f"<table>{rows}</table>{versus}</div>"
    )


def _describe(policy: Any) -> str:
    describe = getattr(policy, "describe", None)
    return str(describe()) if callable(describe) else str(policy)


def _saving(saving: dict[str, Any]) -> str:
    """``recommend``'s saving (best single minus this policy: positive is better) in words."""
    parts = []
    cost, pct = _num(saving.get("cost_per_1k")), _num(saving.get("cost_pct"))
    if math.isfinite(cost) and cost != 0:
        share = f" ({abs(pct):.0%})" if math.isfinite(pct) else ""
        word = "cheaper" if cost > 0 else "dearer"
        parts.append(f"${abs(cost):.3g} per 1k requests {word}{share}")
    p95 = _num(saving.get("p95_s"))
    if math.isfinite(p95) and abs(p95) >= 0.0005:
        parts.append(f"p95 {abs(p95) * 1000:.0f} ms {'faster' if p95 > 0 else 'slower'}")
    quality = _num(saving.get("quality"))
    if math.isfinite(quality):
        parts.append(f"quality {quality:+.3f}")
    return ", ".join(parts) or "the same figures"


class PolicyPicker:
    """Objective, constraint sliders, the live recommendation and frontier, and export."""

    def __init__(
        self,
        results: pd.DataFrame,
        registry: Registry | None = None,
        *,
        export_path: str = "routed.yaml",
    ) -> None:
        w = require("ipywidgets")
        self.results = results.drop(columns="arm") if "arm" in results.columns else results
        self.registry = registry
        self.routing = _routing()
        self.table: pd.DataFrame | None = None
        self.recommendation: Any = None
        self.arm_summary = plots.arm_summary(self.results)
        self.objective = w.Dropdown(
            options=OBJECTIVES, value="cost", description="objective",
            style={"description_width": "10em"}, layout={"width": "24em"},
        )  # fmt: skip
        wide = {"width": "34em"}

        def slider(description: str, value: float, readout: str) -> Any:
            return w.FloatSlider(
                value=value,
                min=0.0,
                max=1.0,
                step=0.01,
                description=description,
                readout_format=readout,
                continuous_update=False,
                style={"description_width": "10em"},
                layout=wide,
            )

        self.min_quality = slider("min quality", 0.0, ".2f")
        self.max_p95 = slider("max p95 (s)", 1.0, ".3g")
        self.max_cost = slider("max $ per 1k req", 1.0, ".3g")
        self.recommendation_html = w.HTML()
        self.frontier_plot = w.Image(format="png", layout={"max_width": "100%"})
        self.export_format = w.ToggleButtons(
            options=[("LiteLLM Proxy", "litellm"), ("modelbench", "modelbench")],
            value="litellm",
            description="format",
        )
        self.export_path = w.Text(value=export_path, description="write to", layout=wide)
        self.export_button = w.Button(
            description="Export tuned config", button_style="primary", layout={"width": "auto"}
        )
        self.export_status = w.HTML()
        self.export_yaml = w.Textarea(
            value="", layout={"width": "100%", "height": "18em"}, disabled=True
        )
        self.export_button.on_click(lambda _: self.export())
        self.note = w.HTML()
        controls = w.VBox(
            [self.objective, self.min_quality, self.max_p95, self.max_cost],
            layout={"flex": "0 0 auto", "width": "36em"},
        )
        export_box = w.VBox(
            [
                w.HTML("<b>Export the tuned config</b>"),
                w.HBox([self.export_format]),
                w.HBox([self.export_path, self.export_button]),
                self.export_status,
                self.export_yaml,
            ]
        )
        self.widget = w.VBox(
            [self.note, controls, self.recommendation_html, self.frontier_plot, export_box]
        )
        if self.routing is None:
            self.note.value = (
                "<p class='mb-note'>Routing policies need modelbench.routing, which this "
                "install does not have.</p>"
            )
            for control in [*self._controls(), self.export_button]:
                control.disabled = True
            return
        self.simulate()
        for control in self._controls():
            control.observe(lambda _: self.update(), names="value")
        self.update()

    def _controls(self) -> list[Any]:
        return [self.objective, self.min_quality, self.max_p95, self.max_cost]

    # --- the two steps: simulate once, recommend on every change ------------------------------

    def simulate(self) -> pd.DataFrame:
        """Simulate every candidate policy once and set the sliders' ranges from the table."""
        table = self.routing.simulate(self.results)
        self.table = table
        self.frontier = plots.LiveFrontier(self.arm_summary, table)
        p95 = pd.to_numeric(table["latency_p95"], errors="coerce")
        cost = pd.to_numeric(table["cost_per_1k"], errors="coerce")
        top_p95 = float(p95.max()) if p95.notna().any() else 1.0
        top_cost = float(cost.max()) if cost.notna().any() else 1.0
        for slider, top in ((self.max_p95, top_p95), (self.max_cost, top_cost)):
            top = top if math.isfinite(top) and top > 0 else 1.0
            slider.max = top * 1.05
            slider.step = top / 200
            slider.value = slider.max  # at the top: no constraint
        self.note.value = (
            f"<p class='mb-note'>{len(table)} policies simulated on all {len(self.results)} rows "
            "(the filters above do not apply here). A slider at its end means no constraint.</p>"
        )
        return table

    def constraints(self) -> dict[str, float | None]:
        """The sliders as ``recommend`` keywords; a slider at its end is no constraint."""

        def top(slider: Any) -> float | None:
            return None if slider.value >= slider.max - slider.step / 2 else float(slider.value)

        return {
            "min_quality": float(self.min_quality.value) if self.min_quality.value > 0 else None,
            "max_p95_s": top(self.max_p95),
            "max_cost_per_1k": top(self.max_cost),
        }

    def update(self) -> Any:
        """Re-recommend from the simulated table and redraw the recommendation and frontier."""
        if self.routing is None or self.table is None:
            return None
        limits = self.constraints()
        rec = self.routing.recommend(self.results, self.objective.value, table=self.table, **limits)
        self.recommendation = rec
        self.recommendation_html.value = recommendation_html(rec)
        self.frontier_plot.value = self.frontier.render(
            rec, min_quality=limits["min_quality"], max_cost_per_1k=limits["max_cost_per_1k"]
        )
        return rec

    # --- export -------------------------------------------------------------------------------

    def export(self) -> Path | None:
        """Write the tuned config for the current recommendation; show its YAML."""
        if self.recommendation is None:
            self.export_status.value = "<span style='color:#b35900'>no recommendation yet</span>"
            return None
        if self.registry is None:
            self.export_status.value = (
                "<span style='color:#b35900'>pass the registry to dashboard(results, registry) "
                "to export a config</span>"
            )
            return None
        path = Path(self.export_path.value).expanduser()
        try:
            text = export_text(
                self.registry,
                self.recommendation,
                self.results,
                fmt=self.export_format.value,
                output=str(path),
            )
            write_text(path, text, option="the export path")
        except (ModelbenchError, OSError) as exc:
            self.export_status.value = f"<span style='color:#c0392b'>{html.escape(str(exc))}</span>"
            return None
        self.export_yaml.value = text
        self.export_status.value = (
            f"wrote <code>{html.escape(str(path))}</code> ({self.export_format.value} format, "
            f"{len(text.splitlines())} lines)"
        )
        return path


def export_text(
    registry: Registry, recommendation: Any, results: pd.DataFrame, *, fmt: str, output: str
) -> str:
    """The tuned config of ``recommendation`` (route ``routed``) as ``fmt`` YAML text."""
    from modelbench.routing.tune import tune

    tuned = tune(registry, results, recommendation=recommendation,
                 objective=recommendation.objective, **recommendation.constraints)  # fmt: skip
    text: str = tuned.text(fmt, output=output)  # type: ignore[arg-type]
    return text
