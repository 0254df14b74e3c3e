"""The local model's build and run choices: decode speed and TTFT, modelbench vs direct calls.

For each choice (a llama-cpp-python build, llama.cpp's extra buffer types on or off, generation
threads) one server is started and the same prompts (``data/quickstart.jsonl``, the first
``--prompts``, greedy, ``--max-tokens`` with no stop so there is something to decode) go,
interleaved round by round, to:

* **direct**: llama.cpp's server called with a bare httpx client (stream, stamps where it reads
  the SSE lines; token counts from the server's usage);
* **modelbench**: ``Benchmark`` on the ``local`` backend pointed at the same server.

Decode tokens/s per request is (output_tokens - 1) / (latency - TTFT); medians are printed, and
modelbench's figures as a ratio of direct (goal: >= 0.95x decode speed, TTFT within 1/0.95)::

    .venv/bin/python benchmarks/local_server.py \\
        [--build current=.venv/bin/python --build amx-off=/tmp/amxoff/bin/python] \\
        [--extra-bufts off,on] [--threads default,2] [--rounds 2] [--prompts 10]

A build is a Python whose ``llama_cpp`` is the build to try (the server runs
``modelbench/servers/_llama_child.py``, which needs nothing from modelbench). A choice whose
server does not start (llama.cpp's AMX kernels crash where the VM does not grant AMX state)
is reported as such. Note ``uptime``: client and server share the machine's cores.
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
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from modelbench import Benchmark, Registry, ServerError, import_litellm  # noqa: E402

# internal: the local server's build and run choices are what this script compares
from modelbench.servers import local  # noqa: E402


class _Server(local.LocalServer):
    """The local server, run by another Python (another llama-cpp-python build)."""

    def __init__(self, python: str, threads: int | None, batch_threads: int | None) -> None:
        super().__init__(threads=threads, model_path=local.local_model_path())
        self.python = python
        self.batch_threads = batch_threads

    def _command(self, model: Path, port: int) -> list[str]:
        cmd = [self.python, *super()._command(model, port)[1:]]
        if self.batch_threads is not None:
            cmd += ["--n_threads_batch", str(self.batch_threads)]
        return cmd


def _prompts(n: int) -> list[dict[str, Any]]:
    rows = [json.loads(line) for line in (ROOT / "data/quickstart.jsonl").read_text().splitlines()]
    return [{"id": r["id"], "prompt": r["prompt"]} for r in rows[:n]]


def _decode_tps(ttft: float, latency: float, tokens: float) -> float:
    if tokens < 2 or not latency > ttft:
        return math.nan
    return (tokens - 1) / (latency - ttft)


async def _direct(api_base: str, rows: list[dict[str, Any]], max_tokens: int) -> list[tuple]:
    import httpx

    out = []
    async with httpx.AsyncClient(base_url=api_base, timeout=300) as client:
        for row in rows:
            body = {
                "model": local.DEFAULT_MODEL_ALIAS,
                "prompt": row["prompt"],
                "max_tokens": max_tokens,
                "temperature": 0,
                "stream": True,
            }
            sent = time.perf_counter()
            first = last = math.nan
            tokens = math.nan
            chunks = 0
            async with client.stream("POST", "/completions", json=body) as response:
                async for line in response.aiter_lines():
                    if not line.startswith("data: {"):
                        continue
                    last = time.perf_counter()
                    event = json.loads(line[6:])
                    choices = event.get("choices") or [{}]
                    if choices[0].get("text"):
                        chunks += 1
                        if math.isnan(first):
                            first = last
                    usage = event.get("usage")
                    if usage:
                        tokens = float(usage["completion_tokens"])
            if math.isnan(tokens):
                tokens = float(chunks)  # a build without usage in the stream: one chunk a token
            out.append((first - sent, last - sent, tokens))
    return out


def _modelbench(rows: list[dict[str, Any]], max_tokens: int, api_base: str) -> list[tuple]:
    os.environ[local.API_BASE_ENV] = api_base
    registry = Registry.from_dict(
        {
            "models": {
                "tiny": {
                    "backend": "local/gemma3-270m",
                    "capabilities": ["completion"],
                    "params": {"temperature": 0, "max_tokens": max_tokens},
                }
            },
            "backends": {"local": {"provider": "local", "rate_limits": {"max_parallel": 1}}},
        }
    )
    df = Benchmark(registry, rows, repeats=1, concurrency=1, progress=False).run()
    assert (df["error_type"] == "").all(), df["error"].unique()
    return list(zip(df["ttft_s"], df["latency_s"], df["output_tokens"], strict=True))


def _summary(samples: list[tuple]) -> tuple[float, float]:
    ttft = statistics.median(s[0] for s in samples) * 1000
    rates = [r for r in (_decode_tps(*s) for s in samples) if not math.isnan(r)]
    return ttft, statistics.median(rates) if rates else math.nan


def _choice(python: str, extra_bufts: bool, threads: str, args: argparse.Namespace) -> str:
    os.environ[local.EXTRA_BUFTS_ENV] = "1" if extra_bufts else "0"
    rows = _prompts(args.prompts)
    gen, _, batch = threads.partition("/")
    server = _Server(
        python,
        None if gen in ("", "default") else int(gen),
        int(batch) if batch else None,
    )
    try:
        started = time.perf_counter()
        server.start()
        load_s = time.perf_counter() - started
    except ServerError as exc:
        return f"server did not start: {str(exc)[:120]}"
    try:
        api_base = server.api_base
        asyncio.run(_direct(api_base, rows[:1], 4))  # first-request work out of the figures
        direct: list[tuple] = []
        ours: list[tuple] = []
        for r in range(args.rounds):
            for who in ("direct", "mb") if r % 2 == 0 else ("mb", "direct"):
                if who == "direct":
                    direct += asyncio.run(_direct(api_base, rows, args.max_tokens))
                else:
                    ours += _modelbench(rows, args.max_tokens, api_base)
        if server.exited():
            return f"server crashed: {server.last_output()[:120]}"
    except Exception as exc:  # the server died under a request (AMX kernels), or timed out
        state = "exited" if server.exited() else "still running"
        return f"failed: {type(exc).__name__}: {str(exc)[:80]} (server {state})"
    finally:
        server.stop()
    d_ttft, d_tps = _summary(direct)
    m_ttft, m_tps = _summary(ours)
    return (
        f"load {load_s:4.1f}s  direct: ttft {d_ttft:6.1f} ms, {d_tps:5.1f} tok/s  "
        f"modelbench: ttft {m_ttft:6.1f} ms, {m_tps:5.1f} tok/s  "
        f"(tok/s {m_tps / d_tps:.3f}x, ttft {m_ttft / d_ttft:.3f}x)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--build",
        action="append",
        metavar="NAME=PYTHON",
        help=f"a llama-cpp-python build to try (default: current={sys.executable})",
    )
    parser.add_argument("--extra-bufts", default="off,on", help="off, on or both (off,on)")
    parser.add_argument(
        "--threads",
        default="default",
        help="generation[/prompt] threads, e.g. default,1/1,2/2 (default: llama.cpp's, 1/2 here)",
    )
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--prompts", type=int, default=10)
    parser.add_argument("--max-tokens", type=int, default=32)
    args = parser.parse_args()
    builds = [b.split("=", 1) for b in args.build or [f"current={sys.executable}"]]
    import_litellm()
    print(f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())}; cpus {os.cpu_count()}")
    print(
        f"{args.prompts} quickstart prompts, {args.max_tokens} tokens greedy, "
        f"{args.rounds} rounds per client, interleaved"
    )
    for name, python in builds:
        for bufts in args.extra_bufts.split(","):
            for threads in args.threads.split(","):
                label = f"{name:<9} extra-bufts {bufts:<3} threads {threads:<7}"
                print(f"{label} {_choice(python, bufts == 'on', threads, args)}", flush=True)
    print(f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
