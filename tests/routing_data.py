"""Small hand-built results for the routing tests (the right answers are known)."""

from __future__ import annotations

import math
from typing import Any

import pandas as pd


def row(
    arm: str,
    prompt_id: str,
    *,
    score: float = 1.0,
    cost: float = 0.0,
    latency: float = 1.0,
    ttft: float = math.nan,
    error: str = "",
    output: str = "ok",
    category: str = "",
    repeat: int = 0,
) -> dict[str, Any]:
    model, _, backend = arm.partition("@")
    failed = bool(error)
    return {
        "run_id": "r1",
        "prompt_id": prompt_id,
        "category": category,
        "model": model,
        "backend": backend or f"fake/{model}",
        "repeat": repeat,
        "latency_s": latency,
        "ttft_s": math.nan if failed else (latency / 2 if math.isnan(ttft) else ttft),
        "cost_usd": cost,
        "output": "" if failed else output,
        "score": math.nan if failed else score,
        "error_type": error,
        "error": "boom" if failed else "",
    }


def frame(rows: list[dict[str, Any]]) -> pd.DataFrame:
    return pd.DataFrame(rows)
