"""A summary that reads well in a notebook: units, rounding, the interval in one column.

summary_table(df)                          # per backend; displays as an HTML table
summary_table(df, by=["category", "model"])
summary_table(df).frame                    # every column of ``summarize``, unformatted
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd

from modelbench.bench.summary import format_summary, summarize, to_html

__all__ = ["SummaryTable", "summary_table"]

_CSS = (
    "<style>.modelbench-summary{border-collapse:collapse}"
    ".modelbench-summary th,.modelbench-summary td{padding:3px 10px;text-align:right;"
    "white-space:nowrap}.modelbench-summary th{border-bottom:1px solid #999}"
    ".modelbench-summary .key{text-align:left}</style>"
)


@dataclass(frozen=True)
class SummaryTable:
    """``summarize``'s figures for reading: HTML in Jupyter, fixed-width text elsewhere."""

    frame: pd.DataFrame

    def _repr_html_(self) -> str:
        columns = len(self.frame.columns)
        note = (
            f"<p style='color:#666;font-size:12px'>{columns} columns in "
            "<code>.frame</code>; latency and TTFT from successful, uncached calls</p>"
        )
        return _CSS + to_html(self.frame) + note

    def __repr__(self) -> str:
        return format_summary(self.frame)

    def __str__(self) -> str:
        return format_summary(self.frame)


def summary_table(
    results: pd.DataFrame, by: str | Sequence[str] = ("model", "backend")
) -> SummaryTable:
    """The summary of ``results`` (grouped ``by``) as a readable table."""
    return SummaryTable(summarize(results, by=by))
