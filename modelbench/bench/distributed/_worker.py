"""A Ray worker: today's engine (``Execution``) on a share of the keys, rows streamed back.

The driver sends a ``Share`` (the targets once, then (item, target, repeat) per key); the
worker's ``run`` is a Ray streaming generator that yields each batch of finished rows as
soon as it is written, then its ``RunStats`` last. It never scores, caches or writes files:
the driver does, so the results file has one writer.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from modelbench.bench._engine import Execution, Job, RunStats, Target
from modelbench.bench.distributed._limits import BackendLimits, SharedLimiter
from modelbench.bench.limiter import BackendLimiter

if TYPE_CHECKING:
    from modelbench.bench.calls import ErrorInfo, RetryPolicy
    from modelbench.bench.record import DatasetItem, ResultRow
    from modelbench.registry import Deployment

__all__ = ["BenchWorker", "Share", "TargetSpec"]


@dataclass(frozen=True)
class TargetSpec:
    """A deployment as the driver resolved it: call arguments (or why it cannot be called)."""

    deployment: Deployment
    kwargs: dict[str, Any] | None
    setup_error: ErrorInfo | None
    limits: BackendLimits


@dataclass(frozen=True)
class Share:
    """One worker's part of a run."""

    run_id: str
    targets: list[TargetSpec]
    jobs: list[tuple[DatasetItem, int, int]]
    """(item, index into ``targets``, repeat) per key."""
    retry: RetryPolicy
    concurrency: int


class _QueueSink:
    """The worker's ``RowSink``: finished rows wait in a queue for the generator to yield."""

    def __init__(self, queue: asyncio.Queue[ResultRow | None]) -> None:
        self._queue = queue

    def write(self, row: ResultRow) -> None:
        self._queue.put_nowait(row)


class BenchWorker:
    """Used as a Ray actor (``ray.remote(BenchWorker)``); ``name`` identifies its limit slots."""

    def __init__(self, name: str, limits: Any | None) -> None:
        self.name = name
        self._limits = limits

    def pid(self) -> int:
        return os.getpid()

    async def run(self, share: Share) -> AsyncIterator[list[ResultRow] | RunStats]:
        """Rows in batches as they finish, then this worker's ``RunStats``."""
        targets = [self._target(spec, share.concurrency) for spec in share.targets]
        jobs = [Job(item, targets[index], repeat) for item, index, repeat in share.jobs]
        queue: asyncio.Queue[ResultRow | None] = asyncio.Queue()
        stats = RunStats(workers=1)
        execution = Execution(
            run_id=share.run_id,
            scorer=None,
            cache=None,
            retry=share.retry,
            concurrency=share.concurrency,
            writer=_QueueSink(queue),
            stats=stats,
            progress=False,
        )
        task = asyncio.create_task(execution.run(jobs))
        task.add_done_callback(lambda _: queue.put_nowait(None))
        try:
            finished = False
            while not finished:
                batch = [await queue.get()]
                while not queue.empty():
                    batch.append(queue.get_nowait())
                finished = batch[-1] is None
                rows = [row for row in batch if row is not None]
                if rows:
                    yield rows
            await task  # a bug in the engine surfaces here, on the driver
            stats.worker_lag_p90_ms = [stats.loop_lag_p90_ms]
            stats.worker_nodes = [_node_id()]
            yield stats
        finally:
            if not task.done():
                task.cancel()
                with contextlib.suppress(BaseException):
                    await task

    def _target(self, spec: TargetSpec, concurrency: int) -> Target:
        d = spec.deployment
        ceiling = min(concurrency, d.max_parallel or concurrency)
        limiter: BackendLimiter
        if self._limits is not None and spec.limits.any:
            limiter = SharedLimiter(
                ceiling,
                actor=self._limits,
                deployment=d.id,
                worker=self.name,
                tpm=bool(spec.limits.tpm),
            )
        else:
            limiter = BackendLimiter(ceiling)
        return Target(d, limiter, spec.kwargs, spec.setup_error)


def _node_id() -> str:
    import ray

    return str(ray.get_runtime_context().get_node_id())
