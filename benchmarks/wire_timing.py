"""modelbench's timings beside a raw httpx client's, on the same fake backend, interleaved.

The fake provider (its own process) sends the first token 200 ms after the request and then
20 tokens 20 ms apart (latency 580 ms). Each round runs the same number of streamed chat
requests through a raw ``httpx.AsyncClient`` (stamps around its own reads of the SSE lines)
and through ``Benchmark`` (rows' ``ttft_s`` / ``latency_s``), alternating which goes first;
medians over all rounds, and modelbench's excess over the raw client::

    .venv/bin/python benchmarks/wire_timing.py [--rounds 6] [--requests 32] [--concurrency 1,16]

Goal: latency within 1% of the raw client at concurrency 1 and 3% at 16. Note ``uptime``
beside the figures: both clients share the machine's cores with the fake and anything else.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from modelbench._env import import_litellm
from modelbench.bench import Benchmark
from modelbench.registry import Registry
from modelbench.servers.fake import FakeProvider

MODEL = {"latency_s": 0.0, "ttft_s": 0.2, "tokens_per_s": 50, "output_tokens": 20}
TTFT = MODEL["latency_s"] + MODEL["ttft_s"]
LATENCY = TTFT + (MODEL["output_tokens"] - 1) / MODEL["tokens_per_s"]


def modelbench_round(
    api_base: str, n: int, concurrency: int, tag: str
) -> list[tuple[float, float]]:
    registry = Registry.from_dict(
        {
            "models": {"timed": "fake/timed"},
            "backends": {"fake": {"provider": "openai", "api_base": api_base, "api_key": "sk"}},
        }
    )
    rows = [{"id": f"q{i}", "prompt": f"{tag} {i}"} for i in range(n)]
    df = Benchmark(registry, rows, repeats=1, concurrency=concurrency, progress=False).run()
    assert (df["error_type"] == "").all(), df["error"].unique()
    return list(zip(df["ttft_s"], df["latency_s"], strict=True))


async def raw_round(api_base: str, n: int, concurrency: int, tag: str) -> list[tuple[float, float]]:
    """The same requests through a bare httpx client: stamps where it reads each line."""
    import httpx

    gate = asyncio.Semaphore(concurrency)
    limits = httpx.Limits(max_connections=max(concurrency, 10))
    async with httpx.AsyncClient(base_url=api_base, limits=limits, timeout=60) as client:

        async def one(i: int) -> tuple[float, float]:
            body = {
                "model": "timed",
                "stream": True,
                "stream_options": {"include_usage": True},
                "messages": [{"role": "user", "content": f"{tag} {i}"}],
            }
            async with gate:
                sent = time.perf_counter()
                first = last = math.nan
                async with client.stream(
                    "POST", "/chat/completions", json=body, headers={"Authorization": "Bearer sk"}
                ) as response:
                    async for line in response.aiter_lines():
                        if not line:
                            continue
                        last = time.perf_counter()
                        if math.isnan(first) and line.startswith("data: {"):
                            choices = json.loads(line[6:]).get("choices") or [{}]
                            if choices[0].get("delta", {}).get("content"):
                                first = last
                return first - sent, last - sent

        return list(await asyncio.gather(*(one(i) for i in range(n))))


def _median_ms(pairs: list[tuple[float, float]], index: int) -> float:
    return statistics.median(p[index] for p in pairs) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--requests", type=int, default=32, help="requests per client per round")
    parser.add_argument("--concurrency", default="1,16")
    args = parser.parse_args()
    import_litellm()
    print(f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print(
        f"injected: ttft {TTFT * 1000:.0f} ms, latency {LATENCY * 1000:.0f} ms "
        f"({MODEL['output_tokens']} tokens, {1000 / MODEL['tokens_per_s']:.0f} ms apart); "
        f"{args.rounds} rounds x {args.requests} requests per client, interleaved"
    )
    print(
        f"{'c':>3}  {'client':<10} {'ttft p50':>9} {'latency p50':>12}  "
        f"{'ttft vs raw':>12} {'latency vs raw':>15}"
    )
    with FakeProvider({"models": {"timed": MODEL}}) as fake:
        modelbench_round(fake.api_base, 4, 1, "warm-up")  # litellm builds more on first use
        asyncio.run(raw_round(fake.api_base, 4, 1, "warm-up"))
        for c in (int(x) for x in args.concurrency.split(",")):
            raw: list[tuple[float, float]] = []
            ours: list[tuple[float, float]] = []
            for r in range(args.rounds):
                order = ("raw", "mb") if r % 2 == 0 else ("mb", "raw")
                for who in order:
                    tag = f"c{c}-r{r}-{who}"
                    if who == "raw":
                        raw += asyncio.run(raw_round(fake.api_base, args.requests, c, tag))
                    else:
                        ours += modelbench_round(fake.api_base, args.requests, c, tag)
            raw_ttft, raw_lat = _median_ms(raw, 0), _median_ms(raw, 1)
            mb_ttft, mb_lat = _median_ms(ours, 0), _median_ms(ours, 1)
            print(f"{c:>3}  {'raw httpx':<10} {raw_ttft:8.1f}ms {raw_lat:11.1f}ms")
            print(
                f"{c:>3}  {'modelbench':<10} {mb_ttft:8.1f}ms {mb_lat:11.1f}ms  "
                f"{mb_ttft - raw_ttft:+8.1f} ms {mb_lat - raw_lat:+8.1f} ms "
                f"({(mb_lat / raw_lat - 1) * 100:+.2f}%)"
            )
    print(f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
