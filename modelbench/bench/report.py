"""A results file as one HTML page: the summary, the summary per category, and the outputs of
every backend side by side for each prompt (what a person reads to trust the numbers)."""

from __future__ import annotations

import html
import math
from collections.abc import Sequence

import pandas as pd

from modelbench.bench.format import to_html
from modelbench.bench.summary import dedupe, summarize

__all__ = ["html_report"]

_STYLE = (
    "body{font-family:system-ui,sans-serif;margin:2em}"
    "table{border-collapse:collapse;margin-bottom:1.5em}"
    "th,td{padding:.3em .8em;text-align:right;vertical-align:top}"
    "th{border-bottom:1px solid #999}.key{text-align:left}"
    ".note{color:#555;font-size:.9em}"
    ".modelbench-summary td,.modelbench-summary th{white-space:nowrap}"
    "img.figure{max-width:100%;height:auto;display:block;margin:.5em 0 1.5em}"
    "table.outputs td{text-align:left;font-family:ui-monospace,monospace;white-space:pre-wrap}"
    "td.hit{background:#e6f4ea}td.miss{background:#fce8e6}td.err{background:#fff4d6}"
)


def _cell(row: pd.Series | None) -> str:
    if row is None:
        return "<td></td>"
    if row["error_type"]:
        text = f"[{row['error_type']}] {row['error']}"
        return f"<td class='err' title='error'>{html.escape(text)}</td>"
    score = row["score"]
    css = (
        ""
        if score is None or (isinstance(score, float) and math.isnan(score))
        else (" class='hit'" if score >= 0.5 else " class='miss'")
    )
    return f"<td{css}>{html.escape(str(row['output']))}</td>"


def _outputs_table(df: pd.DataFrame, max_prompts: int) -> str:
    """First repeat of each prompt: one column per (model, backend), coloured by score."""
    first = df.sort_values("repeat").drop_duplicates(["prompt_id", "model", "backend"])
    columns = list(dict.fromkeys(zip(first["model"], first["backend"], strict=True)))
    prompts = list(dict.fromkeys(first["prompt_id"]))[:max_prompts]
    index = {(r["prompt_id"], r["model"], r["backend"]): r for _, r in first.iterrows()}
    category = dict(zip(first["prompt_id"], first["category"], strict=True))
    head = "".join(
        f"<th class='key'>{html.escape(m)}<br><span class='note'>{html.escape(b)}</span></th>"
        for m, b in columns
    )
    rows = []
    for pid in prompts:
        cells = "".join(_cell(index.get((pid, m, b))) for m, b in columns)
        label = html.escape(str(pid))
        cat = html.escape(str(category.get(pid, "")))
        rows.append(
            f"<tr><td class='key'>{label}<br><span class='note'>{cat}</span></td>{cells}</tr>"
        )
    more = len(dict.fromkeys(first["prompt_id"])) - len(prompts)
    note = f"<p class='note'>{more} more prompts not shown.</p>" if more > 0 else ""
    return (
        "<table class='outputs'>\n<thead><tr><th class='key'>prompt</th>"
        + head
        + "</tr></thead>\n<tbody>\n"
        + "\n".join(rows)
        + "\n</tbody>\n</table>"
        + note
    )


def html_report(
    df: pd.DataFrame,
    *,
    title: str = "modelbench report",
    max_prompts: int = 200,
    sections: Sequence[str] = (),
) -> str:
    """A whole HTML page for a results DataFrame (as read by ``read_results``).

    ``sections`` are HTML blocks placed after the summaries (the CLI adds the figures and the
    routing policies there; this layer does not draw them itself).
    """
    df = dedupe(df)
    parts = [f"<h1>{html.escape(title)}</h1>"]
    if df.empty:
        parts.append("<p>(no results)</p>")
    else:
        runs = ", ".join(sorted(str(r) for r in df["run_id"].unique()))
        parts.append(
            f"<p class='note'>{len(df)} rows from run(s) {html.escape(runs)}; "
            "latency and TTFT from successful, uncached calls.</p>"
        )
        parts.append(to_html(summarize(df), title="Per backend"))
        if df["category"].astype(str).str.len().gt(0).any():
            by_category = summarize(df, by=("category", "model", "backend"))
            parts.append(to_html(by_category, title="Per category"))
        parts.extend(sections)
        parts.append("<h2>Outputs side by side (first repeat)</h2>")
        parts.append(
            "<p class='note'>green: score &ge; 0.5, red: below, yellow: error, "
            "plain: not scored.</p>"
        )
        parts.append(_outputs_table(df, max_prompts))
    body = "\n".join(parts)
    return (
        "<!doctype html>\n<html><head><meta charset='utf-8'>"
        f"<title>{html.escape(title)}</title>\n<style>{_STYLE}</style></head>\n<body>\n"
        f"{body}\n</body></html>\n"
    )
