"""``modelbench export CONFIG --results RESULTS ...``: the tuned config (see routing/tune.py)."""

from __future__ import annotations

import argparse
import sys
from typing import Any

OBJECTIVES = ("cost", "latency", "quality", "balanced")


def add_tune_arguments(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group(
        "tuned export",
        "with --results: recommend a routing policy on the benchmark results and write it into "
        "the config as a model clients call (--name), with the figures it was chosen by",
    )
    g.add_argument("--results", metavar="RESULTS", help="benchmark results (modelbench run)")
    g.add_argument("--objective", choices=OBJECTIVES, default="balanced")
    g.add_argument("--min-quality", type=float, metavar="Q", help="quality floor (0-1)")
    g.add_argument("--max-p95", type=float, metavar="S", help="p95 latency ceiling, seconds")
    g.add_argument("--max-cost-per-1k", type=float, metavar="C", help="USD per 1,000 requests")
    g.add_argument("--max-error-rate", type=float, metavar="E", help="error-rate ceiling (0-1)")
    g.add_argument(
        "--policy",
        metavar="SPEC",
        help="export this policy (e.g. fallback:cheap,strong) instead of the recommended one",
    )
    g.add_argument("--name", default="routed", help="the model name clients call (routed)")


def tuned_registry(registry: Any, args: argparse.Namespace) -> Any:
    from modelbench.routing.tune import tune

    tuned = tune(
        registry,
        args.results,
        objective=args.objective,
        name=args.name,
        policy=args.policy,
        min_quality=args.min_quality,
        max_p95_s=args.max_p95,
        max_cost_per_1k=args.max_cost_per_1k,
        max_error_rate=args.max_error_rate,
    )
    ev = tuned.registry.config.routes[args.name].evidence
    print(
        f"route {args.name!r}: {tuned.policy.describe()}"
        + (f" ({ev.reason})" if ev is not None and ev.reason else ""),
        file=sys.stderr,
    )
    return tuned.registry
