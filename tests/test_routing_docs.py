"""doc/routing.md stays true: its column table is SIMULATE_COLUMNS, its examples run."""

from __future__ import annotations

from pathlib import Path

from routing_data import frame, row

import modelbench as mb
from modelbench.routing.simulate import SIMULATE_COLUMNS

DOC = (Path(__file__).resolve().parents[1] / "doc" / "routing.md").read_text(encoding="utf-8")


def python_block(after: str) -> str:
    start = DOC.index("```python", DOC.index(after)) + len("```python")
    return DOC[start : DOC.index("```", start)]


def test_column_table_matches_simulate_columns() -> None:
    start = DOC.index("| column | meaning |")
    lines = []
    for line in DOC[start:].splitlines()[2:]:
        if not line.startswith("| "):
            break
        lines.append(line)
    documented = {line.split("|")[1].strip(): line.split("|")[2].strip() for line in lines}
    assert documented == SIMULATE_COLUMNS


def test_examples_run() -> None:
    results = frame(
        [row("cheap", f"p{i}", score=float(i % 2), cost=0.001) for i in range(6)]
        + [row("strong", f"p{i}", score=1.0, cost=0.01) for i in range(6)]
    )
    namespace: dict[str, object] = {"results": results, "mb": mb}
    exec(python_block("## Your own policy"), namespace)
    exec(python_block("## The frontier and AIQ"), {**namespace, "table": mb.simulate(results)})
    quick = python_block("# Routing").replace('mb.read_results("results.jsonl")', "results")
    quick = quick.replace('"single:strong", mb.Fallback(["cheap", "strong"])', '"single:strong"')
    exec(quick, namespace)
