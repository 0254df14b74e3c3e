"""``Benchmark``: every (prompt, deployment, repeat) called once, streamed, one row each.

    bench = Benchmark(registry, "qa.jsonl", models=["fast", "smart"], repeats=3,
                      scorer="exact", out="results.jsonl")
    df = bench.run()            # also in Jupyter; ``await bench.arun()`` in async code

Deployments are called directly (never through the Router), with litellm's retries off:
modelbench retries retriable faults itself (``RetryPolicy``), keeps every wait out of the
timings, and adapts each backend's concurrency (``BackendLimiter``). A request that still
fails becomes a row with ``error_type``/``error``. Rows are appended to ``out`` as they
finish; ``resume`` runs only keys without a row, ``retry_errors`` reruns failed keys.

``workers=N`` makes the calls in N Ray worker processes on this machine, ``ray_address``
(``"auto"`` or ``HOST:PORT``) on a running Ray cluster; this process still plans, caches,
scores and writes every row (``modelbench.bench.distributed``; needs the ``ray`` extra).
"""

from __future__ import annotations

import math
import secrets
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from modelbench._errors import ModelbenchError, OptionError, ResultsError
from modelbench._sync import run_sync
from modelbench.bench._engine import Execution, Job, RunStats, Target
from modelbench.bench.cache import ResponseCache, open_cache
from modelbench.bench.calls import (
    ErrorInfo,
    RetryPolicy,
    classify,
    request_kwargs,
)
from modelbench.bench.dataset import load_dataset
from modelbench.bench.limiter import BackendLimiter
from modelbench.bench.record import DatasetItem
from modelbench.bench.store import (
    Key,
    ResultsWriter,
    completed_keys,
    failed_keys,
    read_results,
    rows_to_frame,
)
from modelbench.files import writable_file

if TYPE_CHECKING:
    import pandas as pd

    from modelbench.bench.dataset import DatasetSource
    from modelbench.bench.distributed import RayExecution
    from modelbench.bench.scoring import Scorer, ScorerSpec
    from modelbench.registry import Deployment, Registry

__all__ = ["Benchmark", "RunStats", "new_run_id"]


def new_run_id() -> str:
    """``20250101T120000-1a2b3c``: sortable by start time, unique enough."""
    return time.strftime("%Y%m%dT%H%M%S", time.gmtime()) + "-" + secrets.token_hex(3)


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
        workers: int | None = None,
        ray_address: str | None = None,
    ) -> None:
        if repeats < 1 or concurrency < 1:
            raise OptionError(
                f"repeats and concurrency must be at least 1 (got {repeats}, {concurrency})"
            )
        if timeout is not None and not (math.isfinite(timeout) and timeout > 0):
            raise OptionError(f"timeout must be a number of seconds above 0, got {timeout}")
        if workers is not None and workers < 1:
            raise OptionError(f"workers must be at least 1 (got {workers})")
        if workers is not None or ray_address is not None:
            from modelbench.bench.distributed import require_ray

            require_ray()  # no Ray: one line naming the extra, before anything runs
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
        self.cache = open_cache(cache)
        self.retry = retry or RetryPolicy()
        self.timeout = timeout
        self.params = dict(params or {})
        self.progress = progress
        self.run_id = run_id or new_run_id()
        self.workers = workers
        self.ray_address = ray_address
        self.stats = RunStats()
        self.limiters: dict[str, BackendLimiter] = {}
        if self.out is not None:
            writable_file(self.out, option="--out")  # before any call: a bad path costs nothing
        if self.out is not None and not (resume or retry_errors) and _has_rows(self.out):
            raise ResultsError(
                f"{self.out} already has results: pass --resume (Benchmark(resume=True)) to "
                "run the missing rows, --retry-errors to rerun failed ones, or choose another file"
            )

    def __repr__(self) -> str:
        workers = f", workers={self.workers}" if self.workers is not None else ""
        return (
            f"Benchmark({len(self.items)} prompts x {len(self.deployments)} deployments x "
            f"{self.repeats} repeats, concurrency={self.concurrency}{workers})"
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
        settings: dict[str, Any] = {
            "run_id": self.run_id,
            "scorer": self.scorer,
            "cache": self.cache,
            "retry": self.retry,
            "concurrency": self.concurrency,
            "writer": writer,
            "stats": self.stats,
            "progress": self.progress,
        }
        execution: Execution | RayExecution
        if self.workers is not None or self.ray_address is not None:
            from modelbench.bench.distributed import RayExecution

            execution = RayExecution(
                **settings, workers=self.workers, ray_address=self.ray_address
            )
        else:
            execution = Execution(**settings)
        try:
            await execution.run(jobs)
        finally:
            if writer is not None:
                writer.close()
            if self.cache is not None:
                self.cache.close()
        if self.out is not None:
            return read_results(self.out)
        return rows_to_frame(execution.rows)

    # --- planning ---------------------------------------------------------------------------

    def _jobs(self, keys: list[Key]) -> list[Job]:
        items = {item.id: item for item in self.items}
        targets: dict[str, Target] = {}
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
            targets[f"{d.model}\x1f{d.name}"] = Target(d, limiter, kwargs, error)
        return [Job(items[p], targets[f"{m}\x1f{b}"], r) for p, m, b, r in keys]


def _has_rows(path: Path) -> bool:
    try:
        return path.stat().st_size > 0
    except OSError:
        return False
