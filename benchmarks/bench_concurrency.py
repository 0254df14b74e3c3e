"""Concurrency efficiency: wall time of many requests against the fake provider vs the ideal.

Every request takes 100 ms at the fake (its own process); at concurrency C the ideal wall
time is ``ceil(N / C) * 0.1 s``. Three runs of the same N requests:

- ``bare litellm``: ``litellm.acompletion`` streamed under an ``asyncio.Semaphore(C)``, the
  floor any litellm-based client can reach on this machine;
- ``modelbench``: ``Benchmark(..., concurrency=C)`` writing rows to a file;
- ``modelbench engine``: the same Benchmark with the litellm call replaced by a 100 ms sleep,
  i.e. the scheduler alone.

    .venv/bin/python benchmarks/bench_concurrency.py [--requests 2000] [--concurrency 64]

Target: modelbench within 1.15x of the ideal wall time.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from modelbench import Benchmark, DatasetItem, FakeProvider, Registry, import_litellm

# Internals on purpose: this script replaces the engine's call to measure the engine alone.
from modelbench.bench import _engine as engine_module
from modelbench.bench.calls import CallResult

LATENCY = 0.1
PROFILE = {"models": {"hundred-ms": {"latency_s": LATENCY, "output_tokens": 4}}}


async def bare(litellm: Any, api_base: str, n: int, concurrency: int) -> float:
    gate = asyncio.Semaphore(concurrency)

    async def one(i: int) -> None:
        async with gate:
            stream = await litellm.acompletion(
                model="openai/hundred-ms",
                api_base=api_base,
                api_key="sk-fake",
                messages=[{"role": "user", "content": f"bare request {i}"}],
                stream=True,
                stream_options={"include_usage": True},
                num_retries=0,
                max_retries=0,
            )
            async for _chunk in stream:
                pass

    start = time.perf_counter()
    await asyncio.gather(*(one(i) for i in range(n)))
    return time.perf_counter() - start


def bench(api_base: str, n: int, concurrency: int, out: Path, tag: str) -> tuple[float, Any]:
    registry = Registry.from_dict(
        {
            "models": {"m": "fake/hundred-ms"},
            "backends": {"fake": {"provider": "openai", "api_base": api_base, "api_key": "sk"}},
        }
    )
    rows = [{"id": f"q{i}", "prompt": f"{tag} request {i}"} for i in range(n)]
    start = time.perf_counter()
    df = Benchmark(
        registry, rows, repeats=1, concurrency=concurrency, out=out, progress=False
    ).run()
    elapsed = time.perf_counter() - start
    return elapsed, df


async def _sleep_call(deployment: Any, item: DatasetItem, kwargs: Any) -> CallResult:
    await asyncio.sleep(LATENCY)
    return CallResult("x", "2025-01-01T00:00:00.000+00:00", LATENCY, LATENCY, 4.0, 4.0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=64)
    args = parser.parse_args()
    n, c = args.requests, args.concurrency
    ideal = math.ceil(n / c) * LATENCY
    litellm = import_litellm()
    with FakeProvider(PROFILE) as fake, tempfile.TemporaryDirectory() as tmp:
        asyncio.run(bare(litellm, fake.api_base, 50, 8))  # warm-up
        bare_s = asyncio.run(bare(litellm, fake.api_base, n, c))
        mb_s, df = bench(fake.api_base, n, c, Path(tmp) / "a.jsonl", "mb")
        assert len(df) == n and (df["error_type"] == "").all()
        real = engine_module.stream_call
        engine_module.stream_call = _sleep_call  # type: ignore[assignment]
        try:
            engine_s, _ = bench(fake.api_base, n, c, Path(tmp) / "b.jsonl", "engine")
        finally:
            engine_module.stream_call = real
        lateness = fake.stats()
    print(f"{n} requests, {LATENCY * 1000:.0f} ms each at the fake, concurrency {c}")
    print(f"  ideal wall time           : {ideal:6.2f} s")
    print(f"  bare litellm + semaphore  : {bare_s:6.2f} s  ({bare_s / ideal:.2f}x ideal)")
    print(
        f"  modelbench                : {mb_s:6.2f} s  ({mb_s / ideal:.2f}x ideal, "
        f"{mb_s / bare_s:.2f}x bare litellm)"
    )
    print(f"  modelbench engine (sleep) : {engine_s:6.2f} s  ({engine_s / ideal:.2f}x ideal)")
    print(f"  client CPU per request    : ~{bare_s / n * 1000:.1f} ms wall/request in litellm")
    print(f"  fake server lateness      : {getattr(lateness, 'timing', {})}")


if __name__ == "__main__":
    main()
