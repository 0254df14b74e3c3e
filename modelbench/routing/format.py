"""The simulated table for people (fixed-width text) and for programs (records, CSV)."""

from __future__ import annotations

import io
import json
import math
import shutil
import textwrap
from typing import Any

import numpy as np
import pandas as pd

from modelbench.bench.format import dollars
from modelbench.units import seconds

__all__ = ["MIN_POLICY_WIDTH", "format_table", "same_figures", "table_records", "to_csv"]


def table_records(table: pd.DataFrame) -> list[dict[str, Any]]:
    """JSON-ready rows: the ``obj`` column becomes ``spec`` (its ``to_dict()``); NaN is None."""
    records = []
    for row in table.to_dict("records"):
        obj = row.pop("obj")
        row["spec"] = obj.to_dict()
        records.append({k: _plain(v) for k, v in row.items()})
    return records


def to_csv(table: pd.DataFrame) -> str:
    """CSV of ``table_records``: ``share`` as ``arm=fraction;...``, ``spec`` as JSON."""
    rows = table_records(table)
    for row in rows:
        row["share"] = ";".join(f"{a}={f:.6g}" for a, f in (row["share"] or {}).items())
        row["spec"] = json.dumps(row["spec"], sort_keys=True)
    out = io.StringIO()
    pd.DataFrame(rows).to_csv(out, index=False)
    return out.getvalue()


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _num(value: float, fmt: str) -> str:
    return "-" if not math.isfinite(value) else format(value, fmt)


MIN_POLICY_WIDTH = 36
"""The policy column is cut to the terminal's width, but never below this many characters."""

# What a reader compares: rows equal in all of these are the same policy as far as the
# replay can tell (cv, family and the frontier flag follow from the rest or do not matter).
_SAME = (
    "quality",
    "quality_lo",
    "quality_hi",
    "cost_total",
    "cost_per_1k",
    "latency_p50",
    "latency_p95",
    "latency_p99",
    "ttft_p50",
    "ttft_p95",
    "error_rate",
    "share",
    "requests",
    "delta_vs_best",
    "delta_lo",
    "delta_hi",
    "exportable",
)


def _figures_key(row: dict[str, Any]) -> tuple[Any, ...]:
    def plain(value: Any) -> Any:
        if isinstance(value, dict):
            return tuple(sorted((str(k), plain(v)) for k, v in value.items()))
        if isinstance(value, float | np.floating) and math.isnan(value):
            return None  # NaN == NaN here
        return value.item() if isinstance(value, np.generic) else value

    return tuple(plain(row.get(column)) for column in _SAME)


def _simplicity(row: dict[str, Any]) -> tuple[int, int, str]:
    obj = row.get("obj")
    arms = len(set(obj.members())) if obj is not None else 0
    return (arms, len(row["policy"]), row["policy"])


def same_figures(table: pd.DataFrame, keep: str | None = None) -> dict[str, list[str]]:
    """Policies whose replayed figures are all identical, folded into the simplest one.

    Returns shown policy -> the others with its figures (only groups of two or more): e.g.
    ``Fallback(a -> b)`` replays exactly like ``Single(a)`` when ``a`` never failed. The
    simplest has the fewest arms, then the shortest name; ``keep`` (the recommendation) is
    always the one shown.
    """
    groups: dict[tuple[Any, ...], list[dict[str, Any]]] = {}
    for row in table.to_dict("records"):
        groups.setdefault(_figures_key(row), []).append(row)
    out: dict[str, list[str]] = {}
    for rows in groups.values():
        if len(rows) < 2:
            continue
        rows.sort(key=lambda r: (r["policy"] != keep, _simplicity(r)))
        out[rows[0]["policy"]] = [r["policy"] for r in rows[1:]]
    return out


def _cut(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def _wrapped(names: list[str], width: int) -> list[str]:
    """``names`` joined by `` = `` on indented lines, broken between names where they fit
    on a line (a longer name breaks at its own spaces)."""
    width = max(width, 40)
    room = width - 6
    glued = [n.replace(" ", "\0") if len(n) <= room else n for n in names]
    lines = textwrap.wrap(
        " = ".join(glued),
        width=width,
        initial_indent="  ",
        subsequent_indent="      ",
        break_on_hyphens=False,
        break_long_words=False,
    )
    return [line.replace("\0", " ") for line in lines]


def format_table(table: pd.DataFrame, chosen: str | None = None, width: int | None = None) -> str:
    """Text table sorted by cost; ``*`` marks the frontier, ``>`` the chosen policy.

    Policies whose replayed figures are identical to a simpler one's are folded into its row
    (``(+N same)``, named below the table). Policy names are cut with ``…`` to fit ``width``
    (default: the terminal's); the frontier's and the choice's are then given in full below.
    The JSON and CSV forms (``table_records``, ``to_csv``) keep every row and full name.
    """
    if table.empty:
        return "(no policies)"
    width = width or shutil.get_terminal_size().columns
    folded = same_figures(table, keep=chosen)
    hidden = {name for names in folded.values() for name in names}
    rows = table[~table["policy"].isin(hidden)]
    rows = rows.assign(_q=-rows["quality"].fillna(-1)).sort_values(
        ["cost_per_1k", "_q", "policy"], kind="stable"
    )
    records = rows.to_dict("records")
    cells: list[list[str]] = []
    for r in records:
        mark = (">" if r["policy"] == chosen else " ") + ("*" if r["frontier"] else " ")
        ci = (
            f"[{r['quality_lo']:.3f}, {r['quality_hi']:.3f}]"
            if math.isfinite(r["quality_lo"])
            else ""
        )
        delta = f"{r['delta_vs_best']:+.3f}" if math.isfinite(r["delta_vs_best"]) else "-"
        cells.append(
            [
                mark,
                r["policy"],
                _num(r["quality"], ".3f"),
                ci,
                dollars(r["cost_per_1k"]),
                seconds(r["latency_p50"]),
                seconds(r["latency_p95"]),
                seconds(r["ttft_p95"]),
                f"{r['error_rate']:.1%}",
                delta,
                "cv" if r["cv"] else "",
            ]
        )
    head = ["", "policy", "quality", "95% CI", "$/1k req", "p50", "p95", "ttft p95", "err%"]
    head += ["vs best", "cv"]
    if folded:  # a column saying how many more policies each row stands for
        head.insert(2, "same")
        for c, r in zip(cells, records, strict=True):
            c.insert(2, f"+{len(folded[r['policy']])}" if r["policy"] in folded else "")
    suffixes = ["" if r["exportable"] else " (reference)" for r in records]
    widths = [max(len(h), *(len(c[i]) for c in cells)) for i, h in enumerate(head)]
    others = sum(widths) - widths[1] + 2 * (len(head) - 1)
    room = max(width - others, MIN_POLICY_WIDTH)
    cut: list[str] = []  # frontier or chosen rows whose name does not fit
    for c, suffix, r in zip(cells, suffixes, records, strict=True):
        name = _cut(c[1], max(room - len(suffix), 12))
        if name != c[1] and (r["frontier"] or r["policy"] == chosen):
            cut.append(c[1])
        c[1] = name + suffix
    widths[1] = max(len(head[1]), *(len(c[1]) for c in cells))
    left = {0, 1}

    def line(values: list[str]) -> str:
        return "  ".join(
            v.ljust(w) if i in left else v.rjust(w)
            for i, (v, w) in enumerate(zip(values, widths, strict=True))
        ).rstrip()

    out = [line(head), *(line(c) for c in cells)]
    attrs = table.attrs
    out.append(
        "* on the cost-quality frontier   > the recommendation"
        + ("   same: +N more policies replay to exactly these figures (below)" if folded else "")
    )
    out.append(
        f"vs best: quality minus the best single model ({attrs.get('best_single', '?')}), "
        "paired over prompts"
    )
    if table["quality"].notna().any():
        from modelbench.routing.frontier import aiq

        out.append(f"AIQ (area under the cost-quality hull / cost range): {aiq(table):.3f}")
    if bool(table["cv"].any()):
        out.append(f"cv: learned, scored by {attrs.get('folds', '?')}-fold cross-validation")
    out += [f"note: {n}" for n in attrs.get("notes", [])]
    shown = [r["policy"] for r in records if r["policy"] in folded]
    if shown:
        out.append("same figures as the row shown (the simplest of them):")
        for name in shown:
            out += _wrapped([name, *folded[name]], width)
    in_full = [name for name in cut if name not in folded]
    if in_full:
        out.append("in full (cut above):")
        for name in in_full:
            out += _wrapped([name], width)
    return "\n".join(out)
