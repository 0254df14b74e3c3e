"""The driver of a Ray run: hands shares of the keys to workers and writes every row itself.

Cache hits are answered here (workers never see them); every other key goes to a worker.
Rows stream back as they finish and are scored, cached, written and counted here, so the
results file has one writer and ``--resume`` works as in-process. A worker that dies (a node
lost, a SIGKILL) is replaced, and the new one gets only its unfinished keys: a key whose row
reached the driver is never requested again, and the file never holds a key twice.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from modelbench._errors import ModelbenchError
from modelbench.bench._engine import Job, ResultCache, RowSink, RunStats, score_row
from modelbench.bench._rows import result_of_row, success_row
from modelbench.bench.cache import cache_key
from modelbench.bench.distributed._cluster import ray_session
from modelbench.bench.distributed._limits import BackendLimits, SharedLimits
from modelbench.bench.distributed._worker import BenchWorker, Share, TargetSpec

if TYPE_CHECKING:
    from modelbench.bench.calls import RetryPolicy
    from modelbench.bench.record import ResultRow
    from modelbench.bench.scoring import Scorer

__all__ = ["RayExecution"]

Key = tuple[str, str, str, int]

MAX_REPLACEMENTS = 3
"""Times one worker's share is handed to a new worker before the run gives up."""


def _job_key(job: Job) -> Key:
    d = job.target.deployment
    return (job.item.id, d.model, d.name, job.repeat)


def _row_key(row: ResultRow) -> Key:
    return (row.prompt_id, row.model, row.backend, row.repeat)


class RayExecution:
    """``Execution``'s interface, with the calls made by Ray workers."""

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
        workers: int | None,
        ray_address: str | None,
    ) -> None:
        self.run_id = run_id
        self.scorer = scorer
        self.cache = cache
        self.retry = retry
        self.concurrency = concurrency
        self.stats = stats
        self.rows: list[ResultRow] = []
        self._writer = writer
        self._progress = progress
        self._workers = workers
        self._address = ray_address
        self._cache_keys: dict[Key, str] = {}

    async def run(self, jobs: list[Job]) -> None:
        """Every job to a row; returns when all are written (or raises the first bug)."""
        from tqdm.auto import tqdm

        self._bar = tqdm(total=len(jobs), disable=not self._progress, unit="req", desc="modelbench")
        try:
            remote = await self._answer_from_cache(jobs)
            if remote:
                with ray_session(self._workers, self._address) as ray:
                    await self._run_on_workers(ray, remote)
        finally:
            self._bar.close()

    async def _answer_from_cache(self, jobs: list[Job]) -> list[Job]:
        """Write the rows the cache answers; the jobs left for workers."""
        if self.cache is None:
            return jobs
        remote = []
        for job in jobs:
            target = job.target
            if target.kwargs is None:
                remote.append(job)
                continue
            key = cache_key(target.deployment, job.item, target.kwargs, job.repeat)
            hit = self.cache.get_result(key)
            if hit is None:
                self._cache_keys[_job_key(job)] = key
                remote.append(job)
                continue
            self.stats.cache_hits += 1
            row = success_row(
                self.run_id, job.item, target.deployment, job.repeat, hit,
                attempts=0, cost=0.0, cached=True,
            )  # fmt: skip
            await self._finish(job, row)
        return remote

    async def _run_on_workers(self, ray: Any, jobs: list[Job]) -> None:
        cpus = int(ray.cluster_resources().get("CPU", 1))
        # One CPU per worker: more workers than the cluster has CPUs would wait forever.
        n = max(1, min(self._workers or cpus, cpus, len(jobs), self.concurrency))
        self.stats.workers = n
        index: dict[int, int] = {}
        specs: list[TargetSpec] = []
        for job in jobs:
            if id(job.target) not in index:
                index[id(job.target)] = len(specs)
                d = job.target.deployment
                limits = BackendLimits(d.rpm, d.tpm, d.max_parallel)
                specs.append(TargetSpec(d, job.target.kwargs, job.target.setup_error, limits))
        limits_actor = None
        if any(spec.limits.any for spec in specs):
            table = {spec.deployment.id: spec.limits for spec in specs if spec.limits.any}
            limits_actor = (
                ray.remote(SharedLimits).options(num_cpus=0, max_restarts=0).remote(table)
            )
        worker_class = ray.remote(BenchWorker)
        shares = [jobs[i::n] for i in range(n)]
        slots = [self.concurrency // n + (i < self.concurrency % n) for i in range(n)]
        try:
            async with asyncio.TaskGroup() as group:  # one share failing stops the others
                for slot, (share, c) in enumerate(zip(shares, slots, strict=True)):
                    group.create_task(
                        self._drive(ray, worker_class, limits_actor, slot, share, specs, index, c)
                    )
        except BaseExceptionGroup as group_error:
            raise group_error.exceptions[0] from None
        finally:
            if limits_actor is not None:
                ray.kill(limits_actor)
        lags = self.stats.worker_lag_p90_ms
        self.stats.loop_lag_p90_ms = max(lags) if lags else 0.0

    async def _drive(
        self,
        ray: Any,
        worker_class: Any,
        limits_actor: Any,
        slot: int,
        jobs: list[Job],
        specs: list[TargetSpec],
        index: dict[int, int],
        concurrency: int,
    ) -> None:
        """Run one share to the end, replacing its worker when it dies."""
        lost = (ray.exceptions.RayActorError, ray.exceptions.WorkerCrashedError)
        pending = {_job_key(job): job for job in jobs}
        life = 0
        while pending:
            life += 1
            name = f"worker-{slot}.{life}"
            actor = worker_class.options(
                num_cpus=1, max_restarts=0, max_task_retries=0, scheduling_strategy="SPREAD"
            ).remote(name, limits_actor)
            todo = [(job.item, index[id(job.target)], job.repeat) for job in pending.values()]
            share = Share(self.run_id, specs, todo, self.retry, concurrency)
            try:
                async for ref in actor.run.remote(share):
                    out = await ref
                    if isinstance(out, RunStats):
                        self._merge(out)
                        continue
                    for row in out:
                        job = pending.pop(_row_key(row), None)
                        if job is not None:  # a key is written once, whatever a worker says
                            await self._finish(job, row)
            except lost:
                self.stats.worker_failures += 1
                if limits_actor is not None:
                    limits_actor.forget.remote(name)
                if life > MAX_REPLACEMENTS:
                    raise ModelbenchError(
                        f"Ray worker {slot} died {life} times ({len(pending)} keys left); "
                        "the rows so far are in the results file: rerun with --resume"
                    ) from None
            finally:
                ray.kill(actor, no_restart=True)

    def _merge(self, worker: RunStats) -> None:
        s = self.stats
        s.retries += worker.retries
        s.rate_limited += worker.rate_limited
        s.calls += worker.calls
        s.cpu_s += worker.cpu_s
        s.wall_s = max(s.wall_s, worker.wall_s)
        s.worker_lag_p90_ms += worker.worker_lag_p90_ms
        s.worker_nodes += worker.worker_nodes
        for kind, n in worker.attempt_errors.items():
            s.attempt_errors[kind] = s.attempt_errors.get(kind, 0) + n

    async def _finish(self, job: Job, row: ResultRow) -> None:
        """Score, cache, write and count one row: the only place rows are written."""
        row = await score_row(self.scorer, row, job.item)
        key = self._cache_keys.get(_job_key(job))
        if self.cache is not None and key is not None and row.ok and not row.cached:
            self.cache.put_result(key, result_of_row(row))
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
