"""A summary for people: the ``summarize`` table as fixed-width text and as HTML.

print(format_summary(summarize(df)))
page = to_html(summarize(df), title="run 3", full_page=True)
"""

from __future__ import annotations

import html
import math

import pandas as pd

from modelbench.bench.summary import SUMMARY_COLUMNS
from modelbench.units import seconds, usd

__all__ = ["dollars", "format_summary", "to_html"]


def dollars(value: float) -> str:
    """Money in a table cell: ``$0.0039``, ``$0.05``, ``$1.20``, ``$0.00`` for nothing, ``?``."""
    return "$0.00" if value == 0 else usd(value, digits=2)


def _display(summary: pd.DataFrame) -> tuple[pd.DataFrame, list[str]]:
    """Strings for a human: the columns worth a glance, and footnotes."""
    table = summary.reset_index()
    keys = [c for c in table.columns if c not in SUMMARY_COLUMNS]
    notes: list[str] = []
    rows: dict[str, list[str]] = {k: table[k].astype(str).tolist() for k in keys}
    rows["n"] = table["n"].astype(str).tolist()
    rows["err%"] = [f"{r:.1%}" if r > 0 else "0%" for r in table["error_rate"]]
    score, ci = [], []
    for mean, lo, hi in zip(table["score_mean"], table["score_lo"], table["score_hi"], strict=True):
        score.append("-" if math.isnan(mean) else f"{mean:.3f}")
        ci.append("" if math.isnan(lo) else f"[{lo:.3f}, {hi:.3f}]")
    rows["score"] = score
    rows["95% CI"] = ci
    for p in (50, 95):
        rows[f"p{p} lat"] = [seconds(v) for v in table[f"latency_p{p}"]]
    rows["p50 ttft"] = [seconds(v) for v in table["ttft_p50"]]
    rows["tok/s"] = ["-" if math.isnan(v) else f"{v:.1f}" for v in table["tokens_per_s"]]
    rows["rated"] = [f"{r}/{n}" for r, n in zip(table["tokens_per_s_n"], table["n"], strict=True)]
    per_1k = []
    for value, unknown in zip(table["cost_per_1k"], table["cost_unknown"], strict=True):
        per_1k.append(dollars(value) + ("*" if unknown and not math.isnan(value) else ""))
    rows["$/1k req"] = per_1k
    rows["cost"] = [dollars(v) for v in table["cost_usd"] + table["score_cost_usd"]]
    rows["cached"] = table["cache_hits"].astype(str).tolist()
    if (table["tokens_per_s_n"] < table["n"]).any():
        notes.append(
            "tok/s: decode speed, (output tokens - 1) / (latency - TTFT), median over the rows "
            "that have one (rated: those with 2+ output tokens, of all rows)"
        )
    if (table["cost_unknown"] > 0).any():
        notes.append("* some requests had no known price and are left out of $/1k req")
    if (table["score_ci"] == "t").any():
        notes.append("95% CI: Wilson for 0/1 scores, t interval otherwise")
    if (table["score_cost_usd"] > 0).any():
        notes.append("cost includes the judge's cost")
    return pd.DataFrame(rows), notes


def format_summary(summary: pd.DataFrame) -> str:
    """A fixed-width text table of a ``summarize`` result, for terminals."""
    if summary.empty:
        return "(no results)"
    table, notes = _display(summary)
    keys = [c for c in table.columns if c not in _DISPLAY_NUMERIC]
    widths = {c: max(len(c), *(len(v) for v in table[c])) for c in table.columns}

    def line(values: dict[str, str]) -> str:
        cells = [
            values[c].ljust(widths[c]) if c in keys else values[c].rjust(widths[c])
            for c in table.columns
        ]
        return "  ".join(cells).rstrip()

    out = [line({c: c for c in table.columns})]
    out += [line(row) for row in table.to_dict("records")]
    return "\n".join(out + notes)


_DISPLAY_NUMERIC = frozenset(
    {"n", "err%", "score", "95% CI", "p50 lat", "p95 lat", "p50 ttft", "tok/s", "rated"}
    | {"$/1k req", "cost", "cached"}
)


def to_html(summary: pd.DataFrame, *, title: str | None = None, full_page: bool = False) -> str:
    """The ``format_summary`` table as HTML (a ``<table>``; a whole page with ``full_page``)."""
    if summary.empty:
        body = "<p>(no results)</p>"
    else:
        table, notes = _display(summary)
        body = _html_table(table) + "".join(
            f"\n<p class='note'>{html.escape(n)}</p>" for n in notes
        )
    if title:
        body = f"<h2>{html.escape(title)}</h2>\n{body}"
    if not full_page:
        return body
    return (
        "<!doctype html>\n<html><head><meta charset='utf-8'>"
        f"<title>{html.escape(title or 'modelbench summary')}</title>\n<style>"
        "body{font-family:system-ui,sans-serif;margin:2em}"
        "table{border-collapse:collapse}th,td{padding:.3em .8em;text-align:right}"
        "th{border-bottom:1px solid #999}.key{text-align:left}"
        ".note{color:#555;font-size:.9em}</style></head>\n<body>\n"
        f"{body}\n</body></html>\n"
    )


def _html_table(table: pd.DataFrame) -> str:
    def cell(tag: str, column: str, text: str) -> str:
        css = "" if column in _DISPLAY_NUMERIC else " class='key'"
        return f"<{tag}{css}>{html.escape(text)}</{tag}>"

    head = "".join(cell("th", c, c) for c in table.columns)
    rows = [
        "<tr>" + "".join(cell("td", c, row[c]) for c in table.columns) + "</tr>"
        for row in table.to_dict("records")
    ]
    return (
        "<table class='modelbench-summary'>\n<thead><tr>"
        + head
        + "</tr></thead>\n<tbody>\n"
        + "\n".join(rows)
        + "\n</tbody>\n</table>"
    )
