"""What ``modelbench report --html`` adds to the page: the figures (embedded PNGs, so the file
opens offline) and, when the routing layer is installed, the policy table and its frontier."""

from __future__ import annotations

import html
import math
from typing import Any

import pandas as pd

from modelbench.notebook import plots
from modelbench.notebook.picker import _routing, recommendation_html

__all__ = ["figure_sections", "policy_section", "report_sections"]


def _img(title: str, fig: Any, alt: str) -> str:
    return (
        f"<h3>{html.escape(title)}</h3>\n"
        f"<img class='figure' alt='{html.escape(alt)}' src='{plots.to_data_uri(fig)}'>"
    )


def figure_sections(df: pd.DataFrame) -> list[str]:
    """Latency, TTFT, quality vs cost and errors, each as an embedded PNG."""
    return [
        "<h2>Figures</h2>",
        _img("Latency", plots.latency(df), "latency per backend"),
        _img("Time to first token", plots.ttft(df), "time to first token per backend"),
        _img("Quality vs cost", plots.cost_quality(df), "quality against cost per backend"),
        _img("Errors", plots.errors(df), "errors per backend and type"),
    ]


def _cell(value: Any, kind: str) -> str:
    try:
        v = float(value)
    except (TypeError, ValueError):
        return html.escape(str(value))
    if not math.isfinite(v):
        return "-"
    if kind == "s":
        return f"{v * 1000:.0f} ms" if v < 1 else f"{v:.2f} s"
    if kind == "$":
        return f"${v:.3g}"
    if kind == "%":
        return f"{v:.1%}"
    return f"{v:.3f}"


def policy_section(df: pd.DataFrame, objective: str = "balanced") -> str | None:
    """The simulated policies (sorted by cost, frontier marked), the recommendation for
    ``objective`` and the frontier figure; ``None`` without the routing layer or scores."""
    routing = _routing()
    if routing is None or pd.to_numeric(df["score"], errors="coerce").notna().sum() == 0:
        return None
    table = routing.simulate(df)
    rec = routing.recommend(df, objective, table=table)
    shown = table.sort_values("cost_per_1k", kind="stable")
    head = (
        "<tr><th class='key'>policy</th><th>quality</th><th>95% CI</th><th>$/1k req</th>"
        "<th>p50 lat</th><th>p95 lat</th><th>err%</th><th>frontier</th></tr>"
    )
    rows = []
    chosen = rec.policy.describe() if rec.met else None
    for r in shown.to_dict("records"):
        ci = f"[{_cell(r.get('quality_lo'), 'q')}, {_cell(r.get('quality_hi'), 'q')}]"
        rows.append(
            f"<tr{' class=chosen' if r['policy'] == chosen else ''}>"
            f"<td class='key wrap'>{html.escape(str(r['policy']))}</td>"
            f"<td>{_cell(r.get('quality'), 'q')}</td><td>{ci}</td>"
            f"<td>{_cell(r.get('cost_per_1k'), '$')}</td>"
            f"<td>{_cell(r.get('latency_p50'), 's')}</td>"
            f"<td>{_cell(r.get('latency_p95'), 's')}</td>"
            f"<td>{_cell(r.get('error_rate'), '%')}</td>"
            f"<td>{'yes' if r.get('frontier') else ''}</td></tr>"
        )
    fig = plots.cost_quality(df, table=table, recommendation=rec)
    return (
        "<h2>Routing policies</h2>\n"
        f"<p class='note'>{len(table)} policies replayed on these results (learned ones "
        "cross-validated over prompts); objective: "
        f"{html.escape(objective)}.</p>\n"
        + recommendation_html(rec)
        + _img("Frontier", fig, "quality against cost of every policy")
        + "\n<table class='modelbench-summary'><thead>"
        + head
        + "</thead><tbody>"
        + "".join(rows)
        + "</tbody></table>"
    )


def report_sections(df: pd.DataFrame) -> list[str]:
    """Everything the HTML report gains from this layer."""
    sections = figure_sections(df)
    policies = policy_section(df)
    if policies is not None:
        sections.append(policies)
    return sections
