"""The simulated table for people (fixed-width text) and for programs (records, CSV)."""

from __future__ import annotations

import io
import json
import math
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["format_table", "table_records", "to_csv"]


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


def _secs(value: float) -> str:
    if not math.isfinite(value):
        return "-"
    return f"{value * 1000:.0f}ms" if value < 1 else f"{value:.2f}s"


def format_table(table: pd.DataFrame, chosen: str | None = None) -> str:
    """Text table sorted by cost; ``*`` marks the frontier, ``>`` the chosen policy."""
    if table.empty:
        return "(no policies)"
    rows = table.assign(_q=-table["quality"].fillna(-1)).sort_values(
        ["cost_per_1k", "_q", "policy"], kind="stable"
    )
    cells: list[list[str]] = []
    for r in rows.to_dict("records"):
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
                r["policy"] + ("" if r["exportable"] else " (reference)"),
                _num(r["quality"], ".3f"),
                ci,
                _num(r["cost_per_1k"], ".4g"),
                _secs(r["latency_p50"]),
                _secs(r["latency_p95"]),
                _secs(r["ttft_p95"]),
                f"{r['error_rate']:.1%}",
                delta,
                "cv" if r["cv"] else "",
            ]
        )
    head = ["", "policy", "quality", "95% CI", "$/1k req", "p50", "p95", "ttft p95", "err%"]
    head += ["vs best", "cv"]
    widths = [max(len(h), *(len(c[i]) for c in cells)) for i, h in enumerate(head)]
    left = {0, 1}

    def line(values: list[str]) -> str:
        return "  ".join(
            v.ljust(w) if i in left else v.rjust(w)
            for i, (v, w) in enumerate(zip(values, widths, strict=True))
        ).rstrip()

    out = [line(head), *(line(c) for c in cells)]
    attrs = table.attrs
    out.append(
        "* on the cost-quality frontier   > the recommendation   "
        f"vs best: quality minus the best single model ({attrs.get('best_single', '?')}), "
        "paired over prompts"
    )
    if table["quality"].notna().any():
        from modelbench.routing.frontier import aiq

        out.append(f"AIQ (area under the cost-quality hull / cost range): {aiq(table):.3f}")
    if bool(table["cv"].any()):
        out.append(f"cv: learned, scored by {attrs.get('folds', '?')}-fold cross-validation")
    out += [f"note: {n}" for n in attrs.get("notes", [])]
    return "\n".join(out)
