"""What modelbench adds per request on top of a bare ``litellm.acompletion``.

Both sides stream the same mocked call (``mock_response``, no network) one request at a time;
modelbench also plans, schedules, classifies, scores ("exact"), writes and flushes a row to a
JSONL file and reads the file back. Blocks of the two alternate so machine noise hits both::

    .venv/bin/python benchmarks/bench_overhead.py [--requests 200] [--blocks 10]

Target: under 1 ms added per request (p50 over blocks).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from modelbench import Benchmark, Registry, import_litellm

TEXT = "The capital of France is Paris."
REGISTRY = Registry.from_dict(
    {
        "models": {"m": "mock/gpt-4o-mini"},
        "backends": {"mock": {"provider": "openai", "api_key": "sk-mock"}},
    }
)


async def bare(litellm: object, n: int) -> float:
    """Seconds for n sequential streamed mock calls straight through litellm."""
    start = time.perf_counter()
    for i in range(n):
        stream = await litellm.acompletion(  # type: ignore[attr-defined]
            model="openai/gpt-4o-mini",
            api_key="sk-mock",
            messages=[{"role": "user", "content": f"question {i}"}],
            mock_response=TEXT,
            stream=True,
            stream_options={"include_usage": True},
            num_retries=0,
            max_retries=0,
        )
        async for _chunk in stream:
            pass
    return time.perf_counter() - start


def modelbench(n: int, directory: Path, block: int) -> float:
    """Seconds for the same n calls through Benchmark (concurrency 1, file, scorer)."""
    rows = [{"id": f"q{i}", "prompt": f"question {i}", "expected": "Paris"} for i in range(n)]
    start = time.perf_counter()
    df = Benchmark(
        REGISTRY,
        rows,
        repeats=1,
        concurrency=1,
        scorer="exact",
        out=directory / f"block{block}.jsonl",
        params={"mock_response": TEXT},
        progress=False,
    ).run()
    elapsed = time.perf_counter() - start
    assert len(df) == n and (df["error_type"] == "").all()
    return elapsed


def engine_only(n: int, directory: Path) -> float:
    """Seconds per row of Benchmark itself: the call replaced by a stub that returns at once."""
    # internal on purpose: the engine's call is replaced to measure the engine alone
    from modelbench.bench import _engine as runner
    from modelbench.bench.calls import CallResult

    async def stub(deployment: object, item: object, kwargs: object) -> CallResult:
        return CallResult(TEXT, "2025-01-01T00:00:00.000+00:00", 0.01, 0.005, 12.0, 8.0)

    real = runner.stream_call
    runner.stream_call = stub  # type: ignore[assignment]
    try:
        return modelbench(n, directory, -2 - len(list(directory.glob("*")))) / n
    finally:
        runner.stream_call = real


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=200, help="requests per block")
    parser.add_argument("--blocks", type=int, default=10)
    args = parser.parse_args()
    litellm = import_litellm()
    n = args.requests
    asyncio.run(bare(litellm, 20))  # warm both paths up: litellm imports more on first use
    with tempfile.TemporaryDirectory() as tmp:
        modelbench(20, Path(tmp), -1)
        bare_ms, mb_ms = [], []
        for block in range(args.blocks):
            bare_ms.append(asyncio.run(bare(litellm, n)) / n * 1000)
            mb_ms.append(modelbench(n, Path(tmp), block) / n * 1000)
        engine_us = [engine_only(2000, Path(tmp)) * 1e6 for _ in range(3)]
    added = [m - b for m, b in zip(mb_ms, bare_ms, strict=True)]
    print(f"{args.blocks} blocks x {n} sequential streamed mock requests")
    print(f"  bare litellm.acompletion : {statistics.median(bare_ms):7.3f} ms/request (p50)")
    print(f"  modelbench Benchmark     : {statistics.median(mb_ms):7.3f} ms/request (p50)")
    print(
        f"  added by modelbench      : {statistics.median(added):7.3f} ms/request p50 "
        f"(min {min(added):.3f}, max {max(added):.3f}); target < 1 ms"
    )
    print(
        f"  engine alone (stub call) : {statistics.median(engine_us):7.1f} us/row "
        "(plan, schedule, score, write+flush, read back; 2,000 rows)"
    )


if __name__ == "__main__":
    main()
