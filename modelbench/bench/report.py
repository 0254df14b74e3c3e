"""A results file as one HTML page: the summary, the summary per category, and the outputs of
every backend side by side for each prompt (what a person reads to trust the numbers)."""

from __future__ import annotations

import html
import math
import re
from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from modelbench.bench.format import to_html
from modelbench.bench.record import DatasetItem
from modelbench.bench.summary import dedupe, summarize

__all__ = ["html_report"]

_STYLE = (
    "body{font-family:system-ui,sans-serif;margin:2em}"
    "table{border-collapse:collapse;margin-bottom:1.5em}"
    "th,td{padding:.3em .8em;text-align:right;vertical-align:top}"
    "th{border-bottom:1px solid #999}.key{text-align:left}"
    ".note{color:#555;font-size:.9em}"
    ".modelbench-summary td,.modelbench-summary th{white-space:nowrap}"
    # policy descriptions (a per-category mapping) can be hundreds of characters: they wrap,
    # so the figures beside them stay on the page
    ".modelbench-summary td.wrap{white-space:normal;min-width:16em;max-width:36em}"
    ".modelbench-summary tr.chosen td{font-weight:bold}"
    "img.figure{max-width:100%;height:auto;display:block;margin:.5em 0 1.5em}"
    "table.outputs td{text-align:left;font-family:ui-monospace,monospace;white-space:pre-wrap}"
    ".hit{background:#e6f4ea}.miss{background:#fce8e6}.err{background:#fff4d6}"
    "table.outputs div{margin:.15em 0;padding:.1em .3em}.rep{color:#888}"
    ".prompt{font-family:ui-monospace,monospace;white-space:pre-wrap;margin-top:.3em}"
    ".expected{color:#1a5e20;margin-top:.3em}"
)


def _output(row: pd.Series) -> str:
    """One repeat's answer, coloured by its score (yellow for an error)."""
    repeat = f"<span class='rep'>#{row['repeat']}</span> " if "repeat" in row else ""
    if row["error_type"]:
        text = f"[{row['error_type']}] {row['error']}"
        return f"<div class='err' title='error'>{repeat}{html.escape(text)}</div>"
    score = row["score"]
    css = (
        ""
        if score is None or (isinstance(score, float) and math.isnan(score))
        else (" class='hit'" if score >= 0.5 else " class='miss'")
    )
    return f"<div{css}>{repeat}{html.escape(str(row['output']))}</div>"


def _natural(text: str) -> list[Any]:
    """``q2`` before ``q10``."""
    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", text)]


def _prompt_order(df: pd.DataFrame, dataset: Sequence[DatasetItem] | None) -> list[str]:
    """Dataset order when the dataset is given (then prompts not in it), else natural order."""
    present = dict.fromkeys(df["prompt_id"].astype(str))
    if dataset is None:
        return sorted(present, key=_natural)
    ordered = [item.id for item in dataset if item.id in present]
    return ordered + sorted(set(present) - set(ordered), key=_natural)


def _prompt_cell(pid: str, category: str, item: DatasetItem | None) -> str:
    parts = [f"<b>{html.escape(pid)}</b>"]
    if category:
        parts.append(f"<span class='note'>{html.escape(category)}</span>")
    if item is not None:
        prompt = item.prompt if item.prompt is not None else _last_user(item)
        parts.append(f"<div class='prompt'>{html.escape(prompt)}</div>")
        if item.expected is not None:
            expected = item.expected
            shown = " | ".join(map(str, expected)) if isinstance(expected, list) else expected
            parts.append(f"<div class='expected'>expected: {html.escape(str(shown))}</div>")
    return "<td class='key'>" + "<br>".join(parts[:2]) + "".join(parts[2:]) + "</td>"


def _last_user(item: DatasetItem) -> str:
    for message in reversed(item.messages or []):
        if message.get("role") == "user":
            content = message.get("content")
            return content if isinstance(content, str) else str(content)
    return ""


def _outputs_table(
    df: pd.DataFrame, max_prompts: int, dataset: Sequence[DatasetItem] | None
) -> str:
    """Every repeat of each prompt: one column per (model, backend), coloured by score."""
    rows_by_key = df.sort_values("repeat", kind="stable")
    columns = list(dict.fromkeys(zip(df["model"], df["backend"], strict=True)))
    order = _prompt_order(df, dataset)
    prompts = order[:max_prompts]
    items = {item.id: item for item in dataset or ()}
    cells: dict[tuple[str, str, str], list[str]] = {}
    for _, r in rows_by_key.iterrows():
        cells.setdefault((str(r["prompt_id"]), r["model"], r["backend"]), []).append(_output(r))
    category = dict(zip(df["prompt_id"].astype(str), df["category"].astype(str), strict=True))
    head = "".join(
        f"<th class='key'>{html.escape(m)}<br><span class='note'>{html.escape(b)}</span></th>"
        for m, b in columns
    )
    rows = []
    for pid in prompts:
        outputs = "".join(
            "<td>" + "".join(cells.get((pid, m, b), [])) + "</td>" for m, b in columns
        )
        rows.append(f"<tr>{_prompt_cell(pid, category.get(pid, ''), items.get(pid))}{outputs}</tr>")
    more = len(order) - len(prompts)
    note = f"<p class='note'>{more} more prompts not shown.</p>" if more > 0 else ""
    return (
        "<table class='outputs'>\n<thead><tr><th class='key'>prompt</th>"
        + head
        + "</tr></thead>\n<tbody>\n"
        + "\n".join(rows)
        + "\n</tbody>\n</table>"
        + note
    )


def _skipped_note(skipped: Mapping[str, str]) -> str:
    items = "".join(
        f"<li>{html.escape(name)}: {html.escape(reason)}</li>" for name, reason in skipped.items()
    )
    return f"<p class='note'>Backends not in these results:</p>\n<ul class='note'>{items}</ul>"


def html_report(
    df: pd.DataFrame,
    *,
    title: str = "modelbench report",
    max_prompts: int = 200,
    dataset: Sequence[DatasetItem] | None = None,
    skipped: Mapping[str, str] | None = None,
    sections: Sequence[str] = (),
) -> str:
    """A whole HTML page for a results DataFrame (as read by ``read_results``).

    With the ``dataset`` (``load_dataset``), prompts are listed in its order with their text
    and expected answer; ``skipped`` names backends that have no rows, with the reason.
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
        if skipped:
            parts.append(_skipped_note(skipped))
        if df["category"].astype(str).str.len().gt(0).any():
            by_category = summarize(df, by=("category", "model", "backend"))
            parts.append(to_html(by_category, title="Per category"))
        parts.extend(sections)
        parts.append("<h2>Outputs side by side</h2>")
        parts.append(
            "<p class='note'>every repeat (#0, #1, ...); green: score &ge; 0.5, red: below, "
            "yellow: error, plain: not scored.</p>"
        )
        parts.append(_outputs_table(df, max_prompts, dataset))
    body = "\n".join(parts)
    return (
        "<!doctype html>\n<html><head><meta charset='utf-8'>"
        f"<title>{html.escape(title)}</title>\n<style>{_STYLE}</style></head>\n<body>\n"
        f"{body}\n</body></html>\n"
    )
