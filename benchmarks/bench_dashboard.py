"""How long one change of the policy picker takes on 100,000 result rows, and filter changes.

    .venv/bin/python benchmarks/bench_dashboard.py [--rows 100000] [--changes 20]

Synthetic rows: 4 arms (tiny/cheap/mid/strong) with different accuracy, speed and price, the
same prompts for every arm, 5 repeats, 3% errors. The picker simulates once (timed apart),
then each change sets a slider or the objective and re-recommends from the simulated table
and redraws the frontier figure, as a person moving a slider would.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

import numpy as np
import pandas as pd

from modelbench import COLUMNS

ARMS = [  # model, backend, accuracy, median latency (s), ttft (s), $ per call
    ("tiny", "local/gemma3-270m", 0.45, 0.30, 0.05, 0.00001),
    ("cheap", "sim/cheap", 0.70, 0.40, 0.08, 0.0002),
    ("mid", "sim/mid", 0.82, 0.80, 0.20, 0.001),
    ("strong", "sim/strong", 0.93, 1.30, 0.40, 0.004),
]


def synthetic_results(rows: int, repeats: int = 5, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    prompts = max(1, rows // (len(ARMS) * repeats))
    n = prompts * len(ARMS) * repeats
    arm = np.repeat(np.arange(len(ARMS)), prompts * repeats)
    pid = np.tile(np.repeat(np.arange(prompts), repeats), len(ARMS))
    rep = np.tile(np.arange(repeats), prompts * len(ARMS))
    acc = np.array([a[2] for a in ARMS])[arm]
    difficulty = rng.random(prompts)[pid]  # shared per prompt: arms agree on easy ones
    fail = rng.random(n) < 0.03
    score = np.where(fail, np.nan, (difficulty < acc).astype(float))
    latency = rng.lognormal(np.log(np.array([a[3] for a in ARMS])[arm]), 0.3)
    ttft = rng.lognormal(np.log(np.array([a[4] for a in ARMS])[arm]), 0.3)
    frame = pd.DataFrame({c: np.nan for c in COLUMNS}, index=range(n))
    frame = frame.assign(
        run_id="bench",
        prompt_id=pd.Series(pid).map("p{:06d}".format),
        category=np.where(pid % 3 == 0, "math", "qa"),
        model=np.array([a[0] for a in ARMS])[arm],
        backend=np.array([a[1] for a in ARMS])[arm],
        repeat=rep,
        started_at="",
        latency_s=np.where(fail, np.nan, latency),
        ttft_s=np.where(fail, np.nan, ttft),
        cost_usd=np.array([a[5] for a in ARMS])[arm],
        output=np.where(fail, "", "answer"),
        score=score,
        score_cost_usd=0.0,
        error_type=np.where(fail, "Timeout", ""),
        error=np.where(fail, "timed out", ""),
        attempts=1,
        cached=False,
    )
    return frame


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--changes", type=int, default=20)
    args = parser.parse_args()

    # internal: the widget behind the dashboard, timed without a browser
    from modelbench.notebook.picker import PolicyPicker

    df = synthetic_results(args.rows)
    load = os.getloadavg()[0]
    print(f"{len(df)} rows, {df['prompt_id'].nunique()} prompts, {len(ARMS)} arms; load {load:.2f}")

    t0 = time.perf_counter()
    picker = PolicyPicker(df)
    built = time.perf_counter() - t0
    if picker.table is None:
        raise SystemExit("modelbench.routing is not installed: nothing to measure")
    print(f"picker built (simulate {len(picker.table)} policies + first recommend): {built:.2f}s")

    mq = np.linspace(0.4, 0.95, args.changes)
    objectives = ["cost", "latency", "quality", "balanced"]
    total, recommend_only = [], []
    for i in range(args.changes):
        t = time.perf_counter()
        if i % 4 == 3:
            picker.objective.value = objectives[(i // 4) % len(objectives)]
        else:
            picker.min_quality.value = float(round(mq[i], 2))
        total.append(time.perf_counter() - t)
        t = time.perf_counter()
        picker.routing.recommend(
            picker.results, picker.objective.value, table=picker.table, **picker.constraints()
        )
        recommend_only.append(time.perf_counter() - t)

    def ms(values: list[float]) -> str:
        p50, p95 = np.quantile(values, [0.5, 0.95]) * 1000
        return f"median {p50:.0f} ms, p95 {p95:.0f} ms, max {max(values) * 1000:.0f} ms"

    print(f"per change (recommend + recommendation HTML + frontier PNG): {ms(total)}")
    print(f"  of which recommend(table=...) alone: {ms(recommend_only)}")
    print(
        f"last: {statistics.mean(total) * 1000:.0f} ms mean over {args.changes} changes; "
        f"load {os.getloadavg()[0]:.2f}"
    )

    from modelbench import Dashboard

    t = time.perf_counter()
    dash = Dashboard(df)
    built = time.perf_counter() - t
    print(f"whole dashboard built (filters, summary, side by side, picker): {built:.2f}s")
    changes = [
        ("category filter", lambda: setattr(dash.category_filter, "value", ("math",))),
        ("only disagreements", lambda: setattr(dash.only_disagreements, "value", True)),
        ("backend filter", lambda: setattr(dash.arm_filter, "value", ("cheap", "strong"))),
        ("next disagreement", lambda: dash.next_button.click()),
    ]
    for label, change in changes:
        t = time.perf_counter()
        change()
        print(f"  {label}: {(time.perf_counter() - t) * 1000:.0f} ms")
    t = time.perf_counter()
    dash.tabs.selected_index = 1
    drawn = time.perf_counter() - t
    print(
        f"  plots tab (4 figures, {len(dash.view)} rows): {drawn:.2f}s; "
        f"load {os.getloadavg()[0]:.2f}"
    )


if __name__ == "__main__":
    main()
