"""Benchmarking: datasets x deployments x repeats -> one result row each."""

from modelbench.bench.cache import ResponseCache, cache_key, default_cache_dir
from modelbench.bench.calls import RetryPolicy, classify, retry_after
from modelbench.bench.dataset import load_dataset
from modelbench.bench.limiter import BackendLimiter, TokenBucket
from modelbench.bench.record import COLUMNS, KEY, DatasetItem, ResultRow
from modelbench.bench.runner import Benchmark, RunStats, new_run_id
from modelbench.bench.store import (
    ResultsWriter,
    completed_keys,
    failed_keys,
    read_results,
    rows_to_frame,
)

__all__ = [
    "COLUMNS",
    "KEY",
    "BackendLimiter",
    "Benchmark",
    "DatasetItem",
    "ResponseCache",
    "ResultRow",
    "ResultsWriter",
    "RetryPolicy",
    "RunStats",
    "TokenBucket",
    "cache_key",
    "classify",
    "completed_keys",
    "default_cache_dir",
    "failed_keys",
    "load_dataset",
    "new_run_id",
    "read_results",
    "retry_after",
    "rows_to_frame",
]
