"""Routing: policies over the arms of benchmark results, simulated, compared and recommended.

Pure functions of a results DataFrame (see doc/routing.md). Nothing below this layer imports it.
"""

from __future__ import annotations

from modelbench.routing._arms import arm_column, arms
from modelbench.routing.candidates import candidates
from modelbench.routing.frontier import aiq, pareto_frontier
from modelbench.routing.policies import (
    ByCategory,
    Cascade,
    Cheapest,
    Fallback,
    Fastest,
    Oracle,
    Policy,
    Single,
    Weighted,
    policy_from_dict,
    policy_names,
    register_policy,
    resolve_policy,
)
from modelbench.routing.recommend import OBJECTIVES, Recommendation, recommend
from modelbench.routing.simulate import SIMULATE_COLUMNS, simulate

__all__ = [
    "OBJECTIVES",
    "SIMULATE_COLUMNS",
    "ByCategory",
    "Cascade",
    "Cheapest",
    "Fallback",
    "Fastest",
    "Oracle",
    "Policy",
    "Recommendation",
    "Single",
    "Weighted",
    "aiq",
    "arm_column",
    "arms",
    "candidates",
    "pareto_frontier",
    "policy_from_dict",
    "policy_names",
    "recommend",
    "register_policy",
    "resolve_policy",
    "simulate",
]
