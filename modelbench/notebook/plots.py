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
    "LiveFrontier",
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


def _straight(x: np.ndarray, y: np.ndarray, steps: int = 64) -> tuple[np.ndarray, np.ndarray]:
    """The segments between frontier points, sampled so they stay straight in *data* space.

    A point between two frontier points is what a weighted mix of the two achieves (cost and
    quality both average linearly); on a log cost axis that line is a curve, and a plain
    two-point segment would draw a frontier above what any mix reaches.
    """
    if len(x) < 2:
        return x, y
    t = np.linspace(0.0, 1.0, steps)[:-1]
    xs = [x[i] + (x[i + 1] - x[i]) * t for i in range(len(x) - 1)]
    ys = [y[i] + (y[i + 1] - y[i]) * t for i in range(len(y) - 1)]
    return np.concatenate([*xs, x[-1:]]), np.concatenate([*ys, y[-1:]])


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
    summary = _singles_from(summary, table)
    cost = summary["cost_per_1k"].to_numpy(dtype=float)
    quality = summary["score_mean"].to_numpy(dtype=float)
    known = np.isfinite(cost) & np.isfinite(quality)
    policy_rows = _policy_points(table)
    if not known.any() and policy_rows is None:
        _empty(ax, "no arm has both a known cost and a score")
        return fig
    reference = _reference_points(table)
    if reference is not None:
        ax.scatter(reference[0], reference[1], s=40, facecolors="none", edgecolors="#9aa5b1",
                   label="reference only (not exportable)")  # fmt: skip
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
            *_straight(fc[order], fq[order]),
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
                *_straight(pc[pf][order], pq[pf][order]),
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
    ax.set_ylabel(
        "quality (mean score, 95% interval)"
        if table is None
        else "quality (mean score, errors count 0; 95% CI)"
    )
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


def _singles_from(summary: pd.DataFrame, table: pd.DataFrame | None) -> pd.DataFrame:
    """With a ``simulate`` table, each arm at its ``Single(arm)`` figures, so arms and
    policies share one definition of quality (an error scores 0) and of cost."""
    if table is None or table.empty or "policy" not in table.columns:
        return summary
    rows = table.set_index(table["policy"].astype(str))
    out = summary.copy()
    for arm in summary.index:
        key = f"Single({arm})"
        if key in rows.index:
            row = rows.loc[key]
            out.loc[arm, "cost_per_1k"] = float(row["cost_per_1k"])
            out.loc[arm, "score_mean"] = float(row["quality"])
            out.loc[arm, "score_lo"] = float(row.get("quality_lo", math.nan))
            out.loc[arm, "score_hi"] = float(row.get("quality_hi", math.nan))
    return out


def _exportable(table: pd.DataFrame) -> np.ndarray:
    if "exportable" in table.columns:
        return table["exportable"].fillna(True).to_numpy(dtype=bool)
    return np.ones(len(table), dtype=bool)


def _reference_points(table: pd.DataFrame | None) -> tuple[np.ndarray, np.ndarray] | None:
    """Policies no gateway can run (Oracle): drawn hollow, never recommended."""
    if table is None or table.empty:
        return None
    ref = table[~_exportable(table)]
    if ref.empty:
        return None
    cost = pd.to_numeric(ref["cost_per_1k"], errors="coerce").to_numpy(dtype=float)
    quality = pd.to_numeric(ref["quality"], errors="coerce").to_numpy(dtype=float)
    return cost, quality


def _policy_points(
    table: pd.DataFrame | None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[str]] | None:
    if table is None or table.empty:
        return None
    table = table[_exportable(table)]
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


_STAR: dict[str, Any] = {
    "s": 260,
    "marker": "*",
    "color": "#f5a623",
    "edgecolors": "black",
    "zorder": 5,
}


class LiveFrontier:
    """``cost_quality`` for a slider: the arms, policies and frontiers are drawn once; each
    ``render`` restores that background and draws only the recommended point and the
    constraint lines on it (Agg blitting), then encodes the PNG: milliseconds, not a redraw.

        live = LiveFrontier(arm_summary(df), simulate(df))
        png = live.render(recommendation, min_quality=0.8, max_cost_per_1k=None)
    """

    def __init__(self, summary: pd.DataFrame, table: pd.DataFrame) -> None:
        fig = cost_quality(summary=summary, table=table)
        ax = fig.axes[0]
        # legend entries for what render() draws, so the static legend explains them
        ax.scatter([], [], label="recommended policy", **{**_STAR, "s": 140})
        ax.plot([], [], color="#8e44ad", linestyle="--", linewidth=1, label="min quality")
        ax.plot([], [], color="#c0392b", linestyle="--", linewidth=1, label="max cost per 1k")
        _legend(ax, fontsize=9)
        from matplotlib.backends.backend_agg import FigureCanvasAgg

        self.figure = fig
        self.axes = ax
        self.canvas = FigureCanvasAgg(fig)
        self.canvas.draw()  # lays the figure out once
        fig.set_layout_engine("none")  # and freezes it
        ax.set_autoscale_on(False)
        self.background = self.canvas.copy_from_bbox(fig.bbox)
        self.points = _policy_points(table)
        self.star = ax.scatter([np.nan], [np.nan], animated=True, **_STAR)
        self.quality_line = ax.axhline(0, color="#8e44ad", linestyle="--", linewidth=1,
                                       animated=True)  # fmt: skip
        self.cost_line = ax.axvline(1, color="#c0392b", linestyle="--", linewidth=1,
                                    animated=True)  # fmt: skip
        self.label = ax.annotate("", (0, 0), xytext=(8, -14), textcoords="offset points",
                                 fontsize=9, animated=True, zorder=6)  # fmt: skip

    def render(
        self,
        recommendation: Any,
        *,
        min_quality: float | None = None,
        max_cost_per_1k: float | None = None,
    ) -> bytes:
        """The figure with ``recommendation`` starred and the constraints drawn, as PNG."""
        self.canvas.restore_region(self.background)
        point = self._point(_recommended_name(recommendation))
        log = self.axes.get_xscale() == "log"
        if point is not None and not (log and point[0] <= 0):
            self.star.set_offsets([point])
            self.label.xy = point
            x_axes = self.axes.transLimits.transform(self.axes.transScale.transform(point))[0]
            right = x_axes > 0.55
            self.label.set_horizontalalignment("right" if right else "left")
            self.label.set_position((-10, -16) if right else (10, -16))
            self.label.set_text(_short(_recommended_name(recommendation) or "", 40))
            self.axes.draw_artist(self.star)
            self.axes.draw_artist(self.label)
        if min_quality is not None and math.isfinite(min_quality):
            self.quality_line.set_ydata([min_quality, min_quality])
            self.axes.draw_artist(self.quality_line)
        if (
            max_cost_per_1k is not None
            and math.isfinite(max_cost_per_1k)
            and not (log and max_cost_per_1k <= 0)
        ):
            self.cost_line.set_xdata([max_cost_per_1k, max_cost_per_1k])
            self.axes.draw_artist(self.cost_line)
        from PIL import Image

        buf = io.BytesIO()
        Image.fromarray(np.asarray(self.canvas.buffer_rgba())).save(buf, "png", compress_level=1)
        return buf.getvalue()

    def _point(self, name: str | None) -> tuple[float, float] | None:
        if name is None or self.points is None:
            return None
        cost, quality, _front, names = self.points
        if name not in names:
            return None
        i = names.index(name)
        return float(cost[i]), float(quality[i])
