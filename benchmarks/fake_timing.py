"""How faithfully the fake provider's injected timing reaches a client.

Starts ``FakeProvider`` (its own process) with one fault-free model of known timing, streams
chat completions through aiohttp, httpx and litellm at each concurrency, and prints the
error (seen minus injected, in ms) of time to first token and of total time::

    .venv/bin/python benchmarks/fake_timing.py [--requests 40] [--concurrency 1,64]

Target: within 5 ms at concurrency 1. Errors at high concurrency are mostly the client's
own event loop (one Python thread parsing every stream), not the server.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from modelbench import FakeProvider, import_litellm

MODEL = {"latency_s": 0.05, "ttft_s": 0.1, "tokens_per_s": 100, "output_tokens": 20}
TTFT = MODEL["latency_s"] + MODEL["ttft_s"]
TOTAL = TTFT + (MODEL["output_tokens"] - 1) / MODEL["tokens_per_s"]

# One streamed request: returns (seconds to first content, seconds to the end).
Probe = Callable[[int], Awaitable[tuple[float, float]]]


def _body(i: int) -> dict[str, Any]:
    return {
        "model": "timed",
        "stream": True,
        "messages": [{"role": "user", "content": f"request {i} {time.time_ns()}"}],
    }


def _has_content(line: bytes | str) -> bool:
    text = line.decode() if isinstance(line, bytes) else line
    if not text.startswith("data: ") or text.startswith("data: [DONE]"):
        return False
    choices = json.loads(text[6:]).get("choices") or [{}]
    return bool(choices[0].get("delta", {}).get("content"))


async def _aiohttp_probe(api_base: str) -> tuple[Probe, Callable[[], Awaitable[None]]]:
    import aiohttp

    session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=256))

    async def probe(i: int) -> tuple[float, float]:
        start = time.perf_counter()
        first = None
        async with session.post(api_base + "/chat/completions", json=_body(i)) as response:
            async for line in response.content:
                if first is None and _has_content(line):
                    first = time.perf_counter() - start
        return first or float("nan"), time.perf_counter() - start

    return probe, session.close


async def _httpx_probe(api_base: str) -> tuple[Probe, Callable[[], Awaitable[None]]]:
    import httpx

    client = httpx.AsyncClient(limits=httpx.Limits(max_connections=256), timeout=30)

    async def probe(i: int) -> tuple[float, float]:
        start = time.perf_counter()
        first = None
        async with client.stream("POST", api_base + "/chat/completions", json=_body(i)) as r:
            async for line in r.aiter_lines():
                if first is None and _has_content(line):
                    first = time.perf_counter() - start
        return first or float("nan"), time.perf_counter() - start

    return probe, client.aclose


async def _litellm_probe(api_base: str) -> tuple[Probe, Callable[[], Awaitable[None]]]:
    litellm = import_litellm()  # type: ignore[no-untyped-call]

    async def probe(i: int) -> tuple[float, float]:
        start = time.perf_counter()
        first = None
        response = await litellm.acompletion(
            model="openai/timed",
            messages=_body(i)["messages"],
            api_base=api_base,
            api_key="sk-fake",
            stream=True,
            num_retries=0,
            timeout=30,
        )
        async for chunk in response:
            if first is None and chunk.choices and chunk.choices[0].delta.content:
                first = time.perf_counter() - start
        return first or float("nan"), time.perf_counter() - start

    return probe, litellm.close_litellm_async_clients


CLIENTS = {"aiohttp": _aiohttp_probe, "httpx": _httpx_probe, "litellm": _litellm_probe}


async def _measure(probe: Probe, concurrency: int, requests: int) -> list[tuple[float, float]]:
    # Warm up lazy imports and open `concurrency` pooled connections before measuring.
    await asyncio.gather(*(probe(-1 - i) for i in range(max(3, concurrency))))
    gate = asyncio.Semaphore(concurrency)

    async def one(i: int) -> tuple[float, float]:
        async with gate:
            return await probe(i)

    return await asyncio.gather(*(one(i) for i in range(requests)))


def _row(errors_ms: list[float]) -> str:
    q = statistics.quantiles(errors_ms, n=10)
    return f"{statistics.median(errors_ms):6.1f} {q[8]:6.1f} {max(errors_ms):6.1f}"


async def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=40, help="requests per concurrency")
    parser.add_argument("--concurrency", default="1,64")
    parser.add_argument("--clients", default=",".join(CLIENTS))
    args = parser.parse_args(argv)
    levels = [int(c) for c in args.concurrency.split(",")]

    print(f"injected: TTFT {TTFT * 1000:.0f} ms, total {TOTAL * 1000:.0f} ms  ({MODEL})")
    print(
        "error = seen - injected, ms            TTFT p50    p90    max | total p50    p90    max"
        " | server late p50 p90 max"
    )
    with FakeProvider({"models": {"timed": MODEL}}) as fake:
        for name in args.clients.split(","):
            probe, close = await CLIENTS[name](fake.api_base)
            try:
                for level in levels:
                    n = max(args.requests, 2 * level) if level > 1 else args.requests
                    fake.reset()
                    samples = await _measure(probe, level, n)
                    ttft = [(first - TTFT) * 1000 for first, _ in samples]
                    total = [(end - TOTAL) * 1000 for _, end in samples]
                    late = fake.stats().timing
                    label = f"{name:8} concurrency {level:3}  n={n:3}"
                    print(
                        f"{label:36}    {_row(ttft)} |       {_row(total)} |"
                        f" {late['late_ms_p50']:5.1f} {late['late_ms_p90']:5.1f}"
                        f" {late['late_ms_max']:5.1f}"
                    )
            finally:
                await close()


if __name__ == "__main__":
    asyncio.run(main())
