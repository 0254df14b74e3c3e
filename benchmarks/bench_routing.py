"""How long ``simulate`` takes: 20 policies over 100,000 result rows (goal: < 3 s, 2 cores).

    .venv/bin/python benchmarks/bench_routing.py [--rows 100000] [--arms 5] [--candidates]

Synthetic rows: ``arms`` single-backend models x prompts x 2 repeats, 10 categories, 3% errors,
0/1 scores whose rate differs per arm and category, lognormal latencies, short outputs (a third
of them JSON, so the cascade checks have work). The 20 policies mix every family, including
three learned ones scored by 5-fold cross-validation. ``--candidates`` also times
``simulate(results)`` on the generated candidate set. Prints the load average beside the times:
the machine is shared, so read the figures with it.
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np
import pandas as pd

from modelbench import (
    ByCategory,
    Cascade,
    Cheapest,
    Fallback,
    Oracle,
    Policy,
    Single,
    Weighted,
    candidates,
    simulate,
)

# internal: the base class of learned policies, to time their fit alone
from modelbench.routing.policies import Learning

ARMS = ["tiny", "small", "medium", "large", "huge"]


def synthetic_results(rows: int, arms: int, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    names = ARMS[:arms] if arms <= len(ARMS) else [f"m{i}" for i in range(arms)]
    repeats = 2
    prompts = rows // (arms * repeats)
    arm = np.repeat(np.arange(arms), prompts * repeats)
    prompt = np.tile(np.repeat(np.arange(prompts), repeats), arms)
    repeat = np.tile(np.arange(repeats), arms * prompts)
    n = len(arm)
    category = prompt % 10
    skill = 0.45 + 0.1 * arm + 0.03 * ((category + arm) % 4)
    failed = rng.random(n) < 0.03
    score = (rng.random(n) < np.clip(skill, 0, 0.98)).astype(float)
    score[failed] = np.nan
    latency = rng.lognormal(-0.7 + 0.35 * arm, 0.4, n)
    outputs = np.array(['{"answer": 42}', "42", "I think it is 42.", ""], dtype=object)
    return pd.DataFrame(
        {
            "run_id": "bench",
            "prompt_id": pd.Series(prompt).map("p{}".format),
            "category": pd.Series(category).map("c{}".format),
            "model": np.array(names, dtype=object)[arm],
            "backend": pd.Series(np.array(names, dtype=object)[arm]).map("fake/{}".format),
            "repeat": repeat,
            "latency_s": latency,
            "ttft_s": latency * rng.uniform(0.1, 0.4, n),
            "cost_usd": 1e-4 * 2.0**arm * rng.uniform(0.5, 1.5, n),
            "output": np.where(failed, "", outputs[rng.integers(0, 4, n)]),
            "score": score,
            "error_type": np.where(failed, "Timeout", ""),
            "error": np.where(failed, "timed out", ""),
        }
    )


def twenty_policies(names: list[str]) -> list[Policy]:
    a, b, c, d, e = (names * 5)[:5]
    return [
        *(Single(x) for x in names[:5]),
        Fallback([a, e]),
        Fallback([b, d]),
        Fallback([c, e]),
        Fallback([a, b, e]),
        Cascade([a, e], "json"),
        Cascade([b, e], "nonempty"),
        Cascade([a, c, e], r"regex:^\d+$"),
        Weighted({a: 3, e: 1}),
        Weighted({b: 1, d: 1}),
        Weighted({a: 1, c: 1, e: 2}),
        Fallback([Weighted({a: 1, b: 1}), e]),
        ByCategory({}, learning=Learning()),
        ByCategory({}, learning=Learning(fallback=e)),
        Cheapest(0.7),
        Oracle(),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--arms", type=int, default=5)
    parser.add_argument("--repeat", type=int, default=3, help="timed runs (best and all shown)")
    parser.add_argument("--candidates", action="store_true", help="also time the candidate set")
    args = parser.parse_args()

    t0 = time.perf_counter()
    df = synthetic_results(args.rows, args.arms)
    print(f"built {len(df):,} rows ({args.arms} arms) in {time.perf_counter() - t0:.2f}s")
    policies = twenty_policies(sorted(set(df["model"])))
    times = []
    for _ in range(args.repeat):
        load = os.getloadavg()[0]
        t0 = time.perf_counter()
        table = simulate(df, policies)
        times.append((time.perf_counter() - t0, load))
    best = min(t for t, _ in times)
    print(
        f"simulate: {len(policies)} policies x {len(df):,} rows "
        f"({int(table['requests'].iloc[0]):,} requests, {int(table['cv'].sum())} learned, "
        f"{table.attrs['folds']}-fold CV): best {best:.2f}s; runs "
        + ", ".join(f"{t:.2f}s (load {lo:.2f})" for t, lo in times)
    )
    print(f"goal < 3 s: {'met' if best < 3 else 'NOT met'} (load average now {os.getloadavg()})")
    if args.candidates:
        pool = candidates(df)
        t0 = time.perf_counter()
        simulate(df, pool)
        print(
            f"simulate(candidates): {len(pool)} policies in {time.perf_counter() - t0:.2f}s "
            f"(load {os.getloadavg()[0]:.2f})"
        )


if __name__ == "__main__":
    main()
