"""How many worker processes a CPU-bound run would have needed to keep up.

Each call costs the client some CPU (litellm parsing the stream: ~11-12 ms on this project's
2-core test machine). At concurrency ``C`` with calls that take ``d`` seconds at the provider,
the run asks for ``C / d`` calls a second, so ``C / d * cpu_per_call`` cores; a worker's event
loop stays on time up to about ``HEADROOM`` of a core.
"""

from __future__ import annotations

import math

from modelbench.bench._engine import RunStats

__all__ = ["HEADROOM", "workers_to_keep_up"]

HEADROOM = 0.7
"""The share of a core a worker may use before its event loop starts running late."""


def workers_to_keep_up(stats: RunStats, concurrency: int, median_call_s: float) -> int | None:
    """Workers (one core each) the run's request rate needs; None without calls to judge by.

    ``median_call_s`` is the median latency of this run's successful rows; the loop lag is
    taken out of it, since a late loop makes every call look longer than the provider made it.
    """
    if stats.calls == 0 or stats.cpu_s <= 0 or not math.isfinite(median_call_s):
        return None
    cpu_per_call = stats.cpu_s / stats.calls
    provider_s = max(0.001, median_call_s - stats.loop_lag_p90_ms / 1000)
    cores = concurrency / provider_s * cpu_per_call
    return max(1, math.ceil(cores / HEADROOM))
