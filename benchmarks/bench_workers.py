"""Ray workers vs one process: throughput and TTFT error against the fake at concurrency 64.

2,000 streamed calls against the fake provider (its own process), each answering its first
token 100 ms after the request (``ttft_s``), at concurrency 64, run three ways on one fake:

- ``in-process``: today's engine, no Ray (the reference);
- ``--workers 1``: the same engine in one Ray worker (the driver writes rows);
- ``--workers 2``: two Ray workers, 32 requests in flight each.

For each: wall time of the whole run (Ray start included) and of the calls alone (first
call to last row, ``RunStats.wall_s``), calls per second, TTFT error against the injected
100 ms (median and p90 of measured - 0.1 s), the event-loop lag (p90, worst worker) and CPU
per call in the workers. Every configuration runs ``--repeat`` times, interleaved, so a
change of load on the machine hits each alike; note ``uptime`` beside the figures.

    .venv/bin/python benchmarks/bench_workers.py [--requests 2000] [--concurrency 64] [--repeat 2]

Goal (issue 9): ``--workers 2`` >= 1.7x the calls/s of ``--workers 1`` and half its TTFT error.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from modelbench import Benchmark, FakeProvider, Registry

TTFT = 0.1
PROFILE = {"models": {"hundred-ms": {"ttft_s": TTFT, "output_tokens": 4}}}


def one_run(
    api_base: str, n: int, c: int, workers: int | None, out: Path, tag: str
) -> dict[str, Any]:
    registry = Registry.from_dict(
        {
            "models": {"m": "fake/hundred-ms"},
            "backends": {"fake": {"provider": "openai", "api_base": api_base, "api_key": "sk"}},
        }
    )
    rows = [{"id": f"q{i}", "prompt": f"{tag} request {i}"} for i in range(n)]
    bench = Benchmark(
        registry, rows, repeats=1, concurrency=c, out=out, progress=False, workers=workers
    )
    cpu = time.process_time()
    start = time.perf_counter()
    df = bench.run()
    total = time.perf_counter() - start
    driver_cpu = time.process_time() - cpu
    ok = df[df["error_type"] == ""]
    error = (ok["ttft_s"] - TTFT) * 1000
    s = bench.stats
    return {
        "rows": len(df),
        "errors": int((df["error_type"] != "").sum()),
        "total_s": total,
        "calls_s": s.wall_s,
        "rate": len(df) / s.wall_s,
        "ttft_err_p50": float(error.median()),
        "ttft_err_p90": float(error.quantile(0.9)),
        "lag_p90": s.loop_lag_p90_ms,
        "worker_cpu_per_call_ms": s.cpu_s / max(1, s.calls) * 1000,
        "driver_cpu_s": driver_cpu,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args()
    os.environ.setdefault("RAY_DISABLE_USAGE_STATS", "1")
    n, c = args.requests, args.concurrency
    configs: list[tuple[str, int | None]] = [
        ("in-process", None),
        ("workers 1", 1),
        ("workers 2", 2),
    ]
    results: dict[str, list[dict[str, Any]]] = {name: [] for name, _ in configs}
    load = [subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()]
    with FakeProvider(PROFILE) as fake, tempfile.TemporaryDirectory() as tmp:
        one_run(fake.api_base, 100, 16, None, Path(tmp) / "warm.jsonl", "warm")
        for r in range(args.repeat):
            for name, workers in configs:
                out = Path(tmp) / f"{name.replace(' ', '-')}-{r}.jsonl"
                results[name].append(one_run(fake.api_base, n, c, workers, out, f"{name}{r}"))
                load.append(
                    subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()
                )
        late = fake.stats().timing
    print(
        f"{n} streamed calls, first token {TTFT * 1000:.0f} ms after the request, concurrency {c}"
    )
    print(f"machine: {os.cpu_count()} cores; load during the runs:")
    for line in load:
        print("  " + line)
    print(
        f"{'':12} {'run s':>6} {'calls s':>7} {'calls/s':>7} {'TTFT err p50/p90 ms':>20} "
        f"{'lag p90':>7} {'CPU/call':>8} {'driver CPU':>10}"
    )
    for name, _ in configs:
        for x in results[name]:
            print(
                f"{name:12} {x['total_s']:6.1f} {x['calls_s']:7.1f} {x['rate']:7.0f} "
                f"{x['ttft_err_p50']:9.0f} / {x['ttft_err_p90']:<8.0f} {x['lag_p90']:7.0f} "
                f"{x['worker_cpu_per_call_ms']:6.1f}ms {x['driver_cpu_s']:9.1f}s"
                + (f"  ({x['errors']} errors)" if x["errors"] else "")
            )
    one = results["workers 1"]
    two = results["workers 2"]
    for r, (a, b) in enumerate(zip(one, two, strict=True)):
        print(
            f"repeat {r + 1}: workers 2 / workers 1 throughput {b['rate'] / a['rate']:.2f}x "
            f"(goal >= 1.7x); TTFT error p50 {a['ttft_err_p50']:.0f} -> {b['ttft_err_p50']:.0f} ms "
            f"({b['ttft_err_p50'] / a['ttft_err_p50']:.2f}x, goal <= 0.5x)"
        )

    def med(runs: list[dict[str, Any]], key: str) -> float:
        return statistics.median(x[key] for x in runs)

    speedup = med(two, "rate") / med(one, "rate")
    error = med(two, "ttft_err_p50") / med(one, "ttft_err_p50")
    print(f"median over repeats: {speedup:.2f}x throughput, TTFT error {error:.2f}x")
    print(f"fake server lateness (its share of the error): {late}")


if __name__ == "__main__":
    main()
