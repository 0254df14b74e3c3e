"""One run's execution: dispatch jobs under the limits, call, retry, score, write rows.

``Benchmark`` decides *what* to run (keys after resume/retry-errors); ``Execution`` runs them:
one dispatcher per deployment starts a task per job once the backend's limiter and the run's
concurrency gate let it, and each task retries its own faults with back-off, outside the
timed call.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections import deque
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, Protocol

from modelbench.bench import _clients
from modelbench.bench._rows import error_row, success_row
from modelbench.bench.cache import cache_key
from modelbench.bench.calls import (
    CallResult,
    ErrorInfo,
    RetryPolicy,
    call_cost,
    classify,
    stream_call,
    utc_now,
    warm_up,
)
from modelbench.bench.limiter import BackendLimiter, Gate, Permit
from modelbench.bench.record import DatasetItem, ResultRow

if TYPE_CHECKING:
    from modelbench.bench.scoring import Scorer
    from modelbench.registry import Deployment

__all__ = ["Execution", "Job", "ResultCache", "RowSink", "RunStats", "Target", "score_row"]


class RowSink(Protocol):
    """Where finished rows go: the results file (``ResultsWriter``) or a Ray worker's stream."""

    def write(self, row: ResultRow) -> None: ...


class ResultCache(Protocol):
    """The part of ``ResponseCache`` a run uses."""

    def get_result(self, key: str) -> CallResult | None: ...

    def put_result(self, key: str, result: CallResult) -> None: ...


@dataclass
class RunStats:
    """What a run did: planned and skipped keys, rows, retries, errors and cache hits."""

    planned: int = 0
    skipped: int = 0
    rows: int = 0
    errors: int = 0
    retries: int = 0
    rate_limited: int = 0
    cache_hits: int = 0
    torn_line: int | None = None
    error_types: dict[str, int] = field(default_factory=dict)
    """Rows by error type (each a key that failed for good)."""
    attempt_errors: dict[str, int] = field(default_factory=dict)
    """Failed attempts by exception type, retried or not."""
    loop_lag_p90_ms: float = 0.0
    """How late the event loop ran (p90): timings may include up to this much client wait.
    With Ray workers, the worst worker's figure."""
    calls: int = 0
    """Requests sent (attempts, retries included; cache hits are not calls)."""
    cpu_s: float = 0.0
    """CPU seconds the calling process(es) spent on the run (with workers: summed over them)."""
    wall_s: float = 0.0
    """Seconds from the first call to the last row."""
    workers: int = 1
    """Processes that made the calls (Ray workers; 1 for the in-process run)."""
    worker_lag_p90_ms: list[float] = field(default_factory=list)
    """Event-loop lag (p90) of each worker that finished its share (empty in-process)."""
    worker_nodes: list[str] = field(default_factory=list)
    """The Ray node of each worker that finished its share (empty in-process)."""
    worker_failures: int = 0
    """Workers lost mid-run (their unfinished keys ran again on another worker)."""


@dataclass
class Target:
    """A deployment with its limiter and call arguments (or why it cannot be called)."""

    deployment: Deployment
    limiter: BackendLimiter
    kwargs: dict[str, Any] | None
    setup_error: ErrorInfo | None


@dataclass(frozen=True, slots=True)
class Job:
    """One key to run: (item, deployment, repeat)."""

    item: DatasetItem
    target: Target
    repeat: int


class Execution:
    """The state of one run: the gate, the writer (or collected rows), stats, progress."""

    def __init__(
        self,
        *,
        run_id: str,
        scorer: Scorer | None,
        cache: ResultCache | None,
        retry: RetryPolicy,
        concurrency: int,
        writer: RowSink | None,
        stats: RunStats,
        progress: bool,
    ) -> None:
        self.run_id = run_id
        self.scorer = scorer
        self.cache = cache
        self.retry = retry
        self.stats = stats
        self.rows: list[ResultRow] = []
        self._writer = writer
        self._gate = Gate(concurrency)
        self._progress = progress

    async def run(self, jobs: list[Job]) -> None:
        """Every job to a row; returns when all are written (or raises the first bug)."""
        from tqdm.auto import tqdm

        by_target: dict[int, deque[Job]] = {}
        for job in jobs:
            by_target.setdefault(id(job.target), deque()).append(job)
        self._bar = tqdm(total=len(jobs), disable=not self._progress, unit="req", desc="modelbench")
        del jobs
        warmed: set[tuple[str, str]] = set()
        for queue in by_target.values():
            target = queue[0].target
            route = (target.deployment.mode, str((target.kwargs or {}).get("model")))
            if target.kwargs is not None and route not in warmed:
                warmed.add(route)
                await warm_up(target.deployment, target.kwargs)
        lag = asyncio.create_task(self._watch_loop_lag())
        cpu, wall = time.process_time(), time.perf_counter()
        try:
            async with _clients.run_scope(), asyncio.TaskGroup() as group:
                for target_jobs in by_target.values():
                    group.create_task(self._dispatch(target_jobs, group))
        except BaseExceptionGroup as group_error:  # one failure (disk full...): raise it
            raise group_error.exceptions[0] from None
        finally:
            lag.cancel()
            self.stats.cpu_s += time.process_time() - cpu
            self.stats.wall_s += time.perf_counter() - wall
            self._bar.close()

    async def _watch_loop_lag(self, every: float = 0.05) -> None:
        """How late the event loop wakes up: a busy loop delays every timestamp we take.

        When the client's CPU is the bottleneck, chunks wait for the loop before they are
        timed; ``RunStats.loop_lag_p90_ms`` says how much, so a report can warn about it.
        """
        samples: list[float] = []
        try:
            while True:
                start = time.perf_counter()
                await asyncio.sleep(every)
                samples.append(max(0.0, time.perf_counter() - start - every))
        finally:
            if samples:
                samples.sort()
                self.stats.loop_lag_p90_ms = samples[int(0.9 * (len(samples) - 1))] * 1000

    # --- execution --------------------------------------------------------------------------

    async def _dispatch(self, jobs: deque[Job], group: asyncio.TaskGroup) -> None:
        """Start one deployment's jobs as its limiter and the run's concurrency allow."""
        while jobs:
            job = jobs.popleft()
            target = job.target
            if target.setup_error is not None or target.kwargs is None:
                info = target.setup_error or ErrorInfo("ModelbenchError", "no call", False)
                await self._finish(job, self._error(job, info, attempts=0))
                continue
            key = hit = None
            if self.cache is not None:
                key = cache_key(target.deployment, job.item, target.kwargs, job.repeat)
                hit = self.cache.get_result(key)
            if hit is not None:
                await self._gate.acquire()
                group.create_task(self._cached(job, hit))
            else:
                group.create_task(self._call(job, key, await self._slots(job)))

    async def _slots(self, job: Job) -> Permit:
        """A place in the backend's window (and rpm/tpm), then one of the run's slots.

        The backend comes first, so a throttled backend queues without holding run slots
        that other backends could use.
        """
        limiter = job.target.limiter
        permit = await limiter.acquire(self._token_estimate(job))
        try:
            await self._gate.acquire()
        except BaseException:
            limiter.release(permit, ok=False)
            raise
        return permit

    async def _cached(self, job: Job, hit: CallResult) -> None:
        try:
            self.stats.cache_hits += 1
            d = job.target.deployment
            row = success_row(
                self.run_id, job.item, d, job.repeat, hit, attempts=0, cost=0.0, cached=True
            )
            await self._finish(job, row)
        finally:
            self._gate.release()

    def _error(
        self, job: Job, info: ErrorInfo, *, attempts: int, started_at: str | None = None
    ) -> ResultRow:
        d = job.target.deployment
        return error_row(
            self.run_id, job.item, d, job.repeat, info, attempts=attempts, started_at=started_at
        )

    async def _call(self, job: Job, key: str | None, permit: Permit | None) -> None:
        target = job.target
        assert target.kwargs is not None
        attempt = 0
        while True:
            attempt += 1
            if permit is None:  # a retry queues again for its slots
                permit = await self._slots(job)
            result: CallResult | None = None
            info: ErrorInfo | None = None
            sent_at = utc_now()
            self.stats.calls += 1
            try:
                result = await stream_call(target.deployment, job.item, target.kwargs)
            except Exception as exc:  # provider faults become retries or rows, never crashes
                info = classify(exc)
            finally:
                self._gate.release()
                target.limiter.release(
                    permit,
                    ok=result is not None,
                    rate_limited=info is not None and info.rate_limited,
                    tokens=_total_tokens(result),
                )
                permit = None
            if result is not None:
                cost = call_cost(target.deployment, result)
                if self.cache is not None and key is not None:
                    self.cache.put_result(key, result)
                row = success_row(
                    self.run_id,
                    job.item,
                    target.deployment,
                    job.repeat,
                    result,
                    attempts=attempt,
                    cost=cost,
                )
                await self._finish(job, row)
                return
            assert info is not None
            errors = self.stats.attempt_errors
            errors[info.type] = errors.get(info.type, 0) + 1
            if info.rate_limited:
                self.stats.rate_limited += 1
            if not info.retriable or attempt >= self.retry.max_attempts:
                row = self._error(job, info, attempts=attempt, started_at=sent_at)
                await self._finish(job, row)
                return
            self.stats.retries += 1
            await asyncio.sleep(self.retry.delay(attempt, info.retry_after))

    def _token_estimate(self, job: Job) -> float:
        if not job.target.limiter.counts_tokens:
            return 0.0
        kwargs = job.target.kwargs or {}
        text = job.item.as_prompt() if job.item.prompt is not None else str(job.item.messages)
        return len(text) / 4 + float(kwargs.get("max_tokens") or 256)

    async def _finish(self, job: Job, row: ResultRow) -> None:
        """Score a successful row, append it to the file, count it."""
        row = await score_row(self.scorer, row, job.item)
        if self._writer is not None:
            self._writer.write(row)
        else:
            self.rows.append(row)
        self.stats.rows += 1
        if not row.ok:
            self.stats.errors += 1
            types = self.stats.error_types
            types[row.error_type] = types.get(row.error_type, 0) + 1
        self._bar.update(1)


async def score_row(scorer: Scorer | None, row: ResultRow, item: DatasetItem) -> ResultRow:
    """The row with its score (NaN when the scorer fails); unchanged for errors or no scorer."""
    if not row.ok or scorer is None:
        return row
    try:
        verdict = await scorer.ascore(row.output, item)
        return replace(row, score=float(verdict.value), score_cost_usd=verdict.cost_usd)
    except Exception:  # scorers report bad data as NaN; a bug in one must not stop us
        return replace(row, score=math.nan)


def _total_tokens(result: CallResult | None) -> float | None:
    if result is None:
        return None
    total = result.input_tokens + result.output_tokens
    return None if math.isnan(total) else total
