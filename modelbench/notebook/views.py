"""What the dashboard shows, as plain functions of a results DataFrame (no widgets here).

    view = filter_results(df, Filters(arms=("tiny", "fast"), only_disagreements=True))
    disagreements(view)                         # prompt ids where the backends differ
    side_by_side(view, "capital-italy")         # one column per arm: output, score, times, cost
    side_by_side_html(view, "capital-italy", prompts=prompt_texts("qa.jsonl"))

An *arm* is the routing layer's name for a (model, backend) pair: the model name when that
model has one backend in the results, else ``model@backend``.
"""

from __future__ import annotations

import html
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

from modelbench.bench.summary import dedupe

__all__ = [
    "Filters",
    "PromptText",
    "arm_column",
    "arms",
    "disagreements",
    "error_table",
    "filter_results",
    "prompt_texts",
    "side_by_side",
    "side_by_side_html",
    "step",
]

SIDE_BY_SIDE_ROWS: tuple[str, ...] = ("output", "score", "latency", "ttft", "cost", "error")


@dataclass(frozen=True)
class PromptText:
    """What was asked and what was expected, for the side-by-side view."""

    prompt: str
    expected: str = ""


@dataclass(frozen=True)
class Filters:
    """The dashboard's filters; ``None`` means everything."""

    arms: tuple[str, ...] | None = None
    categories: tuple[str, ...] | None = None
    repeats: tuple[int, ...] | None = None
    only_errors: bool = False
    only_disagreements: bool = False


def arm_column(df: pd.DataFrame) -> pd.Series:
    """The arm of each row: ``model``, or ``model@backend`` when the model has several."""
    if df.empty:
        return pd.Series([], index=df.index, dtype=object)
    model = df["model"].astype(str)
    backend = df["backend"].astype(str)
    several = df.groupby("model", observed=True)["backend"].transform("nunique") > 1
    return model.where(~several, model + "@" + backend)


def arms(df: pd.DataFrame) -> list[str]:
    """Every arm in the results, sorted by name (as ``modelbench.routing.arms``)."""
    if df.empty:
        return []
    pairs = df[["model", "backend"]].astype(str).drop_duplicates()
    return sorted(set(arm_column(pairs).tolist()))


def _with_arm(df: pd.DataFrame) -> pd.DataFrame:
    if "arm" in df.columns:
        return df
    return df.assign(arm=arm_column(df))


def _failed(df: pd.DataFrame) -> pd.Series:
    return df["error_type"].fillna("").astype(str).ne("")


def filter_results(df: pd.DataFrame, filters: Filters) -> pd.DataFrame:
    """The rows the filters keep (the last row per key), with an ``arm`` column added.

    ``only_disagreements`` keeps every row of the prompts where the remaining arms disagree.
    """
    df = _with_arm(dedupe(df))
    mask = pd.Series(True, index=df.index)
    if filters.arms is not None:
        mask &= df["arm"].isin(filters.arms)
    if filters.categories is not None:
        mask &= df["category"].astype(str).isin(filters.categories)
    if filters.repeats is not None:
        mask &= df["repeat"].isin(filters.repeats)
    if filters.only_errors:
        mask &= _failed(df)
    out = df[mask]
    if filters.only_disagreements:
        out = out[out["prompt_id"].isin(disagreements(out))]
    return out


def _verdicts(df: pd.DataFrame) -> pd.DataFrame:
    """One verdict per (prompt, arm) on its first repeat: the score, else the output, else error."""
    first = df.sort_values("repeat", kind="stable").drop_duplicates(["prompt_id", "arm"])
    score = pd.to_numeric(first["score"], errors="coerce")
    text = first["output"].fillna("").astype(str).str.strip().str.casefold()
    verdict = score.map(lambda s: f"score={s:.6g}").where(score.notna(), "out=" + text)
    verdict = verdict.where(~_failed(first), "error")
    return pd.DataFrame({"prompt_id": first["prompt_id"], "arm": first["arm"], "verdict": verdict})


def disagreements(df: pd.DataFrame) -> list[str]:
    """Prompt ids (in results order) where the arms' first repeats disagree.

    Arms agree when they got the same score; unscored rows compare their outputs (trimmed,
    case-folded); an error disagrees with any answer.
    """
    if df.empty:
        return []
    verdicts = _verdicts(_with_arm(df))
    distinct = verdicts.groupby("prompt_id", sort=False)["verdict"].nunique()
    order = list(dict.fromkeys(df["prompt_id"].astype(str)))
    differ = set(distinct[distinct > 1].index.astype(str))
    return [p for p in order if p in differ]


def error_table(df: pd.DataFrame) -> pd.DataFrame:
    """Errors per arm (rows) and error type (columns); arms without errors are kept as zeros."""
    df = _with_arm(df)
    failed = df[_failed(df)]
    table = pd.crosstab(failed["arm"], failed["error_type"]) if len(failed) else pd.DataFrame()
    table = table.reindex(index=arms(df), fill_value=0)
    table.index.name = "arm"
    table.columns.name = "error_type"
    return table.astype("int64")


def prompt_texts(dataset: Any) -> dict[str, PromptText]:
    """Prompt and expected answer per id, from anything ``load_dataset`` reads."""
    if dataset is None:
        return {}
    from modelbench.bench.dataset import load_dataset

    out: dict[str, PromptText] = {}
    for item in load_dataset(dataset):
        prompt = item.prompt if item.prompt is not None else _chat_text(item.messages or ())
        out[item.id] = PromptText(prompt, _expected_text(item.expected))
    return out


def _chat_text(messages: Iterable[Mapping[str, Any]]) -> str:
    return "\n".join(f"{m.get('role', 'user')}: {m.get('content', '')}" for m in messages)


def _expected_text(expected: Any) -> str:
    if expected is None:
        return ""
    if isinstance(expected, list | tuple):
        return " | ".join(str(e) for e in expected)
    return str(expected)


def _float(value: Any) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return math.nan


def _seconds(value: float) -> str:
    if not math.isfinite(value):
        return "-"
    return f"{value * 1000:.0f} ms" if value < 1 else f"{value:.2f} s"


def _dollars(value: float) -> str:
    """``$0.0012``, ``$0.000089``: plain decimals a reader compares at a glance, no ``e-05``."""
    if not math.isfinite(value):
        return "?"
    if value == 0:
        return "$0"
    if abs(value) >= 0.01:
        return f"${value:.3g}"
    digits = max(2, -math.floor(math.log10(abs(value))) + 1)
    return f"${value:.{digits}f}".rstrip("0")


def side_by_side(df: pd.DataFrame, prompt_id: str, *, repeat: int | None = None) -> pd.DataFrame:
    """One column per arm for one prompt: output, score, latency, TTFT, cost, error.

    Takes the given ``repeat`` (default: each arm's first repeat in ``df``). Values are
    formatted for reading (``412 ms``, ``$0.00012``); an arm without a row shows blanks.
    """
    df = _with_arm(df)
    rows = df[df["prompt_id"].astype(str) == str(prompt_id)]
    if repeat is not None:
        rows = rows[rows["repeat"] == repeat]
    rows = rows.sort_values("repeat", kind="stable").drop_duplicates("arm")
    by_arm = {str(r["arm"]): r for r in rows.to_dict("records")}
    columns: dict[str, list[str]] = {}
    for arm in arms(df):
        r = by_arm.get(arm)
        if r is None:
            columns[arm] = [""] * len(SIDE_BY_SIDE_ROWS)
            continue
        score = _float(r.get("score"))
        error = f"{r['error_type']}: {r.get('error', '')}" if r.get("error_type") else ""
        columns[arm] = [
            str(r.get("output") or ""),
            "-" if math.isnan(score) else f"{score:.3g}",
            _seconds(_float(r.get("latency_s"))),
            _seconds(_float(r.get("ttft_s"))),
            _dollars(_float(r.get("cost_usd"))),
            error,
        ]
    return pd.DataFrame(columns, index=list(SIDE_BY_SIDE_ROWS))


SIDE_BY_SIDE_CSS = (
    ".mb-sbs{border-collapse:collapse;table-layout:fixed;width:100%}"
    ".mb-sbs th,.mb-sbs td{border:1px solid #ddd;padding:4px 6px;vertical-align:top;"
    "text-align:left}"
    ".mb-sbs th.mb-label{width:7em;color:#555;font-weight:normal}"
    ".mb-sbs .mb-text{max-height:12em;overflow:auto;white-space:pre-wrap;"
    "overflow-wrap:anywhere;font-family:ui-monospace,monospace;font-size:12px}"
    ".mb-sbs td.mb-hit{background:#e6f4ea}.mb-sbs td.mb-miss{background:#fce8e6}"
    ".mb-sbs td.mb-err{background:#fff4d6}"
    ".mb-ask{display:grid;grid-template-columns:7em 1fr;gap:2px 8px;margin-bottom:6px}"
    ".mb-ask .mb-text{max-height:10em;overflow:auto;white-space:pre-wrap;"
    "overflow-wrap:anywhere;font-family:ui-monospace,monospace;font-size:12px;"
    "background:#f7f7f7;padding:4px}"
)


def side_by_side_html(
    df: pd.DataFrame,
    prompt_id: str,
    *,
    prompts: Mapping[str, PromptText] | None = None,
    repeat: int | None = None,
) -> str:
    """``side_by_side`` as an HTML block: the prompt and expected answer above, arms in columns.

    Every text is escaped; long outputs scroll inside their cell instead of overflowing.
    """
    table = side_by_side(df, prompt_id, repeat=repeat)
    asked = (prompts or {}).get(str(prompt_id))
    category = ""
    match = df[df["prompt_id"].astype(str) == str(prompt_id)]
    if len(match):
        category = str(match["category"].iloc[0] or "")
    head = [
        "<div class='mb-ask'>",
        f"<b>prompt</b><div><code>{html.escape(str(prompt_id))}</code>"
        + (f" &middot; {html.escape(category)}" if category else "")
        + "</div>",
    ]
    if asked is not None:
        head.append(f"<b></b><div class='mb-text'>{html.escape(asked.prompt)}</div>")
        head.append(f"<b>expected</b><div class='mb-text'>{html.escape(asked.expected)}</div>")
    else:
        head.append(
            "<b></b><div style='color:#777'>(pass dataset= to see the prompt and the expected "
            "answer)</div>"
        )
    head.append("</div>")
    scores = {
        arm: _float(table.at["score", arm]) if table.at["score", arm] not in ("", "-") else math.nan
        for arm in table.columns
    }
    cells = ["<table class='mb-sbs'><thead><tr><th class='mb-label'></th>"]
    cells += [f"<th>{html.escape(arm)}</th>" for arm in table.columns]
    cells.append("</tr></thead><tbody>")
    for field in SIDE_BY_SIDE_ROWS:
        cells.append(f"<tr><th class='mb-label'>{field}</th>")
        for arm in table.columns:
            value = str(table.at[field, arm])
            css = ""
            if field == "output":
                if table.at["error", arm]:
                    css = " class='mb-err'"
                elif not math.isnan(scores[arm]):
                    css = " class='mb-hit'" if scores[arm] >= 0.5 else " class='mb-miss'"
                value_html = f"<div class='mb-text'>{html.escape(value)}</div>"
            elif field == "error":
                value_html = f"<div class='mb-text'>{html.escape(value)}</div>"
            else:
                value_html = html.escape(value)
            cells.append(f"<td{css}>{value_html}</td>")
        cells.append("</tr>")
    cells.append("</tbody></table>")
    return f"<style>{SIDE_BY_SIDE_CSS}</style>" + "".join(head) + "".join(cells)


def step(
    order: Sequence[str], targets: Iterable[str], current: str | None, direction: int
) -> str | None:
    """The next (``direction=1``) or previous (``-1``) id of ``targets`` after ``current``,
    walking ``order`` (every prompt) and wrapping around; ``None`` when there is none."""
    wanted = set(targets)
    if not order or not wanted:
        return None
    n = len(order)
    start = order.index(current) if current in order else (-1 if direction > 0 else n)
    for k in range(1, n + 1):
        candidate = order[(start + direction * k) % n]
        if candidate in wanted:
            return candidate
    return None
