"""Memory: 200,000 result rows written by the runner, then read back and summarised.

One process, as a real run: litellm imported, ``Benchmark`` writing every row to a JSONL file
(the provider call replaced by a stub that returns a 200-character answer at once, so the
run takes seconds instead of hours), then ``read_results`` + ``summarize`` +
``format_summary``. Peak RSS is the process's high-water mark::

    .venv/bin/python benchmarks/bench_memory.py [--rows 200000]

Target: peak RSS under 500 MB.
"""

from __future__ import annotations

import argparse
import asyncio
import resource
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import psutil

from modelbench import (
    Benchmark,
    DatasetItem,
    Registry,
    format_summary,
    import_litellm,
    read_results,
    summarize,
)

# Internals on purpose: this script replaces the engine's call to measure the engine alone.
from modelbench.bench import _engine as engine_module
from modelbench.bench.calls import CallResult

ANSWER = ("The answer, with a little explanation around it. " * 4)[:200]
REPEATS = 5
BACKENDS = 4


async def stub(deployment: Any, item: DatasetItem, kwargs: Any) -> CallResult:
    await asyncio.sleep(0)
    n = int(item.id[1:])
    return CallResult(ANSWER, "2025-01-01T00:00:00.000+00:00", 0.5 + n % 7 / 10, 0.2, 40.0, 50.0)


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def now_mb() -> float:
    return float(psutil.Process().memory_info().rss) / 2**20


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=200_000)
    args = parser.parse_args()
    prompts = args.rows // (REPEATS * BACKENDS)
    import_litellm()
    print(f"after importing litellm, pandas: RSS {now_mb():.0f} MB")
    registry = Registry.from_dict(
        {
            "models": {
                "m": {"backends": [f"b{i}/model-{i}" for i in range(BACKENDS)]},
            },
            "backends": {
                f"b{i}": {"provider": "openai", "api_key": "sk", "pricing": {"input_per_1m": 1}}
                for i in range(BACKENDS)
            },
        }
    )
    dataset = [
        {"id": f"q{i}", "prompt": f"Question {i}: what is {i} squared?", "expected": str(i * i)}
        for i in range(prompts)
    ]
    engine_module.stream_call = stub  # type: ignore[assignment]
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "big.jsonl"
        start = time.perf_counter()
        bench = Benchmark(
            registry,
            dataset,
            repeats=REPEATS,
            concurrency=64,
            scorer="contains",
            out=out,
            progress=False,
        )
        bench.run()  # returns the file read back, as `modelbench run` then summarises it
        wrote = time.perf_counter() - start
        size = out.stat().st_size / 2**20
        print(
            f"wrote {bench.stats.rows:,} rows ({size:.0f} MB JSONL) in {wrote:.1f}s "
            f"through Benchmark (and read them back): peak RSS {peak_mb():.0f} MB"
        )
        start = time.perf_counter()
        df = read_results(out)
        table = summarize(df)
        text = format_summary(table)
        took = time.perf_counter() - start
        assert len(df) == bench.stats.rows == prompts * REPEATS * BACKENDS
        assert len(table) == BACKENDS
        print(
            f"read_results + summarize + format_summary of {len(df):,} rows in {took:.1f}s: "
            f"peak RSS {peak_mb():.0f} MB (now {now_mb():.0f} MB)"
        )
    print(text)
    print(f"peak RSS over the whole run: {peak_mb():.0f} MB (target < 500 MB)")


if __name__ == "__main__":
    main()
