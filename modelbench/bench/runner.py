"""``Benchmark``: every (prompt, deployment, repeat) called once, streamed, one row each.

    bench = Benchmark(registry, "qa.jsonl", models=["fast", "smart"], repeats=3,
                      scorer="exact", out="results.jsonl")
    df = bench.run()            # also in Jupyter; ``await bench.arun()`` in async code

Deployments are called directly (never through the Router), with litellm's retries off:
modelbench retries retriable faults itself (``RetryPolicy``), keeps every wait out of the
timings, and adapts each backend's concurrency (``BackendLimiter``). A request that still
fails becomes a row with ``error_type``/``error``. Rows are appended to ``out`` as they
finish; ``resume`` runs only keys without a row, ``retry_errors`` reruns failed keys.
"""

from __future__ import annotations

import asyncio
import math
import secrets
import time
from collections import deque
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from modelbench._errors import ModelbenchError
from modelbench.bench._sync import run_sync
from modelbench.bench.cache import ResponseCache, cache_key
from modelbench.bench.calls import (
    CallResult,
    ErrorInfo,
    RetryPolicy,
    call_cost,
    classify,
    request_kwargs,
    stream_call,
    utc_now,
)
from modelbench.bench.dataset import load_dataset
from modelbench.bench.limiter import BackendLimiter, Gate, Permit
from modelbench.bench.record import DatasetItem, ResultRow
from modelbench.bench.store import Key, ResultsWriter, completed_keys, failed_keys, read_results

if TYPE_CHECKING:
    import pandas as pd

    from modelbench.bench.dataset import DatasetSource
    from modelbench.bench.scoring import Scorer, ScorerSpec
    from modelbench.registry import Deployment, Registry

__all__ = ["Benchmark", "RunStats", "new_run_id"]


def new_run_id() -> str:
    """``20250101T120000-1a2b3c``: sortable by start time, unique enough."""
    return time.strftime("%Y%m%dT%H%M%S", time.gmtime()) + "-" + secrets.token_hex(3)


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


@dataclass
class _Target:
    deployment: Deployment
    limiter: BackendLimiter
    kwargs: dict[str, Any] | None
    setup_error: ErrorInfo | None


@dataclass(frozen=True, slots=True)
class _Job:
    item: DatasetItem
    target: _Target
    repeat: int


class Benchmark:
    """A benchmark of a dataset on some deployments; ``run()`` returns a results DataFrame."""

    def __init__(
        self,
        registry: Registry,
        dataset: DatasetSource,
        *,
        models: Sequence[str] | None = None,
        backends: Sequence[str] | None = None,
        repeats: int = 3,
        concurrency: int = 16,
        scorer: ScorerSpec = None,
        out: str | Path | None = None,
        resume: bool = False,
        retry_errors: bool = False,
        cache: bool | str | Path | ResponseCache | None = None,
        retry: RetryPolicy | None = None,
        timeout: float | None = None,
        params: Mapping[str, Any] | None = None,
        progress: bool = True,
        run_id: str | None = None,
    ) -> None:
        if repeats < 1 or concurrency < 1:
            raise ModelbenchError(
                f"repeats and concurrency must be at least 1 (got {repeats}, {concurrency})"
            )
        from modelbench.bench.scoring import resolve_scorer

        self.registry = registry
        self.items: list[DatasetItem] = load_dataset(dataset)
        self.deployments: list[Deployment] = registry.deployments(models, backends)
        self.repeats = repeats
        self.concurrency = concurrency
        self.scorer: Scorer | None = resolve_scorer(scorer, registry)
        self.out = Path(out) if out is not None else None
        self.resume = resume
        self.retry_errors = retry_errors
        self.cache = _cache(cache)
        self.retry = retry or RetryPolicy()
        self.timeout = timeout
        self.params = dict(params or {})
        self.progress = progress
        self.run_id = run_id or new_run_id()
        self.stats = RunStats()
        self.limiters: dict[str, BackendLimiter] = {}
        if self.out is not None and not (resume or retry_errors) and _has_rows(self.out):
            raise ModelbenchError(
                f"{self.out} already has results: pass --resume (Benchmark(resume=True)) to "
                "run the missing rows, --retry-errors to rerun failed ones, or choose another file"
            )

    def __repr__(self) -> str:
        return (
            f"Benchmark({len(self.items)} prompts x {len(self.deployments)} deployments x "
            f"{self.repeats} repeats, concurrency={self.concurrency})"
        )

    def planned_keys(self) -> list[Key]:
        """Every key of this benchmark, repeat-major (all prompts once, then again...)."""
        return [
            (item.id, d.model, d.name, r)
            for r in range(self.repeats)
            for d in self.deployments
            for item in self.items
        ]

    def todo_keys(self) -> list[Key]:
        """The keys this run will call, after ``resume`` / ``retry_errors`` against ``out``."""
        planned = self.planned_keys()
        self.stats.planned = len(planned)
        self.stats.skipped = 0
        if self.out is None or not self.out.exists() or not (self.resume or self.retry_errors):
            return planned
        previous = read_results(self.out)
        self.stats.torn_line = previous.attrs.get("torn_line")
        done = completed_keys(previous)
        failed = failed_keys(previous)
        keep = set()
        if self.resume:
            keep |= {k for k in planned if k not in done}
        if self.retry_errors:
            keep |= {k for k in planned if k in failed}
        todo = [k for k in planned if k in keep]
        self.stats.skipped = len(planned) - len(todo)
        return todo

    def run(self) -> pd.DataFrame:
        """Run to the end and return the results (the whole ``out`` file when given)."""
        return run_sync(self.arun)

    async def arun(self) -> pd.DataFrame:
        """``run()`` for async code."""
        self.stats = RunStats()  # per run: a Benchmark can be run again
        jobs = self._jobs(self.todo_keys())
        writer = ResultsWriter(self.out) if self.out is not None else None
        if writer is not None and writer.torn_line is not None:
            self.stats.torn_line = writer.torn_line
        self._writer = writer
        self._rows: list[ResultRow] = []
        self._gate = Gate(self.concurrency)
        from tqdm.auto import tqdm

        self._bar = tqdm(total=len(jobs), disable=not self.progress, unit="req", desc="modelbench")
        try:
            by_target: dict[int, deque[_Job]] = {}
            for job in jobs:
                by_target.setdefault(id(job.target), deque()).append(job)
            del jobs
            try:
                async with asyncio.TaskGroup() as group:
                    for target_jobs in by_target.values():
                        group.create_task(self._dispatch(target_jobs, group))
            except BaseExceptionGroup as group_error:  # one failure (disk full...): raise it
                raise group_error.exceptions[0] from None
        finally:
            self._bar.close()
            if writer is not None:
                writer.close()
            if self.cache is not None:
                self.cache.close()
        if self.out is not None:
            return read_results(self.out)
        from modelbench.bench.store import rows_to_frame

        return rows_to_frame(self._rows)

    # --- planning ---------------------------------------------------------------------------

    def _jobs(self, keys: list[Key]) -> list[_Job]:
        items = {item.id: item for item in self.items}
        targets: dict[str, _Target] = {}
        for d in self.deployments:
            ceiling = min(self.concurrency, d.max_parallel or self.concurrency)
            limiter = self.limiters.setdefault(d.id, BackendLimiter(ceiling, rpm=d.rpm, tpm=d.tpm))
            kwargs: dict[str, Any] | None = None
            error: ErrorInfo | None = None
            try:
                kwargs = request_kwargs(d, self.params)
                if self.timeout is not None:
                    kwargs["timeout"] = self.timeout
            except ModelbenchError as exc:  # a missing secret: every row of it records why
                error = classify(exc)
            targets[f"{d.model}\x1f{d.name}"] = _Target(d, limiter, kwargs, error)
        return [_Job(items[p], targets[f"{m}\x1f{b}"], r) for p, m, b, r in keys]

    # --- execution --------------------------------------------------------------------------

    async def _dispatch(self, jobs: deque[_Job], group: asyncio.TaskGroup) -> None:
        """Start one deployment's jobs as its limiter and the run's concurrency allow."""
        while jobs:
            job = jobs.popleft()
            target = job.target
            if target.setup_error is not None or target.kwargs is None:
                info = target.setup_error or ErrorInfo("ModelbenchError", "no call", False)
                await self._finish(job, self._error_row(job, info, attempts=0))
                continue
            key = hit = None
            if self.cache is not None:
                key = cache_key(target.deployment, job.item, target.kwargs, job.repeat)
                hit = self.cache.get(key)
            if hit is not None:
                await self._gate.acquire()
                group.create_task(self._cached(job, hit))
            else:
                group.create_task(self._call(job, key, await self._slots(job)))

    async def _slots(self, job: _Job) -> Permit:
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

    async def _cached(self, job: _Job, hit: Mapping[str, Any]) -> None:
        try:
            self.stats.cache_hits += 1
            row = self._row(job, _result_from(hit), attempts=0, cost=0.0, cached=True)
            await self._finish(job, row)
        finally:
            self._gate.release()

    async def _call(self, job: _Job, key: str | None, permit: Permit | None) -> None:
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
                    self.cache.put(key, _cache_value(result))
                await self._finish(job, self._row(job, result, attempts=attempt, cost=cost))
                return
            assert info is not None
            errors = self.stats.attempt_errors
            errors[info.type] = errors.get(info.type, 0) + 1
            if info.rate_limited:
                self.stats.rate_limited += 1
            if not info.retriable or attempt >= self.retry.max_attempts:
                row = self._error_row(job, info, attempts=attempt, started_at=sent_at)
                await self._finish(job, row)
                return
            self.stats.retries += 1
            await asyncio.sleep(self.retry.delay(attempt, info.retry_after))

    def _token_estimate(self, job: _Job) -> float:
        if job.target.limiter.tpm is None:
            return 0.0
        kwargs = job.target.kwargs or {}
        text = job.item.as_prompt() if job.item.prompt is not None else str(job.item.messages)
        return len(text) / 4 + float(kwargs.get("max_tokens") or 256)

    def _row(
        self, job: _Job, result: CallResult, *, attempts: int, cost: float, cached: bool = False
    ) -> ResultRow:
        d = job.target.deployment
        return ResultRow(
            run_id=self.run_id,
            prompt_id=job.item.id,
            category=job.item.category,
            model=d.model,
            backend=d.name,
            repeat=job.repeat,
            started_at=result.started_at,
            latency_s=result.latency_s,
            ttft_s=result.ttft_s,
            tpot_s=result.tpot_s,
            input_tokens=result.input_tokens,
            output_tokens=result.output_tokens,
            cost_usd=cost,
            output=result.output,
            attempts=attempts,
            cached=cached,
        )

    def _error_row(
        self, job: _Job, info: ErrorInfo, *, attempts: int, started_at: str | None = None
    ) -> ResultRow:
        d = job.target.deployment
        return ResultRow(
            run_id=self.run_id,
            prompt_id=job.item.id,
            category=job.item.category,
            model=d.model,
            backend=d.name,
            repeat=job.repeat,
            started_at=started_at or utc_now(),
            error_type=info.type,
            error=info.message,
            attempts=attempts,
        )

    async def _finish(self, job: _Job, row: ResultRow) -> None:
        """Score a successful row, append it to the file, count it."""
        if row.ok and self.scorer is not None:
            try:
                verdict = await self.scorer.ascore(row.output, job.item)
                row = _replace(row, score=float(verdict.value), score_cost_usd=verdict.cost_usd)
            except Exception:  # scorers report bad data as NaN; a bug in one must not stop us
                row = _replace(row, score=math.nan)
        if self._writer is not None:
            self._writer.write(row)
        else:
            self._rows.append(row)
        self.stats.rows += 1
        if not row.ok:
            self.stats.errors += 1
            types = self.stats.error_types
            types[row.error_type] = types.get(row.error_type, 0) + 1
        self._bar.update(1)


def _replace(row: ResultRow, **changes: Any) -> ResultRow:
    from dataclasses import replace

    return replace(row, **changes)


def _total_tokens(result: CallResult | None) -> float | None:
    if result is None:
        return None
    total = result.input_tokens + result.output_tokens
    return None if math.isnan(total) else total


def _cache_value(result: CallResult) -> dict[str, Any]:
    return {
        "output": result.output,
        "started_at": result.started_at,
        "latency_s": result.latency_s,
        "ttft_s": result.ttft_s,
        "input_tokens": result.input_tokens,
        "output_tokens": result.output_tokens,
    }


def _result_from(hit: Mapping[str, Any]) -> CallResult:
    def number(name: str) -> float:
        value = hit.get(name)
        return float(value) if isinstance(value, int | float) else math.nan

    return CallResult(
        output=str(hit.get("output", "")),
        started_at=str(hit.get("started_at", "")),
        latency_s=number("latency_s"),
        ttft_s=number("ttft_s"),
        input_tokens=number("input_tokens"),
        output_tokens=number("output_tokens"),
    )


def _cache(spec: bool | str | Path | ResponseCache | None) -> ResponseCache | None:
    if spec is None or spec is False:
        return None
    if isinstance(spec, ResponseCache):
        return spec
    return ResponseCache(None if spec is True else spec)


def _has_rows(path: Path) -> bool:
    try:
        return path.stat().st_size > 0
    except OSError:
        return False
