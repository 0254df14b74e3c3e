"""Building result rows from what a call returned (or how it failed)."""

from __future__ import annotations

from typing import Any

from modelbench.bench.calls import CallResult, ErrorInfo, utc_now
from modelbench.bench.record import DatasetItem, ResultRow
from modelbench.registry import Deployment

__all__ = ["error_row", "result_of_row", "success_row"]


def _key_fields(
    run_id: str, item: DatasetItem, deployment: Deployment, repeat: int
) -> dict[str, Any]:
    """The columns every row has, whatever happened: the run, the key and the category."""
    return {
        "run_id": run_id,
        "prompt_id": item.id,
        "category": item.category,
        "model": deployment.model,
        "backend": deployment.name,
        "repeat": repeat,
    }


def success_row(
    run_id: str,
    item: DatasetItem,
    deployment: Deployment,
    repeat: int,
    result: CallResult,
    *,
    attempts: int,
    cost: float,
    cached: bool = False,
) -> ResultRow:
    """The row of a call that answered (or of a cache hit: ``attempts=0``, ``cost=0``)."""
    return ResultRow(
        **_key_fields(run_id, item, deployment, repeat),
        started_at=result.started_at,
        latency_s=result.latency_s,
        ttft_s=result.ttft_s,
        tpot_s=result.tpot_s,
        input_tokens=result.input_tokens,
        output_tokens=result.output_tokens,
        cached_input_tokens=result.cached_input_tokens,
        token_source=result.token_source,
        cost_usd=cost,
        output=result.output,
        attempts=attempts,
        cached=cached,
    )


def result_of_row(row: ResultRow) -> CallResult:
    """What the call of a success row returned: ``success_row`` read back (for the cache)."""
    return CallResult(
        output=row.output,
        started_at=row.started_at,
        latency_s=row.latency_s,
        ttft_s=row.ttft_s,
        input_tokens=row.input_tokens,
        output_tokens=row.output_tokens,
        cached_input_tokens=row.cached_input_tokens,
        token_source=row.token_source,
    )


def error_row(
    run_id: str,
    item: DatasetItem,
    deployment: Deployment,
    repeat: int,
    info: ErrorInfo,
    *,
    attempts: int,
    started_at: str | None = None,
) -> ResultRow:
    """The row of a key that failed for good: no timings, no cost (NaN), the error."""
    return ResultRow(
        **_key_fields(run_id, item, deployment, repeat),
        started_at=started_at or utc_now(),
        error_type=info.type,
        error=info.message,
        attempts=attempts,
    )
