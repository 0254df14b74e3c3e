"""``dashboard(results)``: an ipywidgets app over the plain functions in ``views`` and ``plots``.

    dash = modelbench.dashboard(df, registry, dataset="qa.jsonl")
    dash                                    # displays in JupyterLab, Notebook 7, VS Code
    dash.only_disagreements.value = True    # every control is an attribute: tests and scripts
    dash.next_button.click()                # drive it exactly as a person would

Filters re-render the summary, the plots and the side-by-side view; the policy picker
simulates once and re-recommends from that table on every change (``picker.py``).
"""

from __future__ import annotations

import html
from typing import TYPE_CHECKING, Any

import pandas as pd

from modelbench.bench.summary import dedupe, summarize, to_html
from modelbench.notebook import plots
from modelbench.notebook._extra import require
from modelbench.notebook.views import (
    Filters,
    arm_column,
    arms,
    disagreements,
    filter_results,
    prompt_texts,
    side_by_side_html,
    step,
)

if TYPE_CHECKING:
    from modelbench.registry import Registry

__all__ = ["Dashboard", "dashboard"]

_SUMMARY_CSS = (
    "<style>.modelbench-summary{border-collapse:collapse;font-size:13px}"
    ".modelbench-summary th,.modelbench-summary td{padding:3px 10px;text-align:right;"
    "white-space:nowrap}.modelbench-summary th{border-bottom:1px solid #999}"
    ".modelbench-summary .key{text-align:left}.mb-note{color:#666;font-size:12px}</style>"
)


def dashboard(
    results: pd.DataFrame,
    registry: Registry | None = None,
    *,
    dataset: Any = None,
    export_path: str = "routed.yaml",
) -> Dashboard:
    """The dashboard for a results DataFrame; ``dataset`` adds prompts and expected answers,
    ``registry`` enables the export of the tuned config."""
    return Dashboard(results, registry, dataset=dataset, export_path=export_path)


class Dashboard:
    """Filters, summary, plots, side by side, policy picker and export, as widgets."""

    def __init__(
        self,
        results: pd.DataFrame,
        registry: Registry | None = None,
        *,
        dataset: Any = None,
        export_path: str = "routed.yaml",
    ) -> None:
        w = require("ipywidgets")
        self.results = dedupe(results).assign(arm=lambda d: arm_column(d))
        self.registry = registry
        self.prompts = prompt_texts(dataset)
        self.view = self.results
        seen = list(dict.fromkeys(self.results["prompt_id"].astype(str)))
        # dataset order when known (results arrive in completion order)
        known = [p for p in self.prompts if p in set(seen)]
        self._prompt_order = known + [p for p in seen if p not in set(known)]
        self._disagree: list[str] = []
        all_arms = arms(self.results)
        categories = sorted(set(self.results["category"].fillna("").astype(str)))
        repeats = sorted(int(r) for r in self.results["repeat"].unique())

        wide = {"width": "auto"}
        self.arm_filter = w.SelectMultiple(
            options=all_arms,
            value=tuple(all_arms),
            description="backends",
            rows=min(max(len(all_arms), 2), 6),
            layout=wide,
        )
        self.category_filter = w.SelectMultiple(
            options=categories,
            value=tuple(categories),
            description="categories",
            rows=min(max(len(categories), 2), 6),
            layout=wide,
        )
        self.repeat_filter = w.SelectMultiple(
            options=repeats,
            value=tuple(repeats),
            description="repeats",
            rows=min(max(len(repeats), 2), 6),
            layout={"width": "11em"},
        )
        self.only_errors = w.Checkbox(value=False, description="only errors", indent=False)
        self.only_disagreements = w.Checkbox(
            value=False, description="only prompts where backends disagree", indent=False
        )
        self.status = w.HTML()
        self.summary = w.HTML()
        self.latency_plot = w.Image(format="png", layout={"max_width": "100%"})
        self.ttft_plot = w.Image(format="png", layout={"max_width": "100%"})
        self.cost_plot = w.Image(format="png", layout={"max_width": "100%"})
        self.errors_plot = w.Image(format="png", layout={"max_width": "100%"})
        self.prompt = w.Dropdown(options=self._prompt_order, description="prompt", layout=wide)
        self.prev_button = w.Button(description="◀ previous disagreement", layout=wide)
        self.next_button = w.Button(description="next disagreement ▶", layout=wide)
        self.side_by_side = w.HTML()
        self._plots_stale = True

        for control in (self.arm_filter, self.category_filter, self.repeat_filter):
            control.observe(self._on_filter, names="value")
        for box in (self.only_errors, self.only_disagreements):
            box.observe(self._on_filter, names="value")
        self.prompt.observe(lambda _: self._render_side_by_side(), names="value")
        self.prev_button.on_click(lambda _: self.step_disagreement(-1))
        self.next_button.on_click(lambda _: self.step_disagreement(1))

        from modelbench.notebook.picker import PolicyPicker

        self.picker = PolicyPicker(self.results, registry, export_path=export_path)

        filters = w.HBox(
            [
                self.arm_filter,
                self.category_filter,
                self.repeat_filter,
                w.VBox([self.only_errors, self.only_disagreements]),
            ],
            layout={"flex_flow": "row wrap"},
        )
        self.plots_box = w.VBox(
            [self.latency_plot, self.ttft_plot, self.cost_plot, self.errors_plot]
        )
        sbs = w.VBox([w.HBox([self.prompt, self.prev_button, self.next_button]), self.side_by_side])
        self.tabs = w.Tab(children=[sbs, self.plots_box, self.picker.widget])
        for i, title in enumerate(("Side by side", "Plots", "Policy & export")):
            self.tabs.set_title(i, title)
        self.tabs.observe(self._on_tab, names="selected_index")
        title = w.HTML("<h3 style='margin:4px 0'>modelbench</h3>")
        self.widget = w.VBox(
            [title, filters, self.status, self.summary, self.tabs],
            layout={"width": "100%"},
        )
        self.widget.add_class("modelbench-dashboard")
        self.refresh()

    # --- display ----------------------------------------------------------------------------

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        return self.widget._repr_mimebundle_(**kwargs)

    # --- state ------------------------------------------------------------------------------

    @property
    def filters(self) -> Filters:
        return Filters(
            arms=tuple(self.arm_filter.value),
            categories=tuple(self.category_filter.value),
            repeats=tuple(self.repeat_filter.value),
            only_errors=bool(self.only_errors.value),
            only_disagreements=bool(self.only_disagreements.value),
        )

    @property
    def disagreeing(self) -> list[str]:
        """Prompt ids where the filtered backends disagree."""
        return list(self._disagree)

    def _on_filter(self, _change: Any = None) -> None:
        self.refresh()

    def _on_tab(self, _change: Any = None) -> None:
        if self.tabs.selected_index == 1 and self._plots_stale:
            self.render_plots()

    def refresh(self) -> None:
        """Apply the filters and re-render everything that depends on them."""
        self.view = filter_results(self.results, self.filters)
        self._disagree = disagreements(self.view)
        n_prompts = self.view["prompt_id"].nunique()
        self.status.value = (
            f"<span class='mb-note'>{len(self.view)} rows &middot; {n_prompts} prompts &middot; "
            f"{len(self._disagree)} where backends disagree</span>"
        )
        self._render_summary()
        present = set(self.view["prompt_id"].astype(str))
        shown = [p for p in self._prompt_order if p in present]
        current = self.prompt.value
        self.prompt.options = shown
        if shown:
            self.prompt.value = current if current in shown else shown[0]
        self._render_side_by_side()
        self._plots_stale = True
        if self.tabs.selected_index == 1:
            self.render_plots()

    def _render_summary(self) -> None:
        if self.view.empty:
            self.summary.value = "<p class='mb-note'>No rows match the filters.</p>"
            return
        table = summarize(self.view.drop(columns="arm"))
        self.summary.value = _SUMMARY_CSS + to_html(table)

    def _render_side_by_side(self) -> None:
        pid = self.prompt.value
        if pid is None or self.view.empty:
            self.side_by_side.value = "<p class='mb-note'>No prompt to show.</p>"
            return
        position = self._prompt_order.index(pid) + 1 if pid in self._prompt_order else 0
        marker = " (backends disagree)" if pid in self._disagree else " (backends agree)"
        where = (
            f"<p class='mb-note'>prompt {position} of {len(self._prompt_order)}"
            f"{html.escape(marker)}</p>"
        )
        self.side_by_side.value = where + side_by_side_html(self.view, pid, prompts=self.prompts)

    def step_disagreement(self, direction: int) -> str | None:
        """Show the next (1) or previous (-1) prompt where the backends disagree."""
        order = list(self.prompt.options)
        target = step(order, self._disagree, self.prompt.value, direction)
        if target is not None:
            self.prompt.value = target
        return target

    def render_plots(self) -> None:
        """Draw the four figures for the filtered rows (done when the Plots tab is opened)."""
        view = self.view.drop(columns="arm")
        self.latency_plot.value = plots.to_png(plots.latency(view))
        self.ttft_plot.value = plots.to_png(plots.ttft(view))
        self.cost_plot.value = plots.to_png(plots.cost_quality(view))
        self.errors_plot.value = plots.to_png(plots.errors(view))
        self._plots_stale = False
