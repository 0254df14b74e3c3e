"""How long ``summarize`` takes on 200,000 result rows, and the peak memory it needs.

    .venv/bin/python benchmarks/bench_summary.py [--rows 200000] [--jsonl]

Synthetic rows: 8 (model, backend) groups, 5% errors, 0/1 scores, lognormal latencies, 3%
unpriced rows, 2% cache hits, and 1% duplicated keys (so ``dedupe`` has work to do). With
``--jsonl`` the rows also go through a JSONL file and ``pandas.read_json``, as the CLI does.
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from modelbench import format_summary, paired_comparison, summarize


def synthetic_results(rows: int, seed: int = 0) -> pd.DataFrame:
    """``rows`` result rows shaped like the runner's (vectorised: builds 200k rows in ~0.2 s)."""
    rng = np.random.default_rng(seed)
    backends = [
        ("smart", "openai/gpt-4o"),
        ("smart", "azure/gpt-4o"),
        ("fast", "openai/gpt-4o-mini"),
        ("fast", "groq/llama-3.1-8b"),
        ("fast", "local/gemma-3-270m"),
        ("cheap", "together/llama-3.1-8b"),
        ("cheap", "deepinfra/llama-3.1-8b"),
        ("reason", "anthropic/claude-sonnet"),
    ]
    group = rng.integers(0, len(backends), rows)
    models = np.array([m for m, _ in backends], dtype=object)[group]
    names = np.array([b for _, b in backends], dtype=object)[group]
    prompts = rng.integers(0, rows // 20 + 1, rows)
    failed = rng.random(rows) < 0.05
    ttft = rng.lognormal(-1.5, 0.5, rows)
    out_tokens = rng.integers(20, 600, rows).astype(float)
    latency = ttft + out_tokens / rng.lognormal(4.3, 0.3, rows)
    cost = (200 * 2.5 + out_tokens * 10) / 1e6
    cost[rng.random(rows) < 0.03] = np.nan
    cached = rng.random(rows) < 0.02
    cost[cached] = 0.0
    score = (rng.random(rows) < 0.6 + 0.04 * group).astype(float)
    score[failed] = np.nan
    df = pd.DataFrame(
        {
            "run_id": "bench",
            "prompt_id": pd.Series(prompts).map("p{}".format),
            "category": np.where(prompts % 3 == 0, "math", "chat"),
            "model": models,
            "backend": names,
            "repeat": 0,
            "started_at": "2025-01-01T00:00:00Z",
            "latency_s": np.where(failed, np.nan, latency),
            "ttft_s": np.where(failed, np.nan, ttft),
            "tpot_s": np.nan,
            "input_tokens": 200.0,
            "output_tokens": np.where(failed, np.nan, out_tokens),
            "cost_usd": np.where(failed, np.nan, cost),
            "output": "",
            "score": score,
            "score_cost_usd": 0.0,
            "error_type": np.where(failed, "RateLimitError", ""),
            "error": np.where(failed, "429 Too Many Requests", ""),
            "attempts": 1,
            "cached": cached,
        }
    )
    # Unique keys, then 1% of rows written twice (a resumed run): dedupe keeps the last.
    df["repeat"] = df.groupby(["prompt_id", "model", "backend"]).cumcount()
    return pd.concat([df, df.sample(frac=0.01, random_state=seed)], ignore_index=True)


def peak_rss_mb() -> float:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 1e6 if sys.platform == "darwin" else peak / 1e3  # bytes on macOS, KiB on Linux


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--jsonl", action="store_true", help="also write and read a JSONL file")
    args = parser.parse_args()

    print(f"start: peak RSS {peak_rss_mb():.0f} MB (python + pandas + numpy)")
    t0 = time.perf_counter()
    df = synthetic_results(args.rows)
    print(f"generated {len(df):,} rows in {time.perf_counter() - t0:.2f} s")

    if args.jsonl:
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "results.jsonl"
            t0 = time.perf_counter()
            df.to_json(path, orient="records", lines=True)
            t1 = time.perf_counter()
            df = pd.read_json(path, lines=True)
            t2 = time.perf_counter()
            size = path.stat().st_size / 1e6
        print(f"jsonl {size:.0f} MB: write {t1 - t0:.2f} s, read_json {t2 - t1:.2f} s")

    print(f"peak RSS before summarising: {peak_rss_mb():.0f} MB")

    timings = []
    for _ in range(3):
        t0 = time.perf_counter()
        table = summarize(df)
        timings.append(time.perf_counter() - t0)
    print(f"summarize: best {min(timings):.3f} s of 3 ({len(table)} groups)")

    t0 = time.perf_counter()
    by_category = summarize(df, by=("model", "backend", "category"))
    print(f"summarize by category: {time.perf_counter() - t0:.3f} s ({len(by_category)} groups)")

    t0 = time.perf_counter()
    comparison = paired_comparison(df, "openai/gpt-4o", "azure/gpt-4o")
    latency = paired_comparison(df, "openai/gpt-4o", "azure/gpt-4o", "latency")
    boot = paired_comparison(df, "openai/gpt-4o", "azure/gpt-4o", method="bootstrap")
    print(f"3 paired comparisons: {time.perf_counter() - t0:.3f} s")

    t0 = time.perf_counter()
    text = format_summary(table)
    print(f"format_summary: {time.perf_counter() - t0:.4f} s")
    print(f"peak RSS after summarising: {peak_rss_mb():.0f} MB")
    print()
    print(text)
    print()
    for result in (comparison, boot, latency):
        print(result)


if __name__ == "__main__":
    main()
