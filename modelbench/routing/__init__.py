"""Routing: policies over the arms of benchmark results, simulated, compared and recommended.

Pure functions of a results DataFrame (see doc/routing.md). Nothing below this layer imports it.
"""

from __future__ import annotations

from modelbench.routing._arms import arm_column, arms
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

__all__ = [
    "ByCategory",
    "Cascade",
    "Cheapest",
    "Fallback",
    "Fastest",
    "Oracle",
    "Policy",
    "Single",
    "Weighted",
    "arm_column",
    "arms",
    "policy_from_dict",
    "policy_names",
    "register_policy",
    "resolve_policy",
]
