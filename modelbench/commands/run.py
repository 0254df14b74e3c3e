"""``modelbench run`` (benchmark a dataset, write JSONL, print a summary) and ``report``."""

from __future__ import annotations

import argparse
import json
import math
import shlex
import sys
import time
from pathlib import Path
from typing import Any

from modelbench import MissingSecretError
from modelbench.commands.options import at_least_one, csv_list, positive_seconds
from modelbench.files import writable_file, write_text

LAG_WARNING_MS = 10.0
"""Event-loop lag (p90) above which ``run`` warns that timings include client waiting."""


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "run",
        help="benchmark a dataset on models/backends; rows go to a JSONL file as they finish",
        description=(
            "Call every (prompt, deployment, repeat) once, streamed, and append one row per "
            "call to --out. Faults are retried with back-off; what still fails is recorded. "
            "After a crash or Ctrl-C, run the same command with --resume."
        ),
    )
    p.add_argument("config", help="a modelbench config YAML")
    p.add_argument("dataset", help="a .jsonl or .csv dataset (id, prompt or messages, ...)")
    p.add_argument("--models", type=csv_list, help="comma-separated model names or aliases")
    p.add_argument(
        "--backends", type=csv_list, help="comma-separated backends (openai, openai/gpt-4o)"
    )
    p.add_argument(
        "--repeats", type=at_least_one, default=3, help="calls per prompt and backend (3)"
    )
    p.add_argument(
        "--concurrency", type=at_least_one, default=16, help="requests in flight at most (16)"
    )
    p.add_argument("--scorer", help="exact, contains, regex:<re>, json, numeric, judge:<model>")
    p.add_argument("--out", help="results JSONL (default: modelbench-runs/<run id>.jsonl)")
    p.add_argument("--resume", action="store_true", help="run only the keys --out lacks")
    p.add_argument(
        "--retry-errors", action="store_true", help="rerun the keys whose row in --out failed"
    )
    p.add_argument("--cache", metavar="DIR", help="reuse responses cached in DIR (and fill it)")
    p.add_argument(
        "--max-attempts", type=at_least_one, default=4, help="attempts per request (4)"
    )
    p.add_argument(
        "--timeout", type=positive_seconds, help="seconds per request (default: config, 600)"
    )
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.add_argument(
        "--workers",
        type=at_least_one,
        metavar="N",
        help="make the calls in N Ray worker processes (needs the 'ray' extra)",
    )
    p.add_argument(
        "--ray-address",
        metavar="ADDRESS",
        help="run the workers on this Ray cluster ('auto' or HOST:PORT) instead of locally",
    )
    p.set_defaults(func=cmd_run)

    p = sub.add_parser("report", help="summarise a results file (text, --json or --html)")
    p.add_argument("results", help="a results JSONL written by 'modelbench run'")
    p.add_argument("--json", action="store_true", help="print the summary as JSON")
    p.add_argument(
        "--html",
        metavar="FILE",
        help=(
            "also write a self-contained HTML page: summary, per category, figures, routing "
            "policies, outputs side by side"
        ),
    )
    p.add_argument(
        "--dataset",
        metavar="FILE",
        help="the run's dataset: the HTML page shows prompts in its order, with their text and "
        "expected answers",
    )
    p.add_argument(
        "--config",
        metavar="FILE",
        help="the run's config: the HTML page lists its backends that have no rows, and why",
    )
    p.add_argument(
        "--by",
        type=csv_list,
        default="model,backend",
        help="columns to group the summary by (default: model,backend; e.g. category,model)",
    )
    p.set_defaults(func=cmd_report)


def cmd_run(args: argparse.Namespace) -> int:
    from modelbench.commands import _overlap

    _overlap.import_litellm_soon()  # seconds of CPU: the config's validation waits for it
    if not (args.models or args.backends) and _overlap.local_server_named_in(args.config):
        _overlap.start_local_server_soon(None)  # loads its model beside litellm's import
    from modelbench.bench.calls import RetryPolicy
    from modelbench.bench.format import format_summary
    from modelbench.bench.runner import Benchmark, new_run_id
    from modelbench.bench.summary import summarize
    from modelbench.registry import Registry

    registry = Registry.from_yaml(args.config)
    for warning in registry.file_warnings:  # unset keys: the "skipping" note below, once
        print(warning, file=sys.stderr)
    backends = _select_backends(registry, args.models, args.backends)
    _overlap.start_local_server_soon(registry.deployments(args.models, backends))
    run_id = new_run_id()
    out = Path(args.out) if args.out else Path("modelbench-runs") / f"{run_id}.jsonl"
    bench = Benchmark(
        registry,
        args.dataset,
        models=args.models,
        backends=backends,
        repeats=args.repeats,
        concurrency=args.concurrency,
        scorer=args.scorer,
        out=out,
        resume=args.resume,
        retry_errors=args.retry_errors,
        cache=args.cache,
        retry=RetryPolicy(max_attempts=args.max_attempts),
        timeout=args.timeout,
        progress=not args.no_progress,
        run_id=run_id,
        workers=args.workers,
        ray_address=args.ray_address,
    )
    if args.scorer is None and any(item.expected is not None for item in bench.items):
        print(
            "note: the dataset has expected answers but no --scorer, so no row is scored; "
            "add --scorer exact (or contains, numeric, json, regex:<re>, judge:<model>)",
            file=sys.stderr,
        )
    todo = len(bench.todo_keys())
    if bench.stats.torn_line is not None:
        print(_torn_note(out, bench.stats.torn_line), file=sys.stderr)
    if bench.stats.skipped:
        print(
            f"{bench.stats.skipped} of {bench.stats.planned} rows already in {out}; running {todo}"
        )
    started = time.perf_counter()
    try:
        df = bench.run()
    except KeyboardInterrupt:
        print(
            f"\ninterrupted: {bench.stats.rows} rows of this run are in {out}.\n"
            f"to finish, run: {_resume_command(args, out)}",
            file=sys.stderr,
        )
        return 130
    elapsed = time.perf_counter() - started
    stats = bench.stats
    print(format_summary(summarize(df)))
    print(
        f"\n{stats.rows} rows in {elapsed:.1f}s -> {out} ({stats.errors} errors, "
        f"{stats.retries} retries, {stats.cache_hits} cached; run {run_id})"
    )
    if stats.loop_lag_p90_ms > LAG_WARNING_MS:
        print(_lag_note(stats, args.concurrency, df, run_id))
    if stats.error_types:
        kinds = ", ".join(f"{k} x{v}" for k, v in sorted(stats.error_types.items()))
        print(f"errors: {kinds}; rerun them with: {_resume_command(args, out, retry=True)}")
    return 0


def _lag_note(stats: Any, concurrency: int, df: Any, run_id: str) -> str:
    """The CPU-bound warning: how late, where, and how many workers would have kept up."""
    from modelbench.bench.capacity import workers_to_keep_up

    ok = df["error_type"].fillna("") == ""
    ours = df[(df["run_id"] == run_id) & ok & ~df["cached"].astype(bool)]
    median = float(ours["latency_s"].median()) if len(ours) else math.nan
    needed = workers_to_keep_up(stats, concurrency, median)
    lags = stats.worker_lag_p90_ms
    if lags:
        late = sum(1 for lag in lags if lag > LAG_WARNING_MS)
        where = f"{late} of {stats.workers} workers were CPU-bound (event loop late by up to"
    else:
        where = "this process was CPU-bound (event loop late by"
    advice = "use a lower --concurrency when latency figures matter"
    if needed is not None and needed > stats.workers:
        advice = (
            f"about {needed} workers (one core each) would have kept up: --workers {needed}, "
            f"on as many cores, or a lower --concurrency"
        )
    return (
        f"note: {where} {stats.loop_lag_p90_ms:.0f} ms at p90), so timings include time "
        f"waiting for it; {advice}"
    )


def _select_backends(
    registry: Any, models: list[str] | None, backends: list[str] | None
) -> list[str] | None:
    """The deployments to run: those whose secrets are set.

    With no selection, deployments missing a key are skipped with a note (so the same command
    benchmarks cloud backends once their keys are exported). A deployment chosen by name that
    misses a key is an error before anything runs.
    """
    chosen = registry.deployments(models, backends)
    missing = {d.name: d.missing_env() for d in chosen if d.missing_env()}
    if not missing:
        return backends
    if models or backends:
        name, variables = next(iter(missing.items()))
        raise MissingSecretError(
            f"{name} needs {', '.join(variables)}, which is not set; export it, "
            "or leave that backend out of --models/--backends"
        )
    usable = [d.name for d in chosen if d.name not in missing]
    for name, variables in missing.items():
        print(f"skipping {name}: {', '.join(variables)} not set", file=sys.stderr)
    if not usable:
        raise MissingSecretError(
            "no backend in the config can be called: export the API keys it names"
        )
    return list(dict.fromkeys(usable))


def cmd_report(args: argparse.Namespace) -> int:
    from modelbench import (
        Registry,
        format_summary,
        html_report,
        load_dataset,
        read_results,
        summarize,
    )

    if args.html:
        writable_file(args.html, option="--html")  # before the work, not after it
    df = read_results(args.results)
    torn = df.attrs.get("torn_line")
    if torn is not None:
        print(_torn_note(Path(args.results), torn), file=sys.stderr)
    summary = summarize(df, by=args.by)
    if args.json:
        records = summary.reset_index().to_dict(orient="records")
        print(json.dumps([_jsonable(r) for r in records], indent=2))
    else:
        print(format_summary(summary))
    if args.html:
        title = f"modelbench: {Path(args.results).name}"
        dataset = load_dataset(args.dataset) if args.dataset else None
        skipped = _skipped(Registry.from_yaml(args.config), df) if args.config else None
        sections = _report_sections(df)
        page = html_report(df, title=title, dataset=dataset, skipped=skipped, sections=sections)
        write_text(args.html, page, option="--html")
        if not args.json:
            print(f"wrote {args.html}")
    return 0


def _report_sections(df: Any) -> list[str]:
    """Figures and routing policies for the HTML page (need the ``notebook`` extra)."""
    from modelbench import MissingExtraError

    if df.empty:
        return []
    try:
        from modelbench.notebook.report import report_sections

        return report_sections(df)
    except MissingExtraError as exc:
        print(f"note: no figures in the HTML report: {exc}", file=sys.stderr)
        return []


def _skipped(registry: Any, df: Any) -> dict[str, str]:
    """Deployments of the config without a row in the results, with the likely reason."""
    have = set(zip(df["model"], df["backend"], strict=True)) if not df.empty else set()
    out: dict[str, str] = {}
    for dep in registry.deployments():
        if (dep.model, dep.name) in have:
            continue
        missing = dep.missing_env()
        reason = f"{', '.join(missing)} not set" if missing else "no rows in these results"
        out[f"{dep.model} @ {dep.name}"] = reason
    return out


def _jsonable(record: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in record.items():
        if hasattr(value, "item"):  # numpy scalars
            value = value.item()
        if isinstance(value, float) and not math.isfinite(value):
            value = None
        out[str(key)] = value
    return out


def _torn_note(path: Path, line: int) -> str:
    return (
        f"note: {path} line {line} was torn (a run was killed while writing it); "
        "it is ignored and its row will be run again"
    )


def _resume_command(args: argparse.Namespace, out: Path, *, retry: bool = False) -> str:
    parts = ["modelbench", "run", args.config, args.dataset]
    for flag in ("models", "backends"):
        if getattr(args, flag):
            parts += [f"--{flag}", ",".join(getattr(args, flag))]
    for flag, value in (
        ("repeats", args.repeats),
        ("concurrency", args.concurrency),
        ("scorer", args.scorer),
        ("cache", args.cache),
        ("timeout", args.timeout),
        ("workers", args.workers),
        ("ray-address", args.ray_address),
    ):
        if value is not None:
            parts += [f"--{flag}", str(value)]
    parts += ["--out", str(out), "--retry-errors" if retry else "--resume"]
    return " ".join(shlex.quote(p) for p in parts)
