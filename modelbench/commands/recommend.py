"""``modelbench recommend`` (choose a routing policy under constraints) and ``policies``."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from modelbench import ConstraintsNotMetError

RECOMMEND_EXIT = {True: 0, False: ConstraintsNotMetError.exit_code}
"""Exit status: 0 when a policy meets the constraints, 3 when none does (2: bad input)."""


def register(sub: Any) -> None:
    p = sub.add_parser(
        "recommend",
        help="simulate routing policies on benchmark results and pick one under constraints",
        description=(
            "Replay candidate routing policies (single models, fallbacks, cascades, weighted "
            "mixes, per-category routing) over a results file, print them with the "
            "cost-quality frontier marked, and recommend the best one that meets every "
            "constraint. Exit 0 when one does, 3 when none does (the nearest miss is shown), "
            "2 on bad input. See doc/routing.md."
        ),
    )
    p.add_argument("results", help="a results JSONL written by 'modelbench run'")
    p.add_argument("--config", help="the config the results came from (checks the model names)")
    p.add_argument(
        "--objective",
        default="balanced",
        help="cost, latency, quality or balanced (default: balanced)",
    )
    p.add_argument("--min-quality", type=float, metavar="Q", help="mean score at least Q (0-1)")
    p.add_argument("--max-p95", type=float, metavar="S", help="p95 latency at most S seconds")
    p.add_argument(
        "--max-cost-per-1k", type=float, metavar="C", help="at most C dollars per 1,000 requests"
    )
    p.add_argument(
        "--max-error-rate", type=float, metavar="E", help="share of failed requests at most E"
    )
    p.add_argument(
        "--policy",
        action="append",
        metavar="SPEC",
        help="choose among these instead of the candidates (repeatable): single:ARM, "
        "fallback:A,B, weighted:A=3,B=1, cascade:A,B;json, bycategory, cheapest:0.8, fastest:p95",
    )
    p.add_argument("--folds", type=int, default=5, help="cross-validation folds (default 5)")
    p.add_argument("--json", action="store_true", help="print the recommendation as one object")
    p.set_defaults(func=cmd_recommend)

    p = sub.add_parser(
        "policies",
        help="print the simulated figures of routing policies on a results file",
        description=(
            "Replay routing policies over a results file and print one row per policy: "
            "quality with its CI, cost per 1k requests, latency, errors, traffic share."
        ),
    )
    p.add_argument("results", help="a results JSONL written by 'modelbench run'")
    p.add_argument(
        "--policy",
        action="append",
        metavar="SPEC",
        help="a policy spec (repeatable; default: the candidates), e.g. fallback:cheap,strong",
    )
    p.add_argument("--folds", type=int, default=5, help="cross-validation folds (default 5)")
    out = p.add_mutually_exclusive_group()
    out.add_argument("--json", action="store_true", help="print the rows as a JSON list")
    out.add_argument("--csv", action="store_true", help="print the rows as CSV")
    p.set_defaults(func=cmd_policies)


def _results(path: str) -> Any:
    from modelbench.bench.store import read_results

    return read_results(path)


def _check_config(path: str, results: Any) -> None:
    from modelbench.registry import Registry

    registry = Registry.from_yaml(path)
    known = set(registry.names)
    missing = sorted(set(results["model"].astype(str)) - known) if "model" in results else []
    for model in missing:
        print(f"note: model {model!r} in the results is not in {path}", file=sys.stderr)


def cmd_recommend(args: argparse.Namespace) -> int:
    from modelbench.routing.format import format_table
    from modelbench.routing.recommend import recommend

    results = _results(args.results)
    if args.config:
        _check_config(args.config, results)
    rec = recommend(
        results,
        args.objective,
        min_quality=args.min_quality,
        max_p95_s=args.max_p95,
        max_cost_per_1k=args.max_cost_per_1k,
        max_error_rate=args.max_error_rate,
        policies=args.policy,
        folds=args.folds,
    )
    if args.json:
        print(json.dumps(rec.to_dict(), indent=2))
    else:
        print(format_table(rec.table, chosen=rec.policy.describe()))
        print()
        print(("choice: " if rec.met else "nearest miss: ") + rec.reason)
    return RECOMMEND_EXIT[rec.met]


def cmd_policies(args: argparse.Namespace) -> int:
    from modelbench.routing.format import format_table, table_records, to_csv
    from modelbench.routing.simulate import simulate

    table = simulate(_results(args.results), args.policy, folds=args.folds)
    if args.json:
        print(json.dumps(table_records(table), indent=2))
    elif args.csv:
        sys.stdout.write(to_csv(table))
    else:
        print(format_table(table))
    return 0
