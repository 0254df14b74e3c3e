"""Whole-command time of ``modelbench run`` against its own request loop.

Runs ``modelbench run examples/local.yaml data/quickstart.jsonl --repeats 1 --concurrency 1
--scorer exact`` as a user would (a fresh process; it starts the local model server itself
unless ``--shared-server``), several times, and splits each run's wall time using the rows it
wrote: *before* = process start -> first request sent, *loop* = first request sent -> last
response's last byte, *after* = that -> process gone::

    .venv/bin/python benchmarks/command_time.py [--runs 3] [--shared-server]

Goal: the whole command at most ~2 s longer than its request loop. ``--shared-server`` starts
one local server first and points every run at it (``MODELBENCH_LOCAL_API_BASE``), as a run
against an already running server would be; interleave runs with and without it yourself.
Note ``uptime``: on a shared machine the import of litellm alone takes seconds of CPU.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

# internal: the local server's variable name, to point the timed commands at one server
from modelbench.servers.local import API_BASE_ENV, LocalServer  # noqa: E402


def _run(env: dict[str, str], out: Path) -> tuple[float, float, float, float, int]:
    """(before, loop, after, rows-in seconds printed, rows) of one command run."""
    cmd = [
        sys.executable,
        "-m",
        "modelbench",
        "run",
        str(ROOT / "examples/local.yaml"),
        str(ROOT / "data/quickstart.jsonl"),
        "--repeats",
        "1",
        "--concurrency",
        "1",
        "--scorer",
        "exact",
        "--no-progress",
        "--out",
        str(out),
    ]
    started = time.time()
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
    ended = time.time()
    if done.returncode != 0:
        raise SystemExit(f"modelbench run failed ({done.returncode}): {done.stderr[-500:]}")
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    sends = [datetime.fromisoformat(r["started_at"]).timestamp() for r in rows]
    ends = [s + (r["latency_s"] or 0.0) for s, r in zip(sends, rows, strict=True)]
    printed = next(
        (
            float(line.split(" rows in ")[1].split("s")[0])
            for line in done.stdout.splitlines()
            if " rows in " in line
        ),
        float("nan"),
    )
    return min(sends) - started, max(ends) - min(sends), ended - max(ends), printed, len(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--shared-server", action="store_true")
    args = parser.parse_args()
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop(API_BASE_ENV, None)
    print(f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    server = LocalServer() if args.shared_server else None
    if server is not None:
        env[API_BASE_ENV] = server.start()
    results = []
    try:
        with tempfile.TemporaryDirectory() as tmp:
            for i in range(args.runs):
                before, loop, after, printed, n = _run(env, Path(tmp) / f"run{i}.jsonl")
                results.append((before, loop, after))
                print(
                    f"run {i}: {n} rows; before first request {before:5.2f} s, request loop "
                    f"{loop:5.2f} s, after last {after:5.2f} s; whole {before + loop + after:5.2f}"
                    f" s = loop + {before + after:4.2f} s  ('rows in' printed: {printed:.1f} s)",
                    flush=True,
                )
    finally:
        if server is not None:
            server.stop()
    med = [statistics.median(r[i] for r in results) for i in range(3)]
    print(
        f"median: before {med[0]:.2f} s, loop {med[1]:.2f} s, after {med[2]:.2f} s; "
        f"whole - loop = {med[0] + med[2]:.2f} s"
    )
    print(f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
