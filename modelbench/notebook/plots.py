"""The dashboard's figures as plain matplotlib functions: results in, a ``Figure`` out.

    from modelbench import plots
    plots.latency(df).savefig("latency.png")          # latency per arm (box + points)
    plots.ttft(df)                                    # time to first token per arm
    plots.cost_quality(df, table=simulate(df), recommendation=rec)   # with the policies
    plots.errors(df)                                  # error types per arm

Figures are built without pyplot (no global state, nothing leaks between calls), with axis
labels and units, and legends outside the data. In IPython a returned Figure displays as PNG.
"""

from __future__ import annotations

import base64
import io
import math
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from modelbench.bench.summary import dedupe, summarize
from modelbench.notebook._extra import require
from modelbench.notebook.views import arm_column, arms, error_table

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = [
    "arm_colors",
    "arm_summary",
    "cost_quality",
    "errors",
    "latency",
    "to_data_uri",
    "to_png",
    "ttft",
]

_MAX_DOTS = 1500
"""Dots drawn per arm at most (a random sample beyond that; the box uses every call)."""


def _legend(ax: Axes, **kwargs: Any) -> None:
    """The legend to the right of the axes, outside the data."""
    ax.legend(loc="upper left", bbox_to_anchor=(1.02, 1.0), borderaxespad=0.0, frameon=False,
              **kwargs)  # fmt: skip


def _figure(width: float, height: float) -> Figure:
    require("matplotlib")
    from matplotlib.figure import Figure

    _register_ipython_display()
    return Figure(figsize=(width, height), layout="constrained", dpi=100)


def arm_colors(names: list[str]) -> dict[str, Any]:
    """One stable colour per arm (tab10, then tab20)."""
    require("matplotlib")
    from matplotlib import colormaps

    cmap = colormaps["tab10" if len(names) <= 10 else "tab20"]
    return {name: cmap(i % cmap.N) for i, name in enumerate(names)}


def _empty(ax: Axes, message: str) -> None:
    ax.text(0.5, 0.5, message, ha="center", va="center", transform=ax.transAxes, color="#777")
    ax.set_xticks([])
    ax.set_yticks([])


def _timed(df: pd.DataFrame) -> pd.DataFrame:
    """Successful calls that were not cache hits: the ones whose timings mean something."""
    df = dedupe(df)
    ok = df["error_type"].fillna("").astype(str).eq("")
    cached = df["cached"].eq(True) if "cached" in df.columns else False
    return df[ok & ~cached]


def _distribution(df: pd.DataFrame, column: str, label: str, title: str) -> Figure:
    names = arms(df)
    fig = _figure(7.5, 1.0 + 0.45 * max(len(names), 2))
    ax = fig.add_subplot()
    timed = _timed(df)
    values = pd.to_numeric(timed[column], errors="coerce")
    arm = arm_column(timed)
    data = [values[arm == name].dropna().to_numpy() for name in names]
    if not any(len(d) for d in data):
        _empty(ax, f"no successful calls with a {label}")
        ax.set_title(title, loc="left")
        return fig
    colors = arm_colors(names)
    positions = np.arange(1, len(names) + 1)
    shown = [d if len(d) else np.array([np.nan]) for d in data]
    ax.boxplot(
        shown,
        positions=positions,
        vert=False,
        widths=0.55,
        showfliers=False,
        medianprops={"color": "black"},
    )
    rng = np.random.default_rng(0)
    for pos, name, d in zip(positions, names, data, strict=True):
        if len(d):
            dots = d if len(d) <= _MAX_DOTS else rng.choice(d, _MAX_DOTS, replace=False)
            jitter = rng.uniform(-0.18, 0.18, size=len(dots))
            ax.scatter(dots, pos + jitter, s=9, alpha=0.45, color=colors[name], linewidths=0)
            p95 = float(np.quantile(d, 0.95))
            ax.plot([p95], [pos], marker="|", markersize=14, color="#c0392b")
    ax.plot([], [], marker="|", markersize=10, linestyle="", color="#c0392b", label="p95")
    ax.plot([], [], color="black", label="median (box: p25-p75)")
    ax.set_yticks(positions, [f"{n}  (n={len(d)})" for n, d in zip(names, data, strict=True)])
    ax.invert_yaxis()
    ax.set_xlabel(f"{label} (seconds)")
    ax.set_xlim(left=0)
    ax.grid(axis="x", alpha=0.3)
    ax.set_title(title, loc="left")
    _legend(ax)
    return fig


def latency(df: pd.DataFrame) -> Figure:
    """Latency (send to last byte) per arm: box with every call as a dot, p95 marked."""
    return _distribution(
        df, "latency_s", "latency", "Latency per backend (successful, uncached calls)"
    )


def ttft(df: pd.DataFrame) -> Figure:
    """Time to first token per arm: box with every call as a dot, p95 marked."""
    return _distribution(
        df, "ttft_s", "time to first token", "Time to first token per backend (streamed calls)"
    )


def errors(df: pd.DataFrame) -> Figure:
    """Errors per arm, stacked by error type; the share of failed calls at each bar's end."""
    table = error_table(df)
    names = list(table.index)
    fig = _figure(7.5, 1.0 + 0.45 * max(len(names), 2))
    ax = fig.add_subplot()
    ax.set_title("Errors per backend, by type", loc="left")
    if table.empty or int(table.to_numpy().sum()) == 0:
        _empty(ax, "no errors" if names else "no results")
        return fig
    totals = dedupe(df).assign(arm=lambda d: arm_column(d)).groupby("arm").size()
    left = np.zeros(len(names))
    require("matplotlib")
    from matplotlib import colormaps

    cmap = colormaps["Set2"]
    positions = np.arange(len(names))
    for i, kind in enumerate(table.columns):
        counts = table[kind].to_numpy(dtype=float)
        ax.barh(positions, counts, left=left, color=cmap(i % cmap.N), label=str(kind), height=0.6)
        left += counts
    for pos, name, total_err in zip(positions, names, left, strict=True):
        share = total_err / max(int(totals.get(name, 0)), 1)
        ax.text(
            float(total_err),
            float(pos),
            f"  {int(total_err)} ({share:.0%})",
            va="center",
            fontsize=9,
        )
    ax.set_yticks(positions, names)
    ax.invert_yaxis()
    ax.set_xlabel("failed calls (count, after retries)")
    ax.set_xlim(0, max(left.max() * 1.25, 1))
    ax.grid(axis="x", alpha=0.3)
    _legend(ax, title="error type")
    return fig


def _pareto(cost: np.ndarray, quality: np.ndarray) -> np.ndarray:
    """Mask of points no other point beats (cheaper or equal and better or equal, one strictly)."""
    keep = np.ones(len(cost), dtype=bool)
    for i in range(len(cost)):
        better = (
            (cost <= cost[i])
            & (quality >= quality[i])
            & ((cost < cost[i]) | (quality > quality[i]))
        )
        keep[i] = not better.any()
    return keep


def _recommended_name(recommendation: Any) -> str | None:
    if recommendation is None:
        return None
    policy = getattr(recommendation, "policy", None)
    if policy is None:
        return None
    describe = getattr(policy, "describe", None)
    return str(describe()) if callable(describe) else str(policy)


def arm_summary(df: pd.DataFrame) -> pd.DataFrame:
    """``summarize`` per arm, in ``arms`` order (what ``cost_quality`` plots)."""
    summary = summarize(dedupe(df).assign(arm=lambda d: arm_column(d)), by="arm")
    return summary.reindex([n for n in arms(df) if n in summary.index])


def cost_quality(
    df: pd.DataFrame | None = None,
    *,
    summary: pd.DataFrame | None = None,
    table: pd.DataFrame | None = None,
    recommendation: Any = None,
    max_cost_per_1k: float | None = None,
    min_quality: float | None = None,
) -> Figure:
    """Quality against cost per 1,000 requests: each arm with its 95% interval, the Pareto
    frontier, and (given a ``simulate`` table) every policy, the policies' frontier and the
    recommended one. Constraints, when given, are drawn as dashed lines. ``summary`` (from
    ``arm_summary``) saves recomputing it when only the policies or constraints change."""
    if summary is None:
        if df is None:
            raise TypeError("cost_quality needs results (df) or an arm summary (summary=)")
        summary = arm_summary(df)
    names = [str(n) for n in summary.index]
    colors = arm_colors(names)
    fig = _figure(8.0, 4.8)
    ax = fig.add_subplot()
    ax.set_title("Quality vs cost", loc="left")
    cost = summary["cost_per_1k"].to_numpy(dtype=float)
    quality = summary["score_mean"].to_numpy(dtype=float)
    known = np.isfinite(cost) & np.isfinite(quality)
    policy_rows = _policy_points(table)
    if not known.any() and policy_rows is None:
        _empty(ax, "no arm has both a known cost and a score")
        return fig
    for name, c, q, lo, hi in zip(
        summary.index, cost, quality, summary["score_lo"], summary["score_hi"], strict=True
    ):
        if not (math.isfinite(c) and math.isfinite(q)):
            continue
        yerr = None
        if math.isfinite(lo) and math.isfinite(hi):
            yerr = [[q - lo], [hi - q]]
        ax.errorbar(
            [c],
            [q],
            yerr=yerr,
            fmt="o",
            markersize=8,
            capsize=3,
            color=colors[str(name)],
            label=f"{name}",
        )
    if known.sum() >= 1:
        front = _pareto(cost[known], quality[known])
        fc, fq = cost[known][front], quality[known][front]
        order = np.argsort(fc)
        ax.plot(
            fc[order],
            fq[order],
            color="#333",
            linestyle=":",
            linewidth=1.2,
            label="frontier of single backends",
        )
    if policy_rows is not None:
        pc, pq, pf, pnames = policy_rows
        ax.scatter(pc, pq, s=22, color="#9aa5b1", zorder=1, label="simulated policies")
        if pf.any():
            order = np.argsort(pc[pf])
            ax.plot(
                pc[pf][order],
                pq[pf][order],
                color="#1f6feb",
                linewidth=1.6,
                label="frontier of policies",
            )
        chosen = _recommended_name(recommendation)
        if chosen is not None and chosen in pnames:
            i = pnames.index(chosen)
            ax.scatter(
                [pc[i]],
                [pq[i]],
                s=260,
                marker="*",
                color="#f5a623",
                edgecolors="black",
                zorder=5,
                label=f"recommended: {_short(chosen)}",
            )
    if max_cost_per_1k is not None and math.isfinite(max_cost_per_1k):
        ax.axvline(
            max_cost_per_1k, color="#c0392b", linestyle="--", linewidth=1, label="max cost per 1k"
        )
    if min_quality is not None and math.isfinite(min_quality):
        ax.axhline(min_quality, color="#8e44ad", linestyle="--", linewidth=1, label="min quality")
    every_cost = np.concatenate([cost[known], policy_rows[0] if policy_rows else np.array([])])
    positive = every_cost[every_cost > 0]
    if len(positive) >= 2 and positive.max() / positive.min() > 20 and (every_cost > 0).all():
        ax.set_xscale("log")
    from matplotlib.ticker import FuncFormatter

    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _pos: f"${v:g}"))
    ax.set_xlabel("cost per 1,000 requests (USD)")
    ax.set_ylabel("quality (mean score, 95% interval)")
    ax.grid(alpha=0.3)
    _legend(ax, fontsize=9)
    missing = [str(n) for n, ok in zip(summary.index, known, strict=True) if not ok]
    if missing:
        fig.text(
            0.01,
            0.01,
            f"not shown (no price or no score): {', '.join(missing)}",
            fontsize=8,
            color="#777",
        )
    return fig


def _short(text: str, limit: int = 48) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _policy_points(
    table: pd.DataFrame | None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[str]] | None:
    if table is None or table.empty:
        return None
    cost = pd.to_numeric(table["cost_per_1k"], errors="coerce").to_numpy(dtype=float)
    quality = pd.to_numeric(table["quality"], errors="coerce").to_numpy(dtype=float)
    keep = np.isfinite(cost) & np.isfinite(quality)
    if "frontier" in table.columns:
        front = table["frontier"].fillna(False).to_numpy(dtype=bool)
    else:
        front = np.zeros(len(table), dtype=bool)
        front[keep] = _pareto(cost[keep], quality[keep])
    names = [str(p) for p in table["policy"]]
    kept = [n for n, k in zip(names, keep, strict=True) if k]
    return cost[keep], quality[keep], front[keep], kept


def to_png(fig: Figure, *, dpi: int = 100) -> bytes:
    """The figure as PNG bytes."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi)
    return buf.getvalue()


def to_data_uri(fig: Figure, *, dpi: int = 100) -> str:
    """The figure as a ``data:image/png;base64,...`` URI (for a self-contained HTML page)."""
    return "data:image/png;base64," + base64.b64encode(to_png(fig, dpi=dpi)).decode("ascii")


_registered = False


def _register_ipython_display() -> None:
    """In IPython, display a Figure returned by these functions as a PNG (no pyplot needed)."""
    global _registered
    if _registered:
        return
    _registered = True
    try:
        from IPython import get_ipython
    except ImportError:
        return
    shell = get_ipython()
    if shell is None:
        return
    from matplotlib.figure import Figure

    formatter: Mapping[str, Any] = shell.display_formatter.formatters
    formatter["image/png"].for_type(Figure, lambda f: to_png(f))
