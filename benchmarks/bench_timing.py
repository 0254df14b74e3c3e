"""Timing accuracy: TTFT, latency and TPOT measured by Benchmark vs what the fake injected.

The fake (its own process) answers after ``latency_s``, sends the first token ``ttft_s`` later
and the rest at ``tokens_per_s``. Errors are measured minus injected, in ms; the fake's own
lateness (how late it sent what it scheduled) is printed alongside::

    .venv/bin/python benchmarks/bench_timing.py [--requests 200] [--concurrency 1,8,32]

Target: within 5 ms p50. modelbench starts its timers when litellm hands the request to its
HTTP layer (litellm's pre-call logging hook), so litellm's own request building is outside
them; the OpenAI SDK's request encoding after that hook, and litellm's parsing of each chunk,
are inside. The same requests made straight through litellm, timed from the moment litellm
is called, are printed under each row: what a plain user of litellm would measure.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from modelbench import Benchmark, FakeProvider, Registry, import_litellm

MODEL = {"latency_s": 0.1, "ttft_s": 0.2, "tokens_per_s": 50, "output_tokens": 10}
TTFT = MODEL["latency_s"] + MODEL["ttft_s"]
LATENCY = TTFT + (MODEL["output_tokens"] - 1) / MODEL["tokens_per_s"]
TPOT = 1 / MODEL["tokens_per_s"]


def run(api_base: str, n: int, concurrency: int, tag: str) -> Any:
    registry = Registry.from_dict(
        {
            "models": {"timed": "fake/timed"},
            "backends": {"fake": {"provider": "openai", "api_base": api_base, "api_key": "sk"}},
        }
    )
    rows = [{"id": f"q{i}", "prompt": f"{tag} {i}"} for i in range(n)]
    bench = Benchmark(registry, rows, repeats=1, concurrency=concurrency, progress=False)
    df = bench.run()
    assert (df["error_type"] == "").all(), df["error"].unique()
    return df


async def bare(api_base: str, n: int, concurrency: int, tag: str) -> list[tuple[float, float]]:
    """The same requests straight through litellm, timed the same way: (ttft, latency)."""
    litellm = import_litellm()
    gate = asyncio.Semaphore(concurrency)

    async def one(i: int) -> tuple[float, float]:
        async with gate:
            sent = time.perf_counter()
            stream = await litellm.acompletion(
                model="openai/timed",
                api_base=api_base,
                api_key="sk",
                messages=[{"role": "user", "content": f"{tag} {i}"}],
                stream=True,
                stream_options={"include_usage": True},
                num_retries=0,
                max_retries=0,
            )
            first = last = math.nan
            async for chunk in stream:
                last = time.perf_counter()
                if math.isnan(first) and chunk.choices and chunk.choices[0].delta.content:
                    first = last
            return first - sent, last - sent

    return list(await asyncio.gather(*(one(i) for i in range(n))))


def _ms(values: Any, target: float) -> tuple[float, float]:
    errors = sorted((v - target) * 1000 for v in values)
    return statistics.median(errors), errors[int(0.9 * (len(errors) - 1))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--concurrency", default="1,8,32")
    args = parser.parse_args()
    import_litellm()
    print(
        f"injected: ttft {TTFT * 1000:.0f} ms, latency {LATENCY * 1000:.0f} ms, "
        f"tpot {TPOT * 1000:.0f} ms ({MODEL['output_tokens']} tokens); "
        f"{args.requests} requests per row; error = measured - injected"
    )
    print(
        f"{'concurrency':>11}  {'ttft p50':>9} {'p90':>7}  {'latency p50':>11} {'p90':>7}  "
        f"{'tpot p50':>8}  {'fake late p50':>13}"
    )
    with FakeProvider({"models": {"timed": MODEL}}) as fake:
        run(fake.api_base, 5, 1, "warm-up")  # litellm imports more on its first call
        for c in (int(x) for x in args.concurrency.split(",")):
            fake.reset()
            df = run(fake.api_base, args.requests, c, f"c{c}")
            ttft50, ttft90 = _ms(df["ttft_s"], TTFT)
            lat50, lat90 = _ms(df["latency_s"], LATENCY)
            tpot50, _ = _ms(df["tpot_s"], TPOT)
            late = getattr(fake.stats(), "timing", {}).get("late_ms_p50", float("nan"))
            print(
                f"{c:>11}  {ttft50:+8.2f}ms {ttft90:+6.2f}ms  {lat50:+10.2f}ms {lat90:+6.2f}ms  "
                f"{tpot50:+7.3f}ms  {late:12.3f}ms  modelbench"
            )
            pairs = asyncio.run(bare(fake.api_base, args.requests, c, f"bare{c}"))
            ttft50, ttft90 = _ms([p[0] for p in pairs], TTFT)
            lat50, lat90 = _ms([p[1] for p in pairs], LATENCY)
            print(
                f"{c:>11}  {ttft50:+8.2f}ms {ttft90:+6.2f}ms  {lat50:+10.2f}ms {lat90:+6.2f}ms  "
                f"{'':>9}  {'':>13}  bare litellm"
            )


if __name__ == "__main__":
    main()
