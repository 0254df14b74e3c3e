"""modelbench's timings beside a raw httpx client's, on the same fake backend, interleaved.

The fake provider (its own process) sends the first token 200 ms after the request and then
20 tokens 20 ms apart (latency 580 ms). Each round runs the same number of streamed chat
requests through a raw ``httpx.AsyncClient`` (stamps around its own reads of the SSE lines)
and through ``Benchmark`` (rows' ``ttft_s`` / ``latency_s``), alternating which goes first;
medians over all rounds, and modelbench's excess over the raw client::

    .venv/bin/python benchmarks/wire_timing.py [--rounds 6] [--requests 32] [--concurrency 1,16]

Goal: latency within 1% of the raw client at concurrency 1 and 3% at 16. ``--hook`` adds a
third client: modelbench timed as before the wire stamps (litellm's own client, clock read
where litellm hands on chunks). Note ``uptime`` beside the figures: the clients share the
machine's cores with the fake and anything else, and at high concurrency a CPU-starved event
loop stamps late whatever stamps it.
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

from modelbench import Benchmark, FakeProvider, Registry, import_litellm

# internal: the client cache, to compare the two wire paths it chooses between
from modelbench.bench import _clients

MODEL = {"latency_s": 0.0, "ttft_s": 0.2, "tokens_per_s": 50, "output_tokens": 20}
TTFT = MODEL["latency_s"] + MODEL["ttft_s"]
LATENCY = TTFT + (MODEL["output_tokens"] - 1) / MODEL["tokens_per_s"]


def modelbench_round(
    api_base: str, n: int, concurrency: int, tag: str, hook: bool = False
) -> list[tuple[float, float]]:
    registry = Registry.from_dict(
        {
            "models": {"timed": "fake/timed"},
            "backends": {"fake": {"provider": "openai", "api_base": api_base, "api_key": "sk"}},
        }
    )
    rows = [{"id": f"q{i}", "prompt": f"{tag} {i}"} for i in range(n)]
    real = _clients.openai_client
    if hook:  # litellm's own client: no wire stamps
        _clients.openai_client = lambda kwargs, chat: None  # type: ignore[assignment]
    try:
        df = Benchmark(registry, rows, repeats=1, concurrency=concurrency, progress=False).run()
    finally:
        _clients.openai_client = real  # type: ignore[method-assign]
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
    parser.add_argument("--hook", action="store_true", help="also time modelbench the old way")
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
            clients = ["raw", "mb", *(["hook"] if args.hook else [])]
            got: dict[str, list[tuple[float, float]]] = {who: [] for who in clients}
            for r in range(args.rounds):
                order = clients[r % len(clients) :] + clients[: r % len(clients)]
                for who in order:
                    tag = f"c{c}-r{r}-{who}"
                    if who == "raw":
                        got[who] += asyncio.run(raw_round(fake.api_base, args.requests, c, tag))
                    else:
                        got[who] += modelbench_round(
                            fake.api_base, args.requests, c, tag, hook=who == "hook"
                        )
            raw_ttft, raw_lat = _median_ms(got["raw"], 0), _median_ms(got["raw"], 1)
            print(f"{c:>3}  {'raw httpx':<10} {raw_ttft:8.1f}ms {raw_lat:11.1f}ms")
            for who, label in (("mb", "modelbench"), ("hook", "mb (hook)")):
                if who not in got:
                    continue
                ttft, lat = _median_ms(got[who], 0), _median_ms(got[who], 1)
                print(
                    f"{c:>3}  {label:<10} {ttft:8.1f}ms {lat:11.1f}ms  "
                    f"{ttft - raw_ttft:+8.1f} ms {lat - raw_lat:+8.1f} ms "
                    f"({(lat / raw_lat - 1) * 100:+.2f}%)",
                    flush=True,
                )
    print(f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
